"""customers.services.consent: the append-only record and the ordering rule for the current consent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm_core.actors import SHOP, SYSTEM
from customers.models import ConsentChannel, ConsentSource, ConsentState, Contact
from customers.services import consent_record
from tests.customers.support.consent import record
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_an_older_record_entered_later_keeps_the_current_state_and_says_so_on_the_timeline():
    contact = ContactFactory()
    now = timezone.now()
    record(contact, ConsentState.UNSUBSCRIBED, now - timedelta(days=1))
    older = record(contact, ConsentState.SUBSCRIBED, now - timedelta(days=30))

    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    assert contact.consent_records.count() == 2
    event = contact.activities.filter(event="consent_changed").order_by("-id").first()
    assert "entered later" in event.body
    assert event.data["current"] is False
    assert older.given_at == now - timedelta(days=30)


def test_a_newer_record_entered_later_becomes_the_current_state():
    contact = ContactFactory()
    now = timezone.now()
    record(contact, ConsentState.SUBSCRIBED, now - timedelta(days=30))
    record(contact, ConsentState.UNSUBSCRIBED, now - timedelta(days=1))

    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    event = contact.activities.filter(event="consent_changed").order_by("-id").first()
    assert event.body == "Email marketing: Unsubscribed"
    assert event.data["current"] is True


def test_the_in_memory_contact_follows_the_database_even_when_it_was_stale():
    contact = ContactFactory()
    stale = Contact.objects.get(pk=contact.pk)
    record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=2))
    record(stale, ConsentState.PENDING, timezone.now() - timedelta(days=3))
    assert stale.marketing_consent == ConsentState.SUBSCRIBED


def test_a_record_dated_in_the_future_is_dated_now_so_an_unsubscribe_still_takes_effect():
    contact = ContactFactory()
    ahead = record(contact, ConsentState.SUBSCRIBED, timezone.now() + timedelta(minutes=5), actor=SHOP)
    assert ahead.given_at <= timezone.now()
    record(contact, ConsentState.UNSUBSCRIBED, timezone.now())
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED


def test_another_channel_leaves_email_marketing_alone():
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now(), channel=ConsentChannel.SMS)
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.NOT_SUBSCRIBED


def test_an_older_consent_record_entered_later_does_not_override_a_newer_one():
    contact = ContactFactory()
    now = timezone.now()
    common = {"contact": contact, "source": ConsentSource.STAFF, "collected_how": "By phone", "actor": SYSTEM}
    consent_record(state=ConsentState.UNSUBSCRIBED, given_at=now, **common)
    consent_record(state=ConsentState.SUBSCRIBED, given_at=now - timedelta(days=30), **common)
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    assert contact.consent_records.count() == 2
