"""Send message: the mail goes to the outbox after the commit and the worker sends it, once per form; its
outcome is in the activity log, and bad input sends nothing (SECURITY.md 14, 23, 24, 25, 31)."""

import re
import smtplib
import socket
import uuid
from html import unescape

import pytest
from django.core import mail
from django.core.mail import BadHeaderError
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from crm_core.actors import SYSTEM, Actor
from customers.forms.messaging import MessageForm
from customers.models import Activity, ActivityKind
from customers.services.messaging import MessageStatus, message_send, message_text
from jobs.models import MailStatus, OutboxMail
from tests.factories import ContactFactory, UserFactory
from tests.jobs.support import run_queued
from tests.naughty import NAUGHTY_STRINGS

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
REFUSED = smtplib.SMTPRecipientsRefused({"ann@example.com": (550, b"5.1.1 Mailbox unavailable")})


class FailingBackend(BaseEmailBackend):
    """A mail server that answers every message with FailingBackend.error."""

    error: Exception = REFUSED

    def send_messages(self, email_messages):
        raise self.error


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.DEFAULT_FROM_EMAIL = "Shop <shop@example.com>"


@pytest.fixture
def failing(settings):
    settings.EMAIL_BACKEND = f"{__name__}.FailingBackend"
    yield FailingBackend
    FailingBackend.error = REFUSED


@pytest.fixture
def ann(db):
    return ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")


@pytest.fixture
def sender(db):
    # No password: hashing one is the slowest part of making a user, and these tests never log in with it.
    return UserFactory(
        username="sam", first_name="Sam", last_name="Shaw", email="sam@shop.example", role="Staff", password=None
    )


def text_of(html: str) -> str:
    """Return the page's text with line breaks where it has <br>, as a reader sees it."""
    return unescape(re.sub(r"<[^>]*>", "", html.replace("<br>", "\n")))


def url(contact):
    return reverse("customers:message", args=[contact.pk])


def key() -> str:
    return uuid.uuid4().hex


def send(**fields):
    """Send as a view does (the transaction commits), let the worker run, and return the stored Activity."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        activity = message_send(key=key(), **fields)
    run_queued()
    return Activity.objects.get(pk=activity.pk)


def compose(client, contact, **data):
    """Post the form as the page does, with the key the page carries."""
    page = client.get(url(contact)).content.decode()
    return client.post(url(contact), {"send_key": re.search(r'name="send_key" value="(\w+)"', page)[1], **data})


# ---------- the service ----------


def test_the_mail_goes_out_from_the_outbox_once_the_transaction_commits(
    ann, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        activity = message_send(
            contact=ann, subject="Your order", body="Hello Ann,\nit ships today.", actor=Actor.staff(sender), key=key()
        )
        assert mail.outbox == []
        assert activity.data["status"] == MessageStatus.QUEUED
    assert len(callbacks) == 1
    assert run_queued() == 0
    callbacks[0]()
    assert mail.outbox == []
    assert run_queued() == 1

    [email] = mail.outbox
    assert email.to == ["ann@example.com"]
    assert email.from_email == "Shop <shop@example.com>"
    assert email.reply_to == ["sam@shop.example"]
    assert (email.subject, email.body) == ("Your order", "Hello Ann,\nit ships today.")
    stored = Activity.objects.get()
    assert (stored.kind, stored.event, stored.actor) == (ActivityKind.EVENT, "message", sender)
    assert stored.data == {
        "status": "sent",
        "to": "ann@example.com",
        "from": "Shop <shop@example.com>",
        "reply_to": "sam@shop.example",
        "subject": "Your order",
    }
    assert stored.body.splitlines()[:2] == ["Message sent to ann@example.com", "Subject: Your order"]
    assert message_text(stored) == "Hello Ann,\nit ships today."


def test_a_rolled_back_transaction_sends_nothing_and_records_nothing(ann, sender, django_capture_on_commit_callbacks):
    def send_then_fail():
        with transaction.atomic():
            message_send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender), key=key())
            raise RuntimeError("something later in the same transaction failed")

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError):
        send_then_fail()
    assert callbacks == []
    assert run_queued() == 0
    assert mail.outbox == []
    assert not Activity.objects.exists()
    assert not OutboxMail.objects.exists()


def test_a_contact_removed_before_the_mail_went_out_does_not_break_the_send(
    ann, sender, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message_send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender), key=key())
    ann.delete()
    run_queued()
    assert len(mail.outbox) == 1
    assert not Activity.objects.exists()


def test_a_sender_without_an_email_gets_no_reply_to(ann):
    activity = send(contact=ann, subject="Hi", body="Text", actor=SYSTEM)
    assert mail.outbox[0].reply_to == []
    assert (activity.data["reply_to"], activity.actor) == ("", None)


def test_a_refusing_mail_server_is_recorded_as_failed_with_a_plain_reason_and_the_detail_only_logged(
    ann, sender, failing, caplog
):
    stored = send(contact=ann, subject="Your order", body="Hello", actor=Actor.staff(sender))
    assert stored.data["status"] == "failed"
    assert stored.data["reason"] == "the mail server refused the recipient's address"
    assert "error" not in stored.data
    assert "5.1.1 Mailbox unavailable" not in str(stored.data) + stored.body
    assert "5.1.1 Mailbox unavailable" in caplog.text
    assert (
        stored.body.splitlines()[0]
        == "Message to ann@example.com not sent: the mail server refused the recipient's address"
    )
    assert message_text(stored) == "Hello"
    # A lasting refusal is not tried again.
    assert OutboxMail.objects.get().attempts == 1


def test_the_real_smtp_backend_with_no_server_listening_is_tried_again_then_recorded_as_failed(ann, sender, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    # Two pauses of no time: a first try, two more, then the mail is failed.
    settings.OUTBOX_RETRY_SECONDS = [0, 0]
    activity = send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender))
    assert activity.data["reason"] == "the mail server refused the connection"
    assert activity.data["status"] == "failed"
    outbox = OutboxMail.objects.get()
    assert (outbox.status, outbox.attempts) == (MailStatus.FAILED, 3)


def test_a_temporary_refusal_waits_for_the_next_try_and_the_message_stays_queued(ann, sender, failing, settings):
    failing.error = smtplib.SMTPDataError(421, b"4.3.2 Try later")
    activity = send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender))
    outbox = OutboxMail.objects.get()
    assert (outbox.status, outbox.attempts) == (MailStatus.QUEUED, 1)
    assert 55 <= (outbox.next_attempt_at - timezone.now()).total_seconds() <= 60
    assert activity.data["status"] == "queued"
    # The server takes it on the next try.
    settings.EMAIL_BACKEND = LOCMEM
    OutboxMail.objects.update(next_attempt_at=timezone.now())
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_queued()
    assert Activity.objects.get(pk=activity.pk).data["status"] == "sent"
    assert len(mail.outbox) == 1


def test_the_same_key_sends_one_message_and_records_one_entry(ann, sender, django_capture_on_commit_callbacks):
    once = key()
    with django_capture_on_commit_callbacks(execute=True):
        first = message_send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender), key=once)
        again = message_send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender), key=once)
    assert again == first
    run_queued()
    assert len(mail.outbox) == 1
    assert Activity.objects.filter(event="message").count() == 1


@pytest.mark.parametrize(
    "subject", ["Hi\r\nBcc: eve@example.com", "Hi\nBcc: eve@example.com", "Hi\u2028Bcc: eve@example.com"]
)
def test_the_service_refuses_a_subject_with_a_line_break_and_records_nothing(
    ann, sender, subject, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BadHeaderError):
        message_send(contact=ann, subject=subject, body="Text", actor=Actor.staff(sender), key=key())
    assert mail.outbox == []
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "email", ["ann@example.com\r\nBcc: eve@example.com", "ann@example.com, eve@example.com", "not an address"]
)
def test_the_service_refuses_a_recipient_that_is_not_one_clean_address(
    sender, email, django_capture_on_commit_callbacks
):
    contact = ContactFactory(email=email)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BadHeaderError):
        message_send(contact=contact, subject="Hi", body="Text", actor=Actor.staff(sender), key=key())
    assert mail.outbox == []
    assert not Activity.objects.exists()


# ---------- the form ----------


def form_errors(contact, **data):
    form = MessageForm({"subject": "Hi", "body": "Text", "send_key": key(), **data}, contact=contact)
    form.is_valid()
    return form.errors


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"subject": ""}, "subject", "Enter a subject"),
        ({"body": "   "}, "body", "Enter a message"),
        ({"subject": "Hi\r\nBcc: eve@example.com"}, "subject", "The subject must be on one line"),
        ({"subject": "Hi\x0bthere"}, "subject", "The subject must be on one line"),
        ({"subject": "Hi\x1b[31m"}, "subject", "Subject contains a hidden control character; retype it"),
        ({"subject": "Hi\x00"}, "subject", "Subject contains a hidden control character; retype it"),
        ({"body": "Hello\x00Ann"}, "body", "Message contains a hidden control character; retype it"),
        ({"subject": "x" * 10_240}, "subject", "Subject must be 200 characters or fewer (it has 10,240)"),
        ({"body": "x" * 20_001}, "body", "Message must be 20,000 characters or fewer (it has 20,001)"),
    ],
)
def test_the_form_explains_what_to_fix(ann, data, field, message):
    assert form_errors(ann, **data)[field] == [message]


def test_a_long_message_and_crlf_line_endings_are_accepted_as_typed(ann):
    form = MessageForm({"subject": "Hi", "body": "Line 1\r\nLine 2\r\n" + "x" * 10_240, "send_key": key()}, contact=ann)
    assert form.is_valid()
    assert form.cleaned_data["body"] == "Line 1\nLine 2\n" + "x" * 10_240


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
def test_naughty_strings_give_a_field_error_or_a_clean_message(ann, sender, value):
    form = MessageForm({"subject": value[:300], "body": value, "send_key": key()}, contact=ann)
    if not form.is_valid():
        assert form.errors.keys() <= {"subject", "body"}
        return
    send(contact=ann, actor=Actor.staff(sender), subject=form.cleaned_data["subject"], body=form.cleaned_data["body"])
    assert (mail.outbox[-1].subject, mail.outbox[-1].body) == (form.cleaned_data["subject"], form.cleaned_data["body"])


# ---------- the page ----------
# Pages that queue a mail run with real commits (transaction=True), so the outbox hands the mail to the
# task engine as it does in production; run_queued() is then the worker.
committing = pytest.mark.django_db(transaction=True)


@committing
def test_staff_send_a_message_and_see_it_in_the_activity_log(client, ann, sender):
    client.force_login(sender)
    page = client.get(url(ann))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<title>Send message to Ann Lee" in html
    for envelope in ("ann@example.com", "Shop &lt;shop@example.com&gt;", "sam@shop.example"):
        assert envelope in html

    response = compose(client, ann, subject="Your order", body="It ships today.")

    assert response.status_code == 302
    assert response.url == ann.get_absolute_url()
    html = client.get(response.url).content.decode()
    assert "Message to ann@example.com is on its way. The activity log says when it has been sent." in html
    assert "Message to ann@example.com waiting to be sent\nSubject: Your order\n\nIt ships today." in text_of(html)
    assert mail.outbox == []
    run_queued()
    html = client.get(ann.get_absolute_url()).content.decode()
    assert "Message sent to ann@example.com\nSubject: Your order\n\nIt ships today." in text_of(html)
    assert len(mail.outbox) == 1


@committing
def test_a_final_failure_is_shown_on_the_timeline_in_plain_words_and_the_text_kept(
    client, ann, sender, failing, settings
):
    failing.error = ConnectionRefusedError(111, "Connection refused")
    settings.OUTBOX_RETRY_SECONDS = []
    client.force_login(sender)
    assert compose(client, ann, subject="Your order", body="Line one\r\nLine two").status_code == 302
    run_queued()
    html = client.get(ann.get_absolute_url()).content.decode()
    assert (
        "Message to ann@example.com not sent: the mail server refused the connection\nSubject: Your order\n\n"
        "Line one\nLine two" in text_of(html)
    )
    assert "Connection refused" not in html

    # Sent again once the server is back: a new form, a second entry, this one sent.
    settings.EMAIL_BACKEND = LOCMEM
    assert compose(client, ann, subject="Your order", body="Line one\r\nLine two").status_code == 302
    run_queued()
    assert [a.data["status"] for a in Activity.objects.order_by("pk")] == ["failed", "sent"]
    assert mail.outbox[0].body == "Line one\nLine two"


@committing
def test_a_double_click_sends_one_message(client, ann, sender):
    client.force_login(sender)
    page = client.get(url(ann)).content.decode()
    data = {"subject": "Hi", "body": "Text", "send_key": re.search(r'name="send_key" value="(\w+)"', page)[1]}
    first, second = client.post(url(ann), data), client.post(url(ann), data)
    assert (first.status_code, second.status_code) == (302, 302)
    run_queued()
    assert len(mail.outbox) == 1
    assert Activity.objects.filter(event="message").count() == 1
    # The same form sent once more after the worker sent it says so, and sends nothing.
    again = client.post(url(ann), data, follow=True)
    assert "This message was already sent to ann@example.com." in again.content.decode()
    run_queued()
    assert len(mail.outbox) == 1


def test_a_form_without_its_key_is_shown_again_with_the_text_kept(client, ann, sender):
    client.force_login(sender)
    response = client.post(url(ann), {"subject": "Hi", "body": "Keep this text"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "This form was not sent whole; check it and press Send message again." in html
    assert "Keep this text</textarea>" in html
    assert re.search(r'name="send_key" value="[0-9a-f]{32}"', html)
    assert not Activity.objects.exists()


@pytest.mark.parametrize(
    "subject", ["Hi\r\nBcc: eve@example.com", "Hi\nBcc: eve@example.com", "Hi\rBcc: eve@example.com"]
)
def test_header_injection_in_the_subject_is_a_clear_error_and_nothing_is_sent(
    client, ann, sender, subject, django_capture_on_commit_callbacks
):
    client.force_login(sender)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(ann), {"subject": subject, "body": "Keep this text"})
    assert response.status_code == 200
    html = response.content.decode()
    assert '<a href="#id_subject">The subject must be on one line</a>' in html
    assert 'aria-invalid="true"' in html
    assert "Keep this text</textarea>" in html
    assert mail.outbox == []
    assert not Activity.objects.exists()


def test_a_contact_whose_email_has_a_line_break_cannot_be_messaged(client, sender, django_capture_on_commit_callbacks):
    contact = ContactFactory(email="ann@example.com\nBcc: eve@example.com", first_name="Ann", last_name="Lee")
    client.force_login(sender)
    assert "cannot receive messages: it contains a line break" in client.get(url(contact)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(contact), {"subject": "Hi", "body": "Keep this text"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "The contact&#x27;s email address cannot receive messages: it contains a line break." in html
    assert "Keep this text</textarea>" in html
    assert mail.outbox == []
    assert not Activity.objects.exists()


def test_nul_and_oversized_input_are_field_errors_on_the_page(client, ann, sender, django_capture_on_commit_callbacks):
    client.force_login(sender)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(ann), {"subject": "x" * 10_240, "body": "Hello\x00"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Subject must be 200 characters or fewer" in html
    assert "Message contains a hidden control character; retype it" in html
    assert mail.outbox == []
    assert not Activity.objects.exists()


def test_html_in_subject_and_message_is_shown_as_text_on_the_contact_page(
    client, ann, sender, django_capture_on_commit_callbacks
):
    client.force_login(sender)
    with django_capture_on_commit_callbacks(execute=True):
        compose(client, ann, subject="<script>alert(1)</script>", body='<img src=x onerror="alert(2)">')
    run_queued()
    html = client.get(ann.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "Subject: &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    # The mail is plain text: what was typed is what is sent.
    assert mail.outbox[0].subject == "<script>alert(1)</script>"
    assert mail.outbox[0].content_subtype == "plain"


def test_a_viewer_gets_403_and_sees_no_link(client, viewer, ann, django_capture_on_commit_callbacks):
    client.force_login(viewer)
    assert client.get(url(ann)).status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url(ann), {"subject": "Hi", "body": "Text"}).status_code == 403
    page = client.get(ann.get_absolute_url())
    assert page.status_code == 200
    assert url(ann) not in page.content.decode()
    assert mail.outbox == []
    assert not Activity.objects.exists()


def test_staff_see_the_link_between_edit_and_create_new_order(client, sender, ann):
    client.force_login(sender)
    html = client.get(ann.get_absolute_url()).content.decode()
    link = f'href="{url(ann)}">Send message<span class="visually-hidden"> to Ann Lee</span></a>'
    assert link in html
    assert html.index(reverse("customers:update", args=[ann.pk])) < html.index(link) < html.index("Create new order")


def test_anonymous_visitors_are_sent_to_log_in(client, ann):
    for response in (client.get(url(ann)), client.post(url(ann), {"subject": "Hi", "body": "Text"})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    assert mail.outbox == []


def test_a_post_without_a_csrf_token_is_refused(sender, ann, django_capture_on_commit_callbacks):
    client = Client(enforce_csrf_checks=True)
    client.force_login(sender)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(ann), {"subject": "Hi", "body": "Text"})
    assert response.status_code == 403
    assert mail.outbox == []
    assert not Activity.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_contact_in_the_trash_or_missing_is_404(client, sender, method, django_capture_on_commit_callbacks):
    trashed = ContactFactory(deleted_at=timezone.now())
    client.force_login(sender)
    with django_capture_on_commit_callbacks(execute=True):
        for pk in (trashed.pk, trashed.pk + 1000):
            response = getattr(client, method)(
                reverse("customers:message", args=[pk]), {"subject": "Hi", "body": "Text"}
            )
            assert response.status_code == 404
    assert mail.outbox == []


def test_other_methods_are_not_allowed(client, sender, ann):
    client.force_login(sender)
    assert client.put(url(ann)).status_code == 405


def test_the_compose_page_reads_only_the_contact(client, sender, ann, django_assert_num_queries):
    client.force_login(sender)
    expected = [
        "session",
        "user",
        "the user's own permissions",
        "the user's group permissions",
        "the contact",
    ]
    with django_assert_num_queries(len(expected)):
        assert client.get(url(ann)).status_code == 200
