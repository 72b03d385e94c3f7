"""Draft orders staff prepare on a contact's page: create, edit, delete and place."""

from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import Contact
from customers.services import (
    activity_record,
    contact_promote_to_customer,
    contact_sync_details,
)
from orders.models import Order, OrderStatus
from orders.services.inputs import LineInput
from orders.services.lines import lines_create, lines_replace, order_totals_set
from orders.services.placed import order_record_placed


def draft_buyer_prefill(*, contact: Contact) -> dict[str, str]:
    """Return what a new draft's buyer details start as: the contact's name, first phone and address."""
    phone = contact.phones.order_by("position", "id").values_list("number", flat=True).first() or ""
    return {
        "buyer_first_name": contact.first_name,
        "buyer_last_name": contact.last_name,
        "buyer_phone": phone,
        **{field: getattr(contact, field) for field in Contact.ADDRESS_FIELDS},
    }


def draft_order_unsaved(*, contact: Contact) -> Order:
    """Return the draft a new order form starts from, prefilled and not stored: Cancel leaves nothing behind."""
    return Order(
        status=OrderStatus.DRAFT,
        contact=contact,
        buyer_email=contact.email,
        currency=settings.SHOP_CURRENCY,
        **draft_buyer_prefill(contact=contact),
    )


@transaction.atomic
def draft_order_create(
    *,
    contact: Contact,
    actor: Actor,
    lines: Sequence[LineInput] = (),
    buyer: dict[str, str] | None = None,
    shipping: Decimal = Decimal("0"),
    tax: Decimal = Decimal("0"),
) -> Order:
    """Store a draft order for a contact, with its lines; buyer details not given are the contact's own."""
    order = draft_order_unsaved(contact=contact)
    for name, value in (buyer or {}).items():
        setattr(order, name, value)
    order.created_by = actor.user
    order_totals_set(order=order, lines=lines, shipping=shipping, tax=tax)
    order.save()
    lines_create(order=order, lines=lines)
    activity_record(
        contact=contact, event="order_drafted", actor=actor, body=f"{order.number} created", data={"order": order.pk}
    )
    return order


class NotADraft(Exception):
    """The order has been placed (or deleted) since the page was opened; drafts only can change."""


def _draft_locked(order: Order) -> Order:
    try:
        return Order.objects.select_for_update().get(pk=order.pk, status=OrderStatus.DRAFT)
    except Order.DoesNotExist as error:
        raise NotADraft(order.pk) from error


@transaction.atomic
def draft_order_update(
    *,
    order: Order,
    lines: Sequence[LineInput],
    buyer: dict[str, str],
    shipping: Decimal = Decimal("0"),
    tax: Decimal = Decimal("0"),
) -> Order:
    """Replace a draft's lines and buyer details and recompute its totals from the lines."""
    order = _draft_locked(order)
    for name, value in buyer.items():
        setattr(order, name, value)
    order_totals_set(order=order, lines=lines, shipping=shipping, tax=tax)
    order.save()
    lines_replace(order=order, lines=lines)
    return order


@transaction.atomic
def draft_order_delete(*, order: Order, actor: Actor) -> None:
    """Delete a draft order; placed orders are kept for the accounts."""
    order = _draft_locked(order)
    if order.contact_id:
        activity_record(
            contact=order.contact, event="draft_deleted", actor=actor, body=f"{order.number} deleted", data={}
        )
    order.delete()


class EmptyDraft(Exception):
    """A draft without lines cannot be placed."""


@transaction.atomic
def draft_order_place(*, order: Order, actor: Actor) -> Order:
    """Mark a draft as placed, with the same rules as a shop order: a lead becomes a customer.

    The buyer details typed in the draft reach the contact as a shop order's would: applied, or kept as
    suggestions when staff have locked the contact's details.
    """
    order = _draft_locked(order)
    if not order.lines.exists():
        raise EmptyDraft(order.pk)
    # Locked before any write, as a shop order locks it, so a staff edit or another order queues here.
    contact = Contact.objects.live().select_for_update().get(pk=order.contact_id)
    order.status, order.placed_at = OrderStatus.PLACED, timezone.now()
    order.save(update_fields=["status", "placed_at", "updated_at"])
    reference = f"Order {order.number}"
    contact_promote_to_customer(contact=contact, actor=actor, source_reference=reference)
    details = {
        "first_name": order.buyer_first_name,
        "last_name": order.buyer_last_name,
        **{field: getattr(order, field) for field in Contact.ADDRESS_FIELDS},
    }
    contact_sync_details(
        contact=contact, details=details, phone=order.buyer_phone, source_reference=reference, actor=actor
    )
    order_record_placed(order=order, contact=contact, actor=actor)
    return order
