from datetime import timedelta

import pytest
from django.utils import timezone

from crm_core.actors import SYSTEM, Actor, ActorKind
from customers.models import ConsentSource, ConsentState, Contact, Label, LabelColour, Source, Stage
from customers.services import (
    ContactChanged,
    PhoneInput,
    consent_record,
    contact_create,
    contact_label_remove,
    contact_labels_add,
    contact_phone_add,
    contact_unlock,
    contact_update,
    contacts_trash,
    label_delete,
    label_get_or_create_by_name,
)
from tests.factories import ContactFactory, LabelFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_a_contact_created_by_staff_is_a_manual_lead_and_its_log_says_who():
    user = UserFactory()
    contact = contact_create(email="ann@example.com", actor=Actor.staff(user))
    assert (contact.stage, contact.source) == (Stage.LEAD, Source.MANUAL)
    event = contact.activities.get()
    assert (event.event, event.actor, event.actor_kind) == ("created", user, ActorKind.STAFF)


def test_contact_create_keeps_phones_in_order():
    contact = contact_create(
        email="ann@example.com",
        actor=SYSTEM,
        phones=[PhoneInput("+442071838750", "work"), PhoneInput("+447700900123", "mobile")],
    )
    assert [(p.number, p.label) for p in contact.phones.all()] == [
        ("+442071838750", "work"),
        ("+447700900123", "mobile"),
    ]


def test_editing_details_locks_them_and_records_old_and_new():
    contact = ContactFactory(first_name="Ann", city="Leeds")
    contact_update(contact=contact, actor=Actor.staff(UserFactory()), first_name="Anne", city="Leeds")
    contact.refresh_from_db()
    assert contact.details_locked is True
    event = contact.activities.get(event="edited")
    assert event.data["changes"] == {"first_name": ["Ann", "Anne"]}


def test_changing_only_the_stage_does_not_lock_the_details():
    contact = ContactFactory()
    contact_update(contact=contact, actor=SYSTEM, stage=Stage.CUSTOMER)
    contact.refresh_from_db()
    assert (contact.stage, contact.details_locked) == (Stage.CUSTOMER, False)


def test_an_update_that_changes_nothing_records_nothing():
    contact = ContactFactory(first_name="Ann")
    contact_update(contact=contact, actor=SYSTEM, first_name="Ann")
    assert not contact.activities.exists()
    assert Contact.objects.get(pk=contact.pk).details_locked is False


def test_changing_phones_locks_the_details():
    contact = ContactFactory()
    contact_update(contact=contact, actor=SYSTEM, phones=[PhoneInput("+442071838750")])
    contact.refresh_from_db()
    assert contact.details_locked is True
    assert list(contact.phones.values_list("number", flat=True)) == ["+442071838750"]


def test_an_older_consent_record_entered_later_does_not_override_a_newer_one():
    contact = ContactFactory()
    now = timezone.now()
    common = {"contact": contact, "source": ConsentSource.STAFF, "collected_how": "By phone", "actor": SYSTEM}
    consent_record(state=ConsentState.UNSUBSCRIBED, given_at=now, **common)
    consent_record(state=ConsentState.SUBSCRIBED, given_at=now - timedelta(days=30), **common)
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    assert contact.consent_records.count() == 2


def test_adding_labels_records_each_new_one_in_a_fixed_number_of_queries(django_assert_num_queries):
    contact = ContactFactory()
    kept, first, second = LabelFactory(name="Kept"), LabelFactory(name="VIP"), LabelFactory(name="Press")
    contact.labels.add(kept)
    # Savepoint; the labels it has; the link rows; the new version; the activity rows; release (the same for
    # 2 labels or 200).
    with django_assert_num_queries(6):
        contact_labels_add(contact=contact, labels=[kept, first, second], actor=SYSTEM)
    assert set(contact.labels.values_list("name", flat=True)) == {"Kept", "VIP", "Press"}
    assert sorted(contact.activities.values_list("body", flat=True)) == ["Label Press added", "Label VIP added"]


def test_trashing_frees_the_email_and_records_it():
    contact = ContactFactory(email="ann@example.com")
    assert contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM) == 1
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert contact.activities.filter(event="trashed").exists()
    assert contact_create(email="ann@example.com", actor=SYSTEM).pk != contact.pk


def test_removing_a_label_takes_only_that_link_and_records_who_did_it():
    user = UserFactory()
    contact, other = ContactFactory(), ContactFactory()
    vip, kept = LabelFactory(name="VIP"), LabelFactory(name="Kept")
    contact.labels.add(vip, kept)
    other.labels.add(vip)
    assert contact_label_remove(contact=contact, label=vip, actor=Actor.staff(user)) is True
    assert list(contact.labels.all()) == [kept]
    assert list(other.labels.all()) == [vip]
    event = contact.activities.get()
    assert (event.event, event.body, event.actor, event.actor_kind) == (
        "label_removed",
        "Label VIP removed",
        user,
        ActorKind.STAFF,
    )


def test_removing_a_label_the_contact_does_not_have_does_nothing_and_records_nothing():
    contact, other = ContactFactory(), ContactFactory()
    vip = LabelFactory(name="VIP")
    other.labels.add(vip)
    assert contact_label_remove(contact=contact, label=vip, actor=SYSTEM) is False
    assert not contact.activities.exists()
    assert list(other.labels.all()) == [vip]


def test_get_or_create_by_name_finds_a_label_in_any_letter_case():
    vip = LabelFactory(name="VIP", colour=LabelColour.PURPLE)
    assert label_get_or_create_by_name(name=" vip ") == vip
    assert Label.objects.count() == 1


def test_get_or_create_by_name_creates_a_missing_label_trimmed_in_the_default_colour():
    label = label_get_or_create_by_name(name="  Trade fair ")
    assert (label.name, label.colour) == ("Trade fair", LabelColour.GREY)
    assert label_get_or_create_by_name(name="TRADE FAIR") == label


def test_deleting_a_label_takes_it_off_every_contact_and_counts_only_live_ones():
    label = LabelFactory()
    live, trashed = ContactFactory(), ContactFactory(deleted_at=timezone.now())
    live.labels.add(label)
    trashed.labels.add(label)
    assert label_delete(label=label) == 1
    assert not live.labels.exists()
    assert not trashed.labels.exists()


def test_unlocking_locked_details_records_who_did_it():
    user = UserFactory()
    contact = ContactFactory(details_locked=True)
    assert contact_unlock(contact=contact, actor=Actor.staff(user)) is True
    contact.refresh_from_db()
    assert contact.details_locked is False
    event = contact.activities.get()
    assert (event.event, event.actor) == ("details_unlocked", user)


def test_unlocking_details_that_are_not_locked_records_nothing():
    contact = ContactFactory(details_locked=False)
    assert contact_unlock(contact=contact, actor=SYSTEM) is False
    assert not contact.activities.exists()


def test_an_update_from_an_older_version_is_refused_and_changes_nothing():
    contact = ContactFactory(first_name="Ann")
    opened = contact.updated_at
    contact_update(contact=contact, actor=SYSTEM, first_name="Theirs")
    stale = Contact.objects.get(pk=contact.pk)
    with pytest.raises(ContactChanged) as raised:
        contact_update(contact=stale, actor=SYSTEM, version=opened, first_name="Mine")
    assert raised.value.updated_at == Contact.objects.get(pk=contact.pk).updated_at
    assert Contact.objects.get(pk=contact.pk).first_name == "Theirs"
    assert contact.activities.filter(event="edited").count() == 1


def test_an_update_from_the_current_version_is_applied():
    contact = ContactFactory(first_name="Ann")
    contact_update(contact=contact, actor=SYSTEM, version=contact.updated_at, first_name="Anne")
    assert Contact.objects.get(pk=contact.pk).first_name == "Anne"


def test_a_phone_added_by_an_order_makes_an_open_edit_form_stale():
    contact = ContactFactory()
    version = contact.updated_at
    contact_phone_add(contact=contact, number="+447700900123")
    with pytest.raises(ContactChanged):
        contact_update(contact=contact, actor=SYSTEM, version=version, first_name="Late")
