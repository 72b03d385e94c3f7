"""Reads of orders."""

from django.db.models import QuerySet

from customers.models import Contact
from orders.models import Order, OrderStatus


def order_list(*, status: str | None = None, contact: Contact | None = None) -> QuerySet[Order]:
    """Return orders, newest first, with their contact loaded; optionally of one status or one contact."""
    orders = Order.objects.select_related("contact").order_by("-created_at", "-id")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    if contact is not None:
        orders = orders.filter(contact=contact)
    return orders


def order_detail(*, pk: int) -> Order:
    """Return one order with its lines and contact."""
    return Order.objects.select_related("contact").prefetch_related("lines").get(pk=pk)


def drafts() -> QuerySet[Order]:
    """Return draft orders with their contact and lines, for the draft form."""
    return Order.objects.filter(status=OrderStatus.DRAFT).select_related("contact").prefetch_related("lines")


# The contact page shows the latest orders; the rest are on the orders list filtered to the contact, so a
# customer with hundreds of orders still loads in one bounded query.
CONTACT_ORDERS_SHOWN = 10


def orders_for_contact(*, contact: Contact) -> list[Order]:
    """Return a contact's latest orders, newest first (drafts by when they were started)."""
    return list(contact.orders.order_by("-created_at", "-id")[:CONTACT_ORDERS_SHOWN])
