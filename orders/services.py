"""Every write to orders. Each way an order comes in (webhook, import, draft) ends in these."""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from customers.models import ConsentSource, ConsentState, Contact, OptInLevel, Source, Stage
from customers.selectors import contact_live_by_email
from customers.services import (
    SHOP,
    Actor,
    PhoneInput,
    activity_record,
    consent_record,
    contact_create,
    contact_orders_summary_add,
    contact_promote_to_customer,
    contact_sync_details,
)
from orders.models import Order, OrderLine, OrderStatus

logger = logging.getLogger(__name__)

# Two orders for one new email can race to create the contact; the loser retries and finds it.
SYNC_ATTEMPTS = 3


@dataclass(frozen=True)
class LineInput:
    name: str
    unit_price: Decimal
    quantity: int = 1
    sku: str = ""


@dataclass(frozen=True)
class PlacedOrderInput:
    """A placed order as the shop sends it, already validated."""

    shop_order_id: str
    email: str
    placed_at: datetime
    lines: tuple[LineInput, ...]
    currency: str = "EUR"
    first_name: str = ""
    last_name: str = ""
    phone: str = ""  # E.164
    address: dict[str, str] = field(default_factory=dict)
    shipping: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    # The buyer ticked the shop's marketing box at checkout: appended as a consent record from checkout.
    accepts_marketing: bool = False


@dataclass(frozen=True)
class SyncResult:
    order: Order
    contact: Contact
    created: bool


def order_sync_placed(*, data: PlacedOrderInput, actor: Actor = SHOP) -> SyncResult:
    """Record a placed order: find or create its contact by email, promote a lead, sync or suggest details.

    Idempotent on the shop's order id: a replay returns the stored order and writes nothing.
    """
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _order_sync_placed_once(data=data, actor=actor)
        except IntegrityError:
            if attempt == SYNC_ATTEMPTS:
                raise
            logger.info("Order %s lost a race on attempt %s; retrying", data.shop_order_id, attempt)
    raise AssertionError("unreachable")


def _order_sync_placed_once(*, data: PlacedOrderInput, actor: Actor) -> SyncResult:
    existing = Order.objects.select_related("contact").filter(shop_order_id=data.shop_order_id).first()
    if existing is not None:
        return SyncResult(order=existing, contact=existing.contact, created=False)
    reference = f"Order #{data.shop_order_id}"
    details = {"first_name": data.first_name, "last_name": data.last_name, **data.address}
    contact = contact_live_by_email(email=data.email)
    if contact is None:
        contact = contact_create(
            email=data.email,
            actor=actor,
            stage=Stage.CUSTOMER,
            source=Source.ORDER,
            phones=[PhoneInput(number=data.phone)] if data.phone else [],
            **details,
        )
    else:
        # Lock the row before any write: syncs for one contact (or a staff edit) queue here, not deadlock.
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        contact_promote_to_customer(contact=contact, actor=actor, reason=f"{reference} placed")
        contact_sync_details(
            contact=contact, details=details, phone=data.phone, source_reference=reference, actor=actor
        )
    order = _order_create(data=data, contact=contact)
    _order_record_placed(order=order, contact=contact, actor=actor, accepts_marketing=data.accepts_marketing)
    return SyncResult(order=order, contact=contact, created=True)


def _order_record_placed(*, order: Order, contact: Contact, actor: Actor, accepts_marketing: bool = False) -> None:
    """Count a placed order on its contact and put it on the timeline, with the buyer's consent if given."""
    contact_orders_summary_add(contact=contact, amount=order.total, placed_at=order.placed_at)
    activity_record(
        contact=contact,
        event="order_placed",
        actor=actor,
        body=f"Order {order.number} placed",
        data={"order": order.pk, "total": str(order.total), "currency": order.currency},
    )
    if accepts_marketing:
        consent_record(
            contact=contact,
            state=ConsentState.SUBSCRIBED,
            source=ConsentSource.CHECKOUT,
            given_at=order.placed_at,
            collected_how=f"Ticked the marketing box at checkout (order {order.number})",
            opt_in_level=OptInLevel.SINGLE,
            actor=actor,
        )


def _line_totals(lines: Sequence[LineInput]) -> list[Decimal]:
    return [line.unit_price * line.quantity for line in lines]


def _lines_replace(*, order: Order, lines: Sequence[LineInput]) -> None:
    order.lines.all().delete()
    _lines_create(order=order, lines=lines)


def _lines_create(*, order: Order, lines: Sequence[LineInput]) -> None:
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            name=line.name,
            sku=line.sku,
            quantity=line.quantity,
            unit_price=line.unit_price,
            total=total,
            position=position,
        )
        for position, (line, total) in enumerate(zip(lines, _line_totals(lines), strict=True))
    )


@transaction.atomic
def draft_order_create(*, contact: Contact, actor: Actor) -> Order:
    """Start a draft order for a contact, prefilled with its email, name, first phone and address."""
    phone = contact.phones.order_by("position", "id").values_list("number", flat=True).first() or ""
    order = Order.objects.create(
        status=OrderStatus.DRAFT,
        contact=contact,
        buyer_email=contact.email,
        buyer_first_name=contact.first_name,
        buyer_last_name=contact.last_name,
        buyer_phone=phone,
        currency=settings.SHOP_CURRENCY,
        created_by=actor.user,
        **{field: getattr(contact, field) for field in Contact.ADDRESS_FIELDS},
    )
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
    subtotal = sum(_line_totals(lines), Decimal("0"))
    order.subtotal, order.shipping, order.tax = subtotal, shipping, tax
    order.total = subtotal + shipping + tax
    order.save()
    _lines_replace(order=order, lines=lines)
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
    contact_promote_to_customer(contact=contact, actor=actor, reason=f"{reference} placed")
    details = {
        "first_name": order.buyer_first_name,
        "last_name": order.buyer_last_name,
        **{field: getattr(order, field) for field in Contact.ADDRESS_FIELDS},
    }
    contact_sync_details(
        contact=contact, details=details, phone=order.buyer_phone, source_reference=reference, actor=actor
    )
    _order_record_placed(order=order, contact=contact, actor=actor)
    return order


def _order_create(*, data: PlacedOrderInput, contact: Contact) -> Order:
    subtotal = sum(_line_totals(data.lines), Decimal("0"))
    order = Order.objects.create(
        shop_order_id=data.shop_order_id,
        status=OrderStatus.PLACED,
        contact=contact,
        buyer_email=data.email.strip(),
        buyer_first_name=data.first_name,
        buyer_last_name=data.last_name,
        buyer_phone=data.phone,
        currency=data.currency,
        subtotal=subtotal,
        shipping=data.shipping,
        tax=data.tax,
        total=subtotal + data.shipping + data.tax,
        placed_at=data.placed_at,
        **data.address,
    )
    _lines_create(order=order, lines=data.lines)
    return order


@transaction.atomic
def orders_buyer_erase(*, contact: Contact) -> int:
    """Remove the buyer's personal data from an erased contact's orders; return how many orders were kept.

    A privacy request (customers.trash.contact_erase): the name, phone and address of the snapshot go and
    the email becomes the contact's placeholder; number, status, lines, totals and dates stay for the accounts.
    """
    return Order.objects.filter(contact=contact).update(
        buyer_email=contact.email,
        buyer_first_name="",
        buyer_last_name="",
        buyer_phone="",
        **dict.fromkeys(Order.ADDRESS_FIELDS, ""),
        updated_at=timezone.now(),
    )
