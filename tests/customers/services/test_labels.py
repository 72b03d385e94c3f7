"""customers.services.labels: labels on one contact or a selection, renamed and deleted, each change recorded."""

import pytest
from django.utils import timezone

from crm_core.actors import SYSTEM, Actor, ActorKind
from customers.models import Label, LabelColour
from customers.services import (
    contact_label_remove,
    contact_labels_add,
    label_delete,
    label_get_or_create_by_name,
)
from tests.factories import ContactFactory, LabelFactory, UserFactory

pytestmark = pytest.mark.django_db


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
