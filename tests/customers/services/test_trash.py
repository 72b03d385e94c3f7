"""customers.services.trash: moving to the Trash, restoring, purging and erasure, and what each leaves behind."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from companies.models import Company, Membership
from crm_core import batching
from crm_core.actors import SYSTEM, Actor
from customers import services
from customers.images import image_process
from customers.models import Activity, ConsentRecord, Contact, Label, PhoneNumber
from customers.services import (
    contact_create,
    contacts_trash,
    trash,
)
from orders.models import Order, OrderLine
from tests.customers.support.trash import contact_with_everything, sqlite_search_hits, stored_files, trashed_ids
from tests.factories import (
    ContactFactory,
    UserFactory,
)
from tests.images import png_upload

pytestmark = pytest.mark.django_db


def test_trash_moves_live_contacts_with_one_moment_and_records_each():
    ann, bob = ContactFactory(), ContactFactory()
    already = ContactFactory(deleted_at=timezone.now() - timedelta(days=3))
    at = timezone.now()
    moved = services.contacts_trash(contacts=Contact.objects.all(), actor=SYSTEM, at=at)
    assert moved == 2
    assert set(Contact.objects.filter(deleted_at=at)) == {ann, bob}
    assert Contact.objects.get(pk=already.pk).deleted_at < at
    assert sorted(Activity.objects.filter(event="trashed").values_list("contact_id", flat=True)) == [ann.pk, bob.pk]
    assert set(Activity.objects.filter(event="trashed").values_list("body", "actor_kind")) == {
        ("Moved to the Trash", "system")
    }


def test_trash_walks_the_selection_in_batches(monkeypatch):
    monkeypatch.setattr(batching, "BATCH_SIZE", 3)
    contacts = ContactFactory.create_batch(8)
    assert services.contacts_trash(contacts=Contact.objects.all(), actor=SYSTEM) == 8
    assert trashed_ids() == {contact.pk for contact in contacts}
    assert Activity.objects.filter(event="trashed").count() == 8


def test_restore_brings_back_exactly_one_delete_and_skips_a_taken_email():
    user = UserFactory()
    first, second = timezone.now() - timedelta(minutes=5), timezone.now()
    ann = ContactFactory(email="ann@example.com")
    bob = ContactFactory(email="bob@example.com")
    other = ContactFactory()
    services.contacts_trash(contacts=Contact.objects.filter(pk=other.pk), actor=SYSTEM, at=first)
    services.contacts_trash(contacts=Contact.objects.filter(pk__in=[ann.pk, bob.pk]), actor=SYSTEM, at=second)
    new_bob = ContactFactory(email="BOB@example.com ")
    result = trash.contacts_restore(contacts=Contact.objects.filter(deleted_at=second), actor=Actor.staff(user))
    assert result.count == 1
    assert result.blocked == [(bob.pk, new_bob.pk)]
    assert trashed_ids() == {bob.pk, other.pk}
    assert Activity.objects.get(event="restored").contact_id == ann.pk
    assert Activity.objects.get(event="restored").actor == user


def test_purge_deletes_every_row_of_the_contact_and_keeps_its_orders_unlinked(
    media, django_capture_on_commit_callbacks
):
    contact = contact_with_everything(first_name="Ann", last_name="Lee", email="ann@example.com")
    services.contact_update(contact=contact, actor=SYSTEM, image=image_process(png_upload()), first_name="Ann")
    order = contact.orders.get()
    order.buyer_first_name = "Ann"
    order.save()
    keeper = contact_with_everything()
    services.contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM)
    assert len(stored_files(media)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        purged = trash.contacts_purge(contacts=Contact.objects.all(), actor=SYSTEM)
    assert purged.contacts == 1
    assert purged.unlinked["orders.order"] == 1
    assert purged.deleted["customers.phonenumber"] == 1
    assert not Contact.objects.filter(pk=contact.pk).exists()
    for model in (PhoneNumber, Activity, ConsentRecord, Membership, Contact.labels.through):
        assert set(model.objects.values_list("contact_id", flat=True)) == {keeper.pk}, model
    order.refresh_from_db()
    assert (order.contact, order.buyer_first_name, order.buyer_email, order.total) == (
        None,
        "Ann",
        "ann@example.com",
        Decimal("20.00"),
    )
    assert OrderLine.objects.filter(order=order).count() == 1
    # Labels and companies are shared: only the links went.
    assert Label.objects.count() == 2
    assert Company.objects.count() == 2
    assert stored_files(media) == []
    assert Contact.objects.get() == keeper


def test_purge_leaves_live_contacts_alone():
    live = ContactFactory()
    assert trash.contacts_purge(contacts=Contact.objects.all(), actor=SYSTEM).contacts == 0
    assert Contact.objects.get() == live


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the FTS table exists on SQLite only")
def test_purge_removes_the_contact_from_the_sqlite_search_table():
    contact = ContactFactory(first_name="Zebulon", deleted_at=timezone.now())
    trash.contacts_purge(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM)
    assert sqlite_search_hits("zebulon") == []


def test_purge_goes_through_the_collector_when_someone_listens_for_deletes():
    from django.db.models.signals import post_delete

    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance.pk)

    contact = contact_with_everything(deleted_at=timezone.now())
    post_delete.connect(listener, sender=Contact)
    try:
        purged = trash.contacts_purge(contacts=Contact.objects.all(), actor=SYSTEM)
    finally:
        post_delete.disconnect(listener, sender=Contact)
    assert seen == [contact.pk]
    assert purged.contacts == 1
    assert not PhoneNumber.objects.exists()
    assert Order.objects.get().contact is None


@pytest.mark.parametrize("contacts", [10, 200])
def test_purge_costs_the_same_queries_for_10_or_200_contacts(django_assert_num_queries, contacts):
    for _ in range(contacts):
        contact_with_everything(deleted_at=timezone.now())
    expected = [
        "savepoint",
        "the first batch of contacts in the Trash, locked, with their image names",
        "delete their label links",
        "delete their phones",
        "delete their activity",
        "delete their consent records",
        "delete their suggested updates",
        "delete their company memberships",
        "unlink their orders",
        "unlink their tickets (kept for staff, without a requester)",
        "unlink the ticket messages they wrote",
        "delete their Customer Portal sign-in links",
        "delete their email aliases",
        "delete the possible duplicate pairs they are the first of",
        "delete those they are the second of",
        "delete the dismissed pairs they are the first of",
        "delete those they are the second of",
        "delete the records of merges into them",
        "delete the contacts",
        "the next batch: none",
        "release savepoint",
    ]
    with django_assert_num_queries(len(expected)):
        purged = trash.contacts_purge(contacts=Contact.objects.all(), actor=SYSTEM)
    assert purged.contacts == contacts
    assert not Contact.objects.exists()
    assert Order.objects.filter(contact__isnull=True).count() == contacts


def test_a_manager_role_holds_the_erase_permission_and_staff_do_not(manager, staff_user, viewer):
    assert manager.has_perm("customers.erase_contact")
    assert not staff_user.has_perm("customers.erase_contact")
    assert not viewer.has_perm("customers.erase_contact")


def test_trashing_frees_the_email_and_records_it():
    contact = ContactFactory(email="ann@example.com")
    assert contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM) == 1
    contact.refresh_from_db()
    assert contact.deleted_at is not None
    assert contact.activities.filter(event="trashed").exists()
    assert contact_create(email="ann@example.com", actor=SYSTEM).pk != contact.pk
