"""Reads of orders."""

from django.db.models import QuerySet

from customers.models import Contact
from orders.models import Order, OrderStatus


def order_list(*, status: str | None = None) -> QuerySet[Order]:
    """Return orders, newest first, with their contact loaded."""
    orders = Order.objects.select_related("contact").order_by("-created_at", "-id")
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders


def order_detail(*, pk: int) -> Order:
    """Return one order with its lines and contact."""
    return Order.objects.select_related("contact").prefetch_related("lines").get(pk=pk)


def orders_for_contact(*, contact: Contact) -> QuerySet[Order]:
    """Return a contact's orders, newest first."""
    return contact.orders.order_by("-created_at", "-id")
