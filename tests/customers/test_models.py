"""Invariants the database itself enforces, whatever code path writes."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import Contact, Label
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("ann@example.com", "ANN@example.com"),
        ("Ann@Example.com", "ann@example.com"),
        ("ann@example.com", "  ann@example.com  "),
        ("ann@example.com", "ann@example.com"),
    ],
)
def test_two_live_contacts_cannot_share_an_email_ignoring_case_and_spaces(first, second):
    Contact.objects.create(email=first)
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(email=second)


def test_bulk_create_cannot_bypass_the_email_constraint():
    """bulk_create skips save() and Python validation; the database still refuses the duplicate."""
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.bulk_create([Contact(email="Bo@x.com"), Contact(email=" bo@X.COM")])
    assert Contact.objects.count() == 0


def test_the_database_computes_the_normalised_email():
    contact = Contact.objects.create(email="  Mixed.Case@Example.COM ")
    contact.refresh_from_db()
    assert contact.email_normalized == "mixed.case@example.com"


def test_a_trashed_contact_does_not_block_a_new_one_with_the_same_email():
    ContactFactory(email="ann@example.com", deleted_at=timezone.now())
    live = Contact.objects.create(email="ANN@example.com")
    assert Contact.objects.filter(email_normalized="ann@example.com").count() == 2
    assert live.pk


def test_an_empty_email_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(email="   ")


def test_a_stage_outside_the_choices_is_refused_by_the_database():
    with pytest.raises(IntegrityError), transaction.atomic():
        Contact.objects.create(email="x@example.com", stage="prospect")


def test_label_names_are_unique_ignoring_case():
    Label.objects.create(name="VIP")
    with pytest.raises(IntegrityError), transaction.atomic():
        Label.objects.create(name="vip")


def test_consent_records_cannot_be_edited():
    from customers.models import ConsentRecord, ConsentSource, ConsentState

    record = ConsentRecord.objects.create(
        contact=ContactFactory(),
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how="By phone",
    )
    record.state = ConsentState.UNSUBSCRIBED
    with pytest.raises(ValueError, match="append-only"):
        record.save()
