"""The Mailgun inbound webhook: signed as Mailgun signs it, checked by django-anymail, stored by the intake."""

import hashlib
import hmac
import json
import secrets
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets.models import Ticket

from .support import mail

pytestmark = pytest.mark.django_db
KEY = "key-test-signing-0123456789"


@pytest.fixture(autouse=True)
def _key(settings):
    settings.MAILGUN_WEBHOOK_SIGNING_KEY = KEY


def signed(raw: bytes, *, key: str = KEY, timestamp: int | None = None) -> dict[str, str]:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    token = secrets.token_hex(25)
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    return {"timestamp": timestamp, "token": token, "signature": signature, "body-mime": raw.decode()}


def post(client, data):
    return client.post(reverse("mail:mailgun_inbound"), data)


def test_a_signed_mail_opens_a_ticket(client):
    response = post(client, signed(mail(subject="Hinge").as_bytes()))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.requester.email) == ("Hinge", "ann@example.com")


def test_the_same_mail_delivered_twice_is_stored_once(client):
    raw = mail(message_id="<twice@mail.example>").as_bytes()
    # Mailgun signs each delivery afresh.
    assert [post(client, signed(raw)).status_code for _ in range(2)] == [200, 200]
    assert Ticket.objects.count() == 1


def test_a_signature_used_before_cannot_carry_another_mail(client):
    first = signed(mail(subject="Real").as_bytes())
    assert post(client, first).status_code == 200
    forged = {**first, "body-mime": mail(sender="eve@evil.example", subject="Forged").as_string()}
    assert post(client, forged).status_code == 400
    assert list(Ticket.objects.values_list("subject", flat=True)) == ["Real"]


@pytest.mark.parametrize(
    "data",
    [
        {"body-mime": "From: a@example.com\r\n\r\nx"},
        {**signed(b"From: a@example.com\r\n\r\nx", key="wrong-key")},
        {**signed(b"From: a@example.com\r\n\r\nx", timestamp=int(time.time()) - 3600)},
    ],
    ids=["unsigned", "wrong key", "replayed an hour later"],
)
def test_an_unsigned_forged_or_old_post_is_refused_and_stores_nothing(client, data):
    assert post(client, data).status_code == 400
    assert Ticket.objects.count() == 0


def test_without_a_signing_key_the_webhook_is_absent(client, settings):
    settings.MAILGUN_WEBHOOK_SIGNING_KEY = ""
    assert post(client, signed(mail().as_bytes())).status_code == 404
    assert Ticket.objects.count() == 0


def test_a_fully_parsed_post_with_a_file_opens_a_ticket_with_its_attachment(client):
    """Mailgun's parsed form posts attachments as files, which Django's 2.5 MB field limit does not count."""
    headers = [
        ["From", "Ann Lee <ann@example.com>"],
        ["Subject", "Photo of the damage"],
        ["Message-Id", "<parsed-1@mail.example>"],
    ]
    photo = SimpleUploadedFile("damage.jpg", b"\xff\xd8" + b"x" * (3 * 1024 * 1024), content_type="image/jpeg")
    data = {
        **{k: v for k, v in signed(b"").items() if k != "body-mime"},
        "message-headers": json.dumps(headers),
        "body-plain": "See the photo.",
        "attachment-count": "1",
        "attachment-1": photo,
    }
    assert post(client, data).status_code == 200
    message = Ticket.objects.get().messages.get()
    assert (message.body, message.message_id) == ("See the photo.", "<parsed-1@mail.example>")
    assert message.attachments.get().name == "damage.jpg"
