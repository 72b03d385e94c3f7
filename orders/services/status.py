"""Where a shop order stands — placed, paid, fulfilled, cancelled — moved as the shop reports it, forward only."""

from django.db import transaction
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import Contact
from customers.services import activity_record, contacts_derived_set
from orders.models import Order, OrderStatus
from orders.selectors import order_totals_by_contact

# The way an order goes at the shop; cancelled may come after any of them and is final.
FORWARD = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED)


def order_status_sync(*, order: Order, status: OrderStatus, actor: Actor) -> bool:
    """Move a shop order to the status its shop reports; return whether it moved.

    Shops deliver their webhooks in any order and again, so an older state arriving after a newer one
    (paid after fulfilled, anything after cancelled) changes nothing. Cancelling takes the order out of its
    contact's orders count and total spent, recomputed from the orders under the contact's row lock.
    """
    if order.status == status or order.status not in FORWARD:
        return False
    if status != OrderStatus.CANCELLED and FORWARD.index(status) < FORWARD.index(order.status):
        return False
    # Only a move costs a transaction: a redelivery with the status already stored (most are) costs nothing.
    with transaction.atomic():
        _order_status_move(order=order, status=status, actor=actor)
    return True


def _order_status_move(*, order: Order, status: OrderStatus, actor: Actor) -> None:
    contact = Contact.objects.select_for_update().filter(pk=order.contact_id).first() if order.contact_id else None
    Order.objects.filter(pk=order.pk).update(status=status, updated_at=timezone.now())
    before, order.status = order.status, status
    if contact is None:
        return
    if status == OrderStatus.CANCELLED:
        totals = order_totals_by_contact(contact_ids=[contact.pk])[contact.pk]
        contacts_derived_set(
            values={
                contact.pk: {
                    "orders_count": totals.orders_count,
                    "total_spent": totals.total_spent,
                    "last_order_at": totals.last_order_at,
                }
            }
        )
    activity_record(
        contact=contact,
        event="order_status_changed",
        actor=actor,
        body=f"Order {order.number} {OrderStatus(status).label.lower()}",
        data={"order": order.pk, "from": before, "to": status},
    )
