"""crm_core.models: a save of a contact read earlier writes only what it changed; every write moves the version."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import F
from django.utils import timezone

from crm_core.actors import SYSTEM
from customers.models import Contact, Stage
from customers.services import contact_orders_summary_add, contacts_trash
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_saving_a_copy_read_before_an_order_keeps_what_the_order_counted():
    contact = ContactFactory(first_name="Ann", stage=Stage.CUSTOMER)
    stale = Contact.objects.get(pk=contact.pk)
    contact_orders_summary_add(contact=contact, amount=Decimal("7.00"), placed_at=timezone.now())
    stale.first_name = "Anne"
    stale.save()
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.first_name, stored.orders_count, stored.total_spent) == ("Anne", 1, Decimal("7.00"))
    assert stored.last_order_at is not None


def test_saving_a_copy_read_before_the_trash_does_not_bring_the_contact_back():
    contact = ContactFactory()
    stale = Contact.objects.get(pk=contact.pk)
    contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM)
    stale.city = "York"
    stale.save()
    assert Contact.objects.get(pk=contact.pk).deleted_at is not None


def test_a_save_writes_the_changed_columns_and_the_version_only(django_assert_num_queries):
    contact = Contact.objects.get(pk=ContactFactory().pk)
    contact.city = "York"
    with django_assert_num_queries(1) as captured:
        contact.save()
    sql = captured.captured_queries[0]["sql"]
    assert '"city"' in sql
    assert '"updated_at"' in sql
    for column in ("orders_count", "total_spent", "last_order_at", "marketing_consent", "deleted_at", "stage"):
        assert f'"{column}"' not in sql


def test_a_save_with_nothing_changed_writes_nothing(django_assert_num_queries):
    contact = Contact.objects.get(pk=ContactFactory().pk)
    contact.city = contact.city
    with django_assert_num_queries(0):
        contact.save()


def test_values_refreshed_or_saved_count_as_stored():
    contact = Contact.objects.get(pk=ContactFactory().pk)
    Contact.objects.filter(pk=contact.pk).update(orders_count=F("orders_count") + 3)
    contact.refresh_from_db(fields=["orders_count"])
    assert contact.changed_fields() == []
    contact.city = "York"
    contact.save()
    assert contact.changed_fields() == []


def test_a_field_never_read_is_neither_compared_nor_written(django_assert_num_queries):
    contact = ContactFactory(first_name="Ann")
    partial = Contact.objects.only("first_name").get(pk=contact.pk)
    partial.first_name = "Anne"
    # No query to read the deferred columns back, and one UPDATE.
    with django_assert_num_queries(1):
        partial.save()
    assert Contact.objects.get(pk=contact.pk).first_name == "Anne"


def test_a_contact_created_in_this_process_saves_only_later_changes(django_assert_num_queries):
    contact = Contact.objects.create(email="ann@example.com")
    Contact.objects.filter(pk=contact.pk).update(orders_count=2)
    contact.first_name = "Ann"
    contact.save()
    assert Contact.objects.get(pk=contact.pk).orders_count == 2


def test_every_update_moves_the_version_but_a_search_document_refresh():
    contact = ContactFactory()
    before = timezone.now() - timedelta(days=1)
    Contact.objects.filter(pk=contact.pk).update(updated_at=before)
    Contact.objects.filter(pk=contact.pk).update(search_document="ann")
    assert Contact.objects.get(pk=contact.pk).updated_at == before
    Contact.objects.filter(pk=contact.pk).update(orders_count=F("orders_count") + 1)
    assert Contact.objects.get(pk=contact.pk).updated_at > before
