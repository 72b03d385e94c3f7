"""Reads of orders."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, QuerySet, Sum

from customers.models import Contact
from orders.models import COUNTED_STATUSES, Order, OrderStatus


def order_list(*, status: str | None = None, contact: Contact | None = None) -> QuerySet[Order]:
    """Return orders, newest first by placed date (drafts by when they were started), with their contact loaded.

    Optionally of one status or one contact.
    """
    orders = Order.objects.select_related("contact").order_by("-list_date", "-id")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    if contact is not None:
        orders = orders.filter(contact=contact)
    return orders


def order_detail(*, pk: int) -> Order:
    """Return one order with its lines, its contact and the later deliveries that differed from it."""
    return Order.objects.select_related("contact").prefetch_related("lines", "conflicts").get(pk=pk)


def drafts() -> QuerySet[Order]:
    """Return draft orders with their contact and lines, for the draft form."""
    return Order.objects.filter(status=OrderStatus.DRAFT).select_related("contact").prefetch_related("lines")


# The contact page shows the latest orders; the rest are on the orders list filtered to the contact, so a
# customer with hundreds of orders still loads in one bounded query.
CONTACT_ORDERS_SHOWN = 10


def orders_for_contact(*, contact: Contact) -> list[Order]:
    """Return a contact's latest orders, newest first by placed date (drafts by when they were started)."""
    return list(contact.orders.order_by("-list_date", "-id")[:CONTACT_ORDERS_SHOWN])


@dataclass(frozen=True)
class OrderTotals:
    """What a contact's orders add up to: the columns the contact keeps for the list."""

    orders_count: int = 0
    total_spent: Decimal = Decimal("0.00")
    last_order_at: datetime | None = None


def order_totals_by_contact(*, contact_ids: Iterable[int]) -> dict[int, OrderTotals]:
    """Return each contact's totals computed from its counted orders (no orders: zero, no date)."""
    ids = list(contact_ids)
    totals = dict.fromkeys(ids, OrderTotals())
    for row in (
        Order.objects.filter(contact__in=ids, status__in=COUNTED_STATUSES)
        .values("contact_id")
        .order_by("contact_id")
        .annotate(orders_count=Count("id"), total_spent=Sum("total"), last_order_at=Max("placed_at"))
    ):
        totals[row["contact_id"]] = OrderTotals(
            orders_count=row["orders_count"],
            total_spent=row["total_spent"].quantize(Decimal("0.01")),
            last_order_at=row["last_order_at"],
        )
    return totals
