"""orders.services.erasure: an erased buyer's details leave the orders; totals and lines stay."""

from decimal import Decimal

import pytest

from crm_core.actors import SYSTEM
from customers.models import Contact
from customers.services.trash import contact_erase
from orders.models import Order, OrderConflict
from orders.services import order_sync_placed, orders_buyer_erase
from tests.orders.support.services import full_order

pytestmark = pytest.mark.django_db


def test_after_erasure_a_replay_compares_only_what_was_kept_and_erasure_removes_conflicts():
    """The buyer's data as sent is personal data; it must not come back through a redelivery."""
    first = order_sync_placed(data=full_order()).order
    order_sync_placed(data=full_order(first_name="Anne"))
    contact = Contact.objects.get()
    orders_buyer_erase(contact=contact_erase(contact=contact, actor=SYSTEM).contact)
    assert not OrderConflict.objects.exists()
    assert order_sync_placed(data=full_order()).conflict is None
    result = order_sync_placed(data=full_order(first_name="Anne", tax=Decimal("2.00")))
    assert [item["field"] for item in result.conflict.differences] == ["tax", "total"]
    first.refresh_from_db()
    assert (first.buyer_first_name, first.buyer_email) == ("", f"erased-{contact.pk}@invalid")


def test_erasure_removes_the_details_that_could_not_be_read():
    from orders.payload import placed_order_from_payload
    from tests.orders.test_payload import changed

    result = order_sync_placed(data=placed_order_from_payload(changed("customer.phone", "call me on 0123")))
    orders_buyer_erase(contact=result.contact)
    assert Order.objects.get().buyer_unread == []
