"""Every helpdesk form field with the naughty strings (SECURITY 25, 31): a clear error or a stored value shown
as text, never a 500, and what was typed is kept when the form comes back."""

import html
import uuid

import pytest
from django.urls import reverse

from tests.factories import ContactFactory
from tests.naughty import NAUGHTY_STRINGS
from tickets.models import Message, Ticket

from .support import ticket_for
from .test_visibility import sign_in

pytestmark = pytest.mark.django_db


def check(response, value):
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 400 and "\x00" not in value and value.strip():
        assert html.escape(value.strip()[:200]) in response.content.decode() or "at most" in response.content.decode()


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
@pytest.mark.parametrize("field", ["subject", "body", "name"])
def test_staff_new_ticket(staff_client, settings, field, value):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    data = {"email": "ann@example.com", "name": "Ann", "subject": "Hello", "body": "Text", "send_key": uuid.uuid4().hex}
    response = staff_client.post(reverse("tickets:create"), {**data, field: value})
    check(response, value)
    if response.status_code == 302:
        page = staff_client.get(response["Location"]).content.decode()
        assert "<script>alert" not in page


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
def test_staff_reply_and_note(staff_client, settings, value):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    for action in ("reply", "note"):
        response = staff_client.post(
            reverse("tickets:answer", args=[ticket.pk]),
            {"body": value, "action": action, "send_key": uuid.uuid4().hex, "status": "pending"},
        )
        check(response, value)
    assert all("\x00" not in body for body in Message.objects.values_list("body", flat=True))


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
@pytest.mark.parametrize("field", ["subject", "body"])
def test_portal_new_ticket_and_reply(client, field, value):
    ann = ContactFactory(email="ann@example.com")
    own = ticket_for(ann)
    sign_in(client, ann)
    response = client.post(reverse("portal:create"), {"subject": "Hello", "body": "Text", field: value})
    check(response, value)
    if field == "body":
        check(client.post(reverse("portal:detail", args=[own.pk]), {"body": value}), value)
    for ticket in Ticket.objects.all():
        page = client.get(reverse("portal:detail", args=[ticket.pk])).content.decode()
        assert "<script>alert" not in page


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
def test_portal_sign_in(client, value):
    check(client.post(reverse("portal:sign_in"), {"email": value}), value)
