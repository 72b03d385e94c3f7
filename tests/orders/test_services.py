from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import timezone as tz
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_core.actors import SYSTEM
from customers.models import Contact, Source, Stage, SuggestedUpdate
from customers.services.trash import contact_erase
from orders.models import DeliverySource, Order, OrderConflict, OrderLine
from orders.services import LineInput, PlacedOrderInput, order_sync_placed, orders_buyer_erase
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def placed(shop_order_id="1001", email="ann@example.com", **overrides) -> PlacedOrderInput:
    values = {
        "shop_order_id": shop_order_id,
        "email": email,
        "placed_at": timezone.now(),
        "first_name": "Ann",
        "last_name": "Lee",
        "lines": (LineInput(name="Mug", unit_price=Decimal("14.00"), quantity=2),),
        "shipping": Decimal("4.95"),
    }
    return PlacedOrderInput(**{**values, **overrides})


def test_a_new_email_creates_a_customer_with_the_order():
    result = order_sync_placed(data=placed())
    contact = result.contact
    assert (contact.stage, contact.source, contact.orders_count) == (Stage.CUSTOMER, Source.ORDER, 1)
    assert result.order.total == Decimal("32.95")
    assert Contact.objects.get(pk=contact.pk).total_spent == Decimal("32.95")


def test_a_case_variant_of_a_known_email_updates_the_same_contact():
    first = order_sync_placed(data=placed("1", email="Ann@Example.com"))
    second = order_sync_placed(data=placed("2", email=" ann@example.com", address={"city": "York"}))
    assert first.contact.pk == second.contact.pk
    assert Contact.objects.get().city == "York"


def test_an_order_promotes_a_lead_to_customer():
    lead = ContactFactory(email="ann@example.com", stage=Stage.LEAD)
    order_sync_placed(data=placed())
    lead.refresh_from_db()
    assert lead.stage == Stage.CUSTOMER
    assert lead.activities.filter(event="became_customer").exists()


def test_locked_details_are_kept_and_the_order_becomes_suggestions():
    ContactFactory(email="ann@example.com", first_name="Annie", details_locked=True)
    order_sync_placed(data=placed(first_name="Ann"))
    contact = Contact.objects.get()
    assert contact.first_name == "Annie"
    assert list(SuggestedUpdate.objects.order_by("field").values_list("field", "value")) == [
        ("first_name", "Ann"),
        ("last_name", "Lee"),
    ]


def test_replaying_an_order_writes_nothing():
    order_sync_placed(data=placed())
    again = order_sync_placed(data=placed())
    assert again.created is False
    assert Order.objects.count() == 1
    assert Contact.objects.get().orders_count == 1


PLACED_AT = datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
MUG = LineInput(name="Ceramic mug", sku="MUG-1", unit_price=Decimal("14.00"), quantity=2)
TOWEL = LineInput(name="Tea towel", unit_price=Decimal("6.50"))


def full_order(**overrides) -> PlacedOrderInput:
    """Return an order with every compared field set."""
    values = {
        "placed_at": PLACED_AT,
        "currency": "EUR",
        "phone": "+442071838750",
        "address": {"address_line1": "1 High Street", "city": "York", "postal_code": "YO1 7HH", "country": "GB"},
        "lines": (MUG, TOWEL),
        "tax": Decimal("1.00"),
    }
    return placed(**{**values, **overrides})


def stored_order(order: Order) -> tuple:
    order.refresh_from_db()
    columns = [field.attname for field in Order._meta.concrete_fields]
    return tuple(getattr(order, name) for name in columns), list(order.lines.values())


def write_statements(queries) -> list[str]:
    return [query["sql"] for query in queries if query["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]


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


def test_erasure_removes_the_details_that_could_not_be_read():
    from orders.payload import placed_order_from_payload
    from tests.orders.test_payload import changed

    result = order_sync_placed(data=placed_order_from_payload(changed("customer.phone", "call me on 0123")))
    orders_buyer_erase(contact=result.contact)
    assert Order.objects.get().buyer_unread == []
