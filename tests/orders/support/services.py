"""Helpers the order service tests share: a placed order as the shop sends it, stored orders, write statements."""

from datetime import UTC, datetime
from decimal import Decimal

from django.utils import timezone

from orders.models import Order
from orders.services import LineInput, PlacedOrderInput


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
