"""A placed order from the shop (webhook or import): the buyer found or created by email, the order stored once."""

import logging
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from crm_core.actors import SHOP, Actor
from customers.models import ConsentSource, ConsentState, Contact, OptInLevel, Source, Stage
from customers.selectors import contact_live_by_email_for_update
from customers.services import (
    PhoneInput,
    activity_record,
    consent_record,
    contact_create,
    contact_orders_summary_add,
    contact_promote_to_customer,
    contact_sync_details,
)
from orders.models import COUNTED_STATUSES, DeliverySource, Order
from orders.services.conflicts import order_conflict_record
from orders.services.inputs import PlacedOrderInput, SyncResult, UnreadDetail
from orders.services.lines import line_totals, lines_create
from orders.services.status import order_status_sync

logger = logging.getLogger(__name__)


# Two orders for one new email can race to create the contact; the loser retries and finds it.
SYNC_ATTEMPTS = 3


def order_sync_placed(
    *, data: PlacedOrderInput, actor: Actor = SHOP, source: DeliverySource = DeliverySource.WEBHOOK
) -> SyncResult:
    """Record a placed order: find or create its contact by email, promote a lead, sync or suggest details.

    Idempotent on the shop's order id: a replay returns the stored order and writes nothing; the same id
    with other content keeps the stored order too, and is recorded as a conflict (order_conflict_record).
    A later status the shop reports (paid, fulfilled, cancelled) moves the stored order (order_status_sync).
    """
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _order_sync_placed_once(data=data, actor=actor, source=source)
        except IntegrityError:
            if attempt == SYNC_ATTEMPTS:
                raise
            logger.info("Order %s lost a race on attempt %s; retrying", data.shop_order_id, attempt)
    raise AssertionError("unreachable")


def _order_sync_placed_once(*, data: PlacedOrderInput, actor: Actor, source: DeliverySource) -> SyncResult:
    existing = (
        Order.objects.select_related("contact")
        .prefetch_related("lines")
        .filter(shop_order_id=data.shop_order_id)
        .first()
    )
    if existing is not None:
        return order_stored_sync(order=existing, data=data, actor=actor, source=source)
    reference = order_reference(data)
    details = {"first_name": data.first_name, "last_name": data.last_name, **data.address}
    # Locked before any write: syncs for one contact (or a staff edit, or a merge) queue here, not deadlock.
    contact = contact_live_by_email_for_update(email=data.email)
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
        contact_promote_to_customer(contact=contact, actor=actor, source_reference=reference)
        contact_sync_details(
            contact=contact, details=details, phone=data.phone, source_reference=reference, actor=actor
        )
    order = _order_create(data=data, contact=contact)
    order_record_placed(
        order=order,
        contact=contact,
        actor=actor,
        accepts_marketing=data.accepts_marketing,
        accepts_marketing_at=data.accepts_marketing_at,
    )
    if data.unread:
        activity_record(
            contact=contact,
            event="order_details_unread",
            actor=actor,
            body=order_unread_described(unread=data.unread, source_reference=reference),
            data={"order": order.pk, "fields": [detail.field for detail in data.unread]},
        )
    return SyncResult(order=order, contact=contact, created=True)


def order_stored_sync(*, order: Order, data: PlacedOrderInput, actor: Actor, source: DeliverySource) -> SyncResult:
    """Meet an order id stored before (its contact and lines read): a replay, a conflict, or a later status."""
    conflict = order_conflict_record(order=order, data=data, source=source)
    order_status_sync(order=order, status=data.status, actor=actor)
    return SyncResult(order=order, contact=order.contact, created=False, conflict=conflict)


def order_reference(data: PlacedOrderInput) -> str:
    """Return how the timeline and suggestions name the order: "Order #1001"."""
    return f"Order {data.name or '#' + data.shop_order_id}"


def checkout_consent_described(*, order: Order) -> str:
    return f"Ticked the marketing box at checkout (order {order.number})"


def order_record_placed(
    *,
    order: Order,
    contact: Contact,
    actor: Actor,
    accepts_marketing: bool = False,
    accepts_marketing_at: datetime | None = None,
) -> None:
    """Count a placed order on its contact and put it on the timeline, with the buyer's consent if given.

    An order that arrives already cancelled is on the timeline but not in the orders count or total spent.
    """
    if order.status in COUNTED_STATUSES:
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
            given_at=accepts_marketing_at or order.placed_at,
            collected_how=checkout_consent_described(order=order),
            opt_in_level=OptInLevel.SINGLE,
            actor=actor,
        )


def _order_create(*, data: PlacedOrderInput, contact: Contact) -> Order:
    subtotal = sum(line_totals(data.lines), Decimal("0"))
    order = Order.objects.create(
        shop_order_id=data.shop_order_id,
        shop_name=data.name,
        status=data.status,
        contact=contact,
        buyer_email=data.email.strip(),
        buyer_first_name=data.first_name,
        buyer_last_name=data.last_name,
        buyer_phone=data.phone,
        currency=data.currency,
        subtotal=subtotal,
        shipping=data.shipping,
        tax=data.tax,
        discount=data.discount,
        total=subtotal + data.shipping + data.tax - data.discount,
        placed_at=data.placed_at,
        buyer_unread=[asdict(detail) for detail in data.unread],
        **data.address,
    )
    lines_create(order=order, lines=data.lines)
    return order


# A detail is quoted on the timeline only as far as anyone needs to recognise it; the order keeps it whole.
UNREAD_SHOWN = 60


def order_unread_described(*, unread: Sequence[UnreadDetail], source_reference: str) -> str:
    """Return the timeline's one line for details an order carried that could not be read.

    "Phone '0123' from Order #1001 could not be read", naming every such detail of the order.
    """
    quoted = []
    for detail in unread:
        value = detail.value if len(detail.value) <= UNREAD_SHOWN else detail.value[: UNREAD_SHOWN - 1] + "…"
        quoted.append(f"{detail.label} '{value}'")
    names = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" and {quoted[-1]}"
    return f"{names} from {source_reference} could not be read"
