"""check_contacts: each derived column is recomputed from its source, reported when it drifted, and repaired."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from contacts_crm.integrity import contacts_drift
from crm_core.actors import SYSTEM
from customers.models import ConsentSource, ConsentState, Contact
from customers.services import consent_record, contact_phone_add
from orders.models import OrderStatus
from orders.payload import placed_order_from_payload
from orders.services import order_sync_placed
from tests.factories import ContactFactory, MembershipFactory, OrderFactory
from tests.orders.test_payload import order_payload

pytestmark = pytest.mark.django_db


def check(*options) -> str:
    out = io.StringIO()
    call_command("check_contacts", *options, stdout=out)
    return out.getvalue()


def test_contacts_kept_by_the_services_have_nothing_to_repair():
    order_sync_placed(data=placed_order_from_payload(order_payload(id="1", email="ann@example.com")))
    order_sync_placed(data=placed_order_from_payload(order_payload(id="2", email="ANN@example.com")))
    contact = Contact.objects.get()
    consent_record(
        contact=contact,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how="Asked by phone",
        actor=SYSTEM,
    )
    MembershipFactory(contact=contact)
    contact_phone_add(contact=contact, number="+442079460000")
    ContactFactory()
    assert check() == "Checked 2 contacts: nothing to repair.\n"


@pytest.mark.parametrize(
    ("column", "wrong"),
    [
        ("orders_count", 7),
        ("total_spent", Decimal("1.00")),
        ("last_order_at", timezone.now() - timedelta(days=400)),
        ("marketing_consent", ConsentState.PENDING),
        ("search_document", "someone else"),
    ],
)
def test_each_derived_column_out_of_step_is_reported_then_repaired(column, wrong):
    order_sync_placed(data=placed_order_from_payload(order_payload(id="1", email="ann@example.com")))
    contact = Contact.objects.get()
    right = Contact.objects.filter(pk=contact.pk).values_list(column, flat=True).get()
    Contact.objects.filter(pk=contact.pk).update(**{column: wrong})
    with pytest.raises(CommandError, match=r"1 contact had 1 derived value out of step\. Run with --repair"):
        check()
    assert Contact.objects.filter(pk=contact.pk).values_list(column, flat=True).get() == wrong
    assert f"contact {contact.pk}: {column} is " in check("--repair")
    assert Contact.objects.filter(pk=contact.pk).values_list(column, flat=True).get() == right
    assert check() == "Checked 1 contact: nothing to repair.\n"


def test_drafts_and_cancelled_orders_are_not_counted():
    contact = ContactFactory()
    OrderFactory(contact=contact, status=OrderStatus.DRAFT, total=Decimal("5.00"), placed_at=None)
    OrderFactory(contact=contact, status=OrderStatus.CANCELLED, total=Decimal("6.00"))
    assert contacts_drift(contact_ids=[contact.pk]) == []


def test_a_repair_of_one_contact_leaves_the_others_alone():
    ann, bob = ContactFactory(), ContactFactory()
    Contact.objects.filter(pk=ann.pk).update(orders_count=3)
    Contact.objects.filter(pk=bob.pk).update(updated_at=timezone.now() - timedelta(days=3))
    bob_version = Contact.objects.get(pk=bob.pk).updated_at
    drift = contacts_drift(contact_ids=[ann.pk, bob.pk], repair=True)
    assert [(item.contact_id, item.column, item.stored, item.computed) for item in drift] == [
        (ann.pk, "orders_count", 3, 0)
    ]
    assert Contact.objects.get(pk=ann.pk).orders_count == 0
    assert Contact.objects.get(pk=bob.pk).updated_at == bob_version
