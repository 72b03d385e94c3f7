"""Sending a message from a contact's page, as staff do it (seed 001: "Send message" at the top right)."""

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from playwright.sync_api import Page, expect

from customers.models import Activity
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def open_contact(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_send_a_message_from_the_contact_page(signed_in: Page, settings):
    # live_server runs in this process, so the locmem outbox is the one the test reads.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    open_contact(page, "Ann Lee")
    page.get_by_role("link", name="Send message").click()

    expect(page.get_by_role("heading", name="Send message to Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("ann@example.com")
    page.get_by_label("Subject").fill("Your order")
    page.get_by_label("Message").fill("Hello Ann,\nyour order ships today.")
    page.get_by_role("button", name="Send message").click()

    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Message sent to ann@example.com.")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Message sent to ann@example.com")
    expect(activity).to_contain_text("Subject: Your order")
    expect(activity).to_contain_text("your order ships today.")
    [email] = mail.outbox
    assert (email.to, email.subject, email.body) == (
        ["ann@example.com"],
        "Your order",
        "Hello Ann,\nyour order ships today.",
    )


def test_a_failed_send_keeps_the_text_and_can_be_sent_again(signed_in: Page, live_server, settings):
    settings.EMAIL_BACKEND = f"{__name__}.UnreachableBackend"
    contact = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    page.goto(live_server.url + contact.get_absolute_url())
    page.get_by_role("link", name="Send message").click()
    page.get_by_label("Subject").fill("Your order")
    page.get_by_label("Message").fill("Hello Ann")
    page.get_by_role("button", name="Send message").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text(
        "The message could not be sent: the mail server closed the connection; nothing was sent."
    )
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Send message to Ann Lee · Contacts CRM")
    expect(page.get_by_label("Subject")).to_have_value("Your order")
    expect(page.get_by_label("Message")).to_have_value("Hello Ann")

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    page.get_by_role("button", name="Send message").click()
    expect(page.get_by_role("main")).to_contain_text("Message sent to ann@example.com.")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Message to ann@example.com not sent: the mail server closed the connection")
    expect(activity).to_contain_text("Message sent to ann@example.com")
    assert [entry.data["status"] for entry in Activity.objects.filter(event="message").order_by("pk")] == [
        "failed",
        "sent",
    ]
    assert len(mail.outbox) == 1
