"""Helpers the consent tests share (services, views, forms): records, the contact page, the change form, the history."""

from datetime import datetime, timedelta

from django.urls import reverse
from django.utils import timezone

from crm_core.actors import SYSTEM
from customers.models import ConsentRecord, ConsentSource, ConsentState, OptInLevel
from customers.services import consent_record

FORM_DATE = "%Y-%m-%dT%H:%M"


def record(contact, state, given_at, **extra):
    options = {"source": ConsentSource.STAFF, "collected_how": "By phone", "actor": SYSTEM, **extra}
    return consent_record(contact=contact, state=state, given_at=given_at, **options)


def local(moment: datetime) -> str:
    """Return a moment as a datetime-local input holds it."""
    return timezone.localtime(moment).strftime(FORM_DATE)


def change(client, contact, **fields):
    data = {
        "state": ConsentState.SUBSCRIBED,
        "opt_in_level": OptInLevel.SINGLE,
        "given_at": local(timezone.now() - timedelta(hours=1)),
        "collected_how": "Asked at the counter",
        **fields,
    }
    return client.post(reverse("customers:consent_change", args=[contact.pk]), data)


def page(client, contact) -> str:
    response = client.get(contact.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def history(client, contact) -> str:
    response = client.get(reverse("customers:consent_history", args=[contact.pk]))
    assert response.status_code == 200
    return response.content.decode()


def assert_refused(response, field: str, message: str) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: " in html
    assert "There is a problem" in html
    assert f'href="#id_{field}' in html
    assert message in html
    assert not ConsentRecord.objects.exists()
    return html


REQUEST = ["session", "user", "the user's own permissions", "the user's group permissions"]
