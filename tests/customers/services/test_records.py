"""Every write that changes a contact gives it a new version, so an edit form opened before it is refused as stale.

The version is updated_at; contact_update compares it under the row lock (SECURITY 29, 51).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from companies.models import MembershipAccess
from companies.services import company_delete, membership_add, membership_remove, membership_set_access
from crm_core.actors import SYSTEM
from customers.models import ConsentSource, ConsentState, Contact, Stage
from customers.services import (
    ContactChanged,
    consent_record,
    contact_label_remove,
    contact_labels_add,
    contact_orders_summary_add,
    contact_phone_add,
    contact_promote_to_customer,
    contact_unlock,
    contact_update,
    contacts_label_add,
    contacts_label_remove,
    contacts_search_refresh,
    contacts_trash,
)
from orders.services import draft_order_create, draft_order_place
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, MembershipFactory, OrderLineFactory

pytestmark = pytest.mark.django_db

LONG_AGO = timezone.now() - timedelta(days=30)


def _order_counted(contact):
    contact_orders_summary_add(contact=contact, amount=Decimal("5.00"), placed_at=timezone.now())


def _label_added(contact):
    contact_labels_add(contact=contact, labels=[LabelFactory()], actor=SYSTEM)


def _label_removed(contact):
    label = LabelFactory()
    contact.labels.add(label)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    contact_label_remove(contact=contact, label=label, actor=SYSTEM)


def _label_added_in_bulk(contact):
    contacts_label_add(contacts=Contact.objects.filter(pk=contact.pk), label=LabelFactory(), actor=SYSTEM)


def _label_removed_in_bulk(contact):
    label = LabelFactory()
    contact.labels.add(label)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    contacts_label_remove(contacts=Contact.objects.filter(pk=contact.pk), label=label, actor=SYSTEM)


def _company_added(contact):
    membership_add(contact=contact, company=CompanyFactory(), actor=SYSTEM)


def _company_access_changed(contact):
    membership = MembershipFactory(contact=contact)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    membership_set_access(membership=membership, portal_access=MembershipAccess.COMPANY, actor=SYSTEM)


def _company_removed(contact):
    membership = MembershipFactory(contact=contact)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    membership_remove(membership=membership, actor=SYSTEM)


def _company_deleted(contact):
    membership = MembershipFactory(contact=contact)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    company_delete(company=membership.company, actor=SYSTEM)


def _consent_changed(contact):
    consent_record(
        contact=contact,
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how="By phone",
        actor=SYSTEM,
    )


def _phone_added(contact):
    contact_phone_add(contact=contact, number="+442071838750")


def _promoted(contact):
    contact_promote_to_customer(contact=contact, actor=SYSTEM, source_reference="Order #1")


def _unlocked(contact):
    Contact.objects.filter(pk=contact.pk).update(details_locked=True, updated_at=LONG_AGO)
    contact_unlock(contact=contact, actor=SYSTEM)


def _draft_placed(contact):
    order = draft_order_create(contact=contact, actor=SYSTEM)
    OrderLineFactory(order=order)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    draft_order_place(order=order, actor=SYSTEM)


def _trashed(contact):
    contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM)


WRITES = [
    _order_counted,
    _label_added,
    _label_removed,
    _label_added_in_bulk,
    _label_removed_in_bulk,
    _company_added,
    _company_access_changed,
    _company_removed,
    _company_deleted,
    _consent_changed,
    _phone_added,
    _promoted,
    _unlocked,
    _draft_placed,
    _trashed,
]


@pytest.mark.parametrize("write", WRITES, ids=lambda write: write.__name__.strip("_"))
def test_the_write_moves_the_version_so_an_older_edit_form_is_refused(write):
    contact = ContactFactory(stage=Stage.LEAD)
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    opened = Contact.objects.get(pk=contact.pk)
    write(Contact.objects.get(pk=contact.pk))
    assert Contact.objects.get(pk=contact.pk).updated_at > LONG_AGO
    with pytest.raises(ContactChanged):
        contact_update(contact=opened, actor=SYSTEM, version=opened.updated_at, first_name="Anne")


def test_a_search_document_refresh_leaves_the_version_alone():
    contact = ContactFactory()
    Contact.objects.filter(pk=contact.pk).update(updated_at=LONG_AGO)
    contacts_search_refresh(contact_ids=[contact.pk])
    assert Contact.objects.get(pk=contact.pk).updated_at == LONG_AGO


def test_an_edit_without_a_version_writes_only_what_it_changed():
    """The Django admin edits without a version: what an order counted in between survives."""
    contact = ContactFactory(first_name="Ann")
    opened = Contact.objects.get(pk=contact.pk)
    _order_counted(contact)
    _consent_changed(Contact.objects.get(pk=contact.pk))
    contact_update(contact=opened, actor=SYSTEM, first_name="Anne")
    stored = Contact.objects.get(pk=contact.pk)
    assert (stored.first_name, stored.orders_count, stored.total_spent) == ("Anne", 1, Decimal("5.00"))
    assert stored.marketing_consent == ConsentState.SUBSCRIBED
    assert stored.details_locked
