"""Sending a message from a contact's page, as staff do it (seed 001: "Send message" at the top right).

The mail goes to a real SMTP server on loopback (aiosmtpd), through the outbox and the worker.
"""

import smtplib
import socket

import pytest
from aiosmtpd.controller import Controller
from django.core.mail.backends.base import BaseEmailBackend
from playwright.sync_api import Page, expect

from customers.models import Activity
from tests.factories import ContactFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db(transaction=True)


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class Catcher:
    """An aiosmtpd handler that keeps every message it is handed."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    catcher = Catcher()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield catcher
    controller.stop()


def open_contact(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def compose(page: Page) -> None:
    page.get_by_role("link", name="Send message").click()
    expect(page.get_by_role("heading", name="Send message to Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("ann@example.com")
    page.get_by_label("Subject").fill("Your order")
    page.get_by_label("Message").fill("Hello Ann,\nyour order ships today.")


def test_send_a_message_from_the_contact_page(signed_in: Page, smtp):
    ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    open_contact(page, "Ann Lee")
    compose(page)
    page.get_by_role("button", name="Send message").click()

    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Message to ann@example.com is on its way.")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Message to ann@example.com waiting to be sent")
    run_queued()
    page.reload()
    expect(activity).to_contain_text("Message sent to ann@example.com")
    expect(activity).to_contain_text("Subject: Your order")
    expect(activity).to_contain_text("your order ships today.")
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["ann@example.com"]
    assert b"Subject: Your order" in envelope.original_content


def test_a_double_clicked_send_sends_one_mail(signed_in: Page, smtp):
    ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    open_contact(page, "Ann Lee")
    compose(page)
    page.get_by_role("button", name="Send message").dblclick()
    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    run_queued()
    page.reload()
    expect(page.get_by_role("region", name="Activity")).to_contain_text("Message sent to ann@example.com")
    assert len(smtp.messages) == 1
    assert Activity.objects.filter(event="message").count() == 1


def test_a_failed_send_is_on_the_timeline_and_can_be_sent_again(signed_in: Page, live_server, settings, smtp):
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    settings.OUTBOX_RETRY_SECONDS = []
    contact = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    page.goto(live_server.url + contact.get_absolute_url())
    compose(page)
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("main")).to_contain_text("Message to ann@example.com is on its way.")
    run_queued()
    page.reload()
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Message to ann@example.com not sent: the mail server closed the connection")

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    compose(page)
    page.get_by_role("button", name="Send message").click()
    run_queued()
    page.reload()
    expect(activity).to_contain_text("Message sent to ann@example.com")
    assert [entry.data["status"] for entry in Activity.objects.filter(event="message").order_by("pk")] == [
        "failed",
        "sent",
    ]
    assert len(smtp.messages) == 1
