"""Every write to orders. Each way an order comes in (webhook, import, draft) ends in these."""

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction

from customers.models import Contact, Source, Stage
from customers.selectors import contact_live_by_email
from customers.services import (
    SHOP,
    Actor,
    PhoneInput,
    activity_record,
    contact_create,
    contact_orders_summary_add,
    contact_phone_add,
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
        contact_promote_to_customer(contact=contact, actor=actor, reason=f"{reference} placed")
        contact_sync_details(contact=contact, details=details, source_reference=reference, actor=actor)
        if data.phone and not contact.details_locked:
            contact_phone_add(contact=contact, number=data.phone)
    order = _order_create(data=data, contact=contact)
    contact_orders_summary_add(contact=contact, amount=order.total, placed_at=order.placed_at)
    activity_record(
        contact=contact,
        event="order_placed",
        actor=actor,
        body=f"{reference} placed",
        data={"order": order.pk, "total": str(order.total), "currency": order.currency},
    )
    return SyncResult(order=order, contact=contact, created=True)


def _order_create(*, data: PlacedOrderInput, contact: Contact) -> Order:
    line_totals = [line.unit_price * line.quantity for line in data.lines]
    subtotal = sum(line_totals, Decimal("0"))
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
        for position, (line, total) in enumerate(zip(data.lines, line_totals, strict=True))
    )
    return order
