"""orders.services.conflicts: a replay writes nothing; an order id re-sent with other content is a conflict."""

from dataclasses import replace
from datetime import timedelta
from datetime import timezone as tz
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_core.actors import SYSTEM
from customers.models import Contact
from orders.models import DeliverySource, Order, OrderConflict, OrderLine
from orders.services import order_sync_placed
from tests.orders.support.services import MUG, PLACED_AT, TOWEL, full_order, placed, stored_order, write_statements

pytestmark = pytest.mark.django_db


def test_replaying_an_order_writes_nothing():
    order_sync_placed(data=placed())
    again = order_sync_placed(data=placed())
    assert again.created is False
    assert Order.objects.count() == 1
    assert Contact.objects.get().orders_count == 1


def test_replaying_the_same_order_writes_nothing_not_even_a_conflict():
    """Letter case of the email and the offset of the same moment do not make it another order."""
    first = order_sync_placed(data=full_order())
    again = full_order(email="ANN@Example.com ", placed_at=PLACED_AT.astimezone(tz(timedelta(hours=-5))))
    with CaptureQueriesContext(connection) as queries:
        result = order_sync_placed(data=again)
    assert (result.created, result.conflict, result.order.pk) == (False, None, first.order.pk)
    assert write_statements(queries.captured_queries) == []
    assert not OrderConflict.objects.exists()


def test_an_order_id_re_sent_with_other_content_is_a_conflict_and_the_first_version_is_kept():
    first = order_sync_placed(data=full_order()).order
    before = stored_order(first)
    changed = full_order(
        email="ann.lee@example.com",
        placed_at=PLACED_AT + timedelta(minutes=1),
        currency="GBP",
        first_name="Anne",
        phone="",
        address={**full_order().address, "city": "Leeds", "region": "West Yorkshire"},
        lines=(replace(MUG, quantity=3), replace(TOWEL, sku="TT-1", unit_price=Decimal("7.00"))),
        shipping=Decimal("5.95"),
    )
    result = order_sync_placed(data=changed, actor=SYSTEM, source=DeliverySource.IMPORT)
    assert (result.created, result.order.pk) == (False, first.pk)
    assert stored_order(first) == before
    conflict = OrderConflict.objects.get()
    assert result.conflict == conflict
    assert (conflict.order, conflict.source, conflict.deliveries) == (first, DeliverySource.IMPORT, 1)
    assert conflict.differences == [
        {"field": "email", "stored": "ann@example.com", "received": "ann.lee@example.com"},
        {"field": "placed_at", "stored": "2026-03-01T09:15:00+00:00", "received": "2026-03-01T09:16:00+00:00"},
        {"field": "currency", "stored": "EUR", "received": "GBP"},
        {"field": "customer.first_name", "stored": "Ann", "received": "Anne"},
        {"field": "customer.phone", "stored": "+442071838750", "received": ""},
        {"field": "shipping_address.city", "stored": "York", "received": "Leeds"},
        {"field": "shipping_address.province", "stored": "", "received": "West Yorkshire"},
        {"field": "lines[0].quantity", "stored": 2, "received": 3},
        {"field": "lines[1].sku", "stored": "", "received": "TT-1"},
        {"field": "lines[1].unit_price", "stored": "6.50", "received": "7.00"},
        {"field": "shipping", "stored": "4.95", "received": "5.95"},
        {"field": "total", "stored": "40.45", "received": "55.95"},
    ]
    assert conflict.summary.startswith("email ann@example.com → ann.lee@example.com, placed_at ")
    assert "customer.phone +442071838750 → (empty), " in conflict.summary


def test_a_line_added_or_removed_lists_the_lines_as_a_whole():
    order_sync_placed(data=full_order())
    result = order_sync_placed(data=full_order(lines=(MUG,)))
    assert result.conflict.differences == [
        {
            "field": "lines",
            "stored": [
                {"name": "Ceramic mug", "sku": "MUG-1", "quantity": 2, "unit_price": "14.00"},
                {"name": "Tea towel", "sku": "", "quantity": 1, "unit_price": "6.50"},
            ],
            "received": [{"name": "Ceramic mug", "sku": "MUG-1", "quantity": 2, "unit_price": "14.00"}],
        },
        {"field": "total", "stored": "40.45", "received": "33.95"},
    ]
    assert result.conflict.summary == (
        "lines 2 × Ceramic mug (MUG-1) at 14.00 + 1 × Tea towel at 6.50 → 2 × Ceramic mug (MUG-1) at 14.00, "
        "total 40.45 → 33.95"
    )


def test_the_same_conflicting_delivery_again_counts_on_one_record():
    """Each distinct content from each source is one record; repeats only count its deliveries."""
    order_sync_placed(data=full_order())
    for _ in range(3):
        order_sync_placed(data=full_order(tax=Decimal("2.00")))
    order_sync_placed(data=full_order(tax=Decimal("2.00")), source=DeliverySource.IMPORT)
    order_sync_placed(data=full_order(tax=Decimal("3.00")))
    conflicts = OrderConflict.objects.all()
    assert [(item.source, item.differences[0]["received"], item.deliveries) for item in conflicts] == [
        ("webhook", "2.00", 3),
        ("import", "2.00", 1),
        ("webhook", "3.00", 1),
    ]
    first = OrderConflict.objects.first()
    assert first.last_received_at > first.received_at
    assert OrderLine.objects.count() == 2


def test_a_detail_that_could_not_be_read_is_compared_as_sent():
    from orders.payload import placed_order_from_payload
    from tests.orders.test_payload import changed

    first = placed_order_from_payload(changed("customer.phone", "0123"))
    assert order_sync_placed(data=first).created
    assert order_sync_placed(data=first).conflict is None
    again = order_sync_placed(data=placed_order_from_payload(changed("customer.phone", "0124")))
    assert again.conflict.differences == [{"field": "customer.phone", "stored": "0123", "received": "0124"}]
    read = order_sync_placed(data=placed_order_from_payload(changed("customer.phone", "020 7183 8750")))
    assert read.conflict.differences == [{"field": "customer.phone", "stored": "0123", "received": "+442071838750"}]
