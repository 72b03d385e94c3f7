"""Every write to orders. Each way an order comes in (webhook, import, draft) ends in these, and so does
the rule for telling a replay from an order id re-sent with different content."""

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from crm_core.actors import SHOP, Actor
from customers.models import ConsentSource, ConsentState, Contact, OptInLevel, Source, Stage
from customers.selectors import contact_live_by_email
from customers.services import (
    PhoneInput,
    activity_record,
    consent_record,
    contact_create,
    contact_orders_summary_add,
    contact_promote_to_customer,
    contact_sync_details,
)
from customers.services.trash import ERASED_EMAIL
from orders.models import DeliverySource, Order, OrderConflict, OrderLine, OrderStatus

logger = logging.getLogger(__name__)

# Two orders for one new email can race to create the contact; the loser retries and finds it.
SYNC_ATTEMPTS = 3
# The shop's names for the parts of the address (orders.payload reads them), and the columns they are stored
# in; a difference between two deliveries is named the shop's way too: "shipping_address.city".
ADDRESS_FIELDS = {
    "address1": "address_line1",
    "address2": "address_line2",
    "city": "city",
    "province": "region",
    "zip": "postal_code",
}
# Erasure (orders_buyer_erase) leaves the contact's placeholder as the buyer's email. No order can bring in
# an address at this domain (an email needs a dotted one), so an order with one has had its buyer erased.
ERASED_DOMAIN = "@" + ERASED_EMAIL.partition("@")[2]


@dataclass(frozen=True)
class LineInput:
    name: str
    unit_price: Decimal
    quantity: int = 1
    sku: str = ""


@dataclass(frozen=True)
class UnreadDetail:
    """An optional buyer detail an order carried that could not be used: kept as sent, left off the contact."""

    field: str  # where it was in the order, in the payload's terms: "customer.phone"
    label: str  # what staff call it: "Phone"
    value: str  # as sent
    reason: str  # why it could not be used


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
    # Buyer details that could not be used (orders.buyer); the order is stored all the same.
    unread: tuple[UnreadDetail, ...] = ()


@dataclass(frozen=True)
class SyncResult:
    order: Order
    contact: Contact | None
    created: bool
    # Set when the order id was stored before with other content: that first version is kept.
    conflict: OrderConflict | None = None


def order_sync_placed(
    *, data: PlacedOrderInput, actor: Actor = SHOP, source: DeliverySource = DeliverySource.WEBHOOK
) -> SyncResult:
    """Record a placed order: find or create its contact by email, promote a lead, sync or suggest details.

    Idempotent on the shop's order id: a replay returns the stored order and writes nothing; the same id
    with other content keeps the stored order too, and is recorded as a conflict (order_conflict_record).
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
        conflict = order_conflict_record(order=existing, data=data, source=source)
        return SyncResult(order=existing, contact=existing.contact, created=False, conflict=conflict)
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
        contact_promote_to_customer(contact=contact, actor=actor, source_reference=reference)
        contact_sync_details(
            contact=contact, details=details, phone=data.phone, source_reference=reference, actor=actor
        )
    order = _order_create(data=data, contact=contact)
    _order_record_placed(order=order, contact=contact, actor=actor, accepts_marketing=data.accepts_marketing)
    if data.unread:
        activity_record(
            contact=contact,
            event="order_details_unread",
            actor=actor,
            body=order_unread_described(unread=data.unread, source_reference=reference),
            data={"order": order.pk, "fields": [detail.field for detail in data.unread]},
        )
    return SyncResult(order=order, contact=contact, created=True)


# No savepoint of its own: it runs inside the sync's transaction, so a true replay (the usual redelivery)
# costs the two reads of the stored order and nothing else.
@transaction.atomic(savepoint=False)
def order_conflict_record(*, order: Order, data: PlacedOrderInput, source: DeliverySource) -> OrderConflict | None:
    """Compare an order re-sent under a stored shop id with that order; record and return how it differs.

    Return None when it is the same order (a replay). The stored order is never changed: the first version
    is kept. The same differences from the same source again count on one record (deliveries) rather than
    adding rows. Compared is what the order stores: the email (ignoring case and surrounding spaces, as
    contacts are matched), the moment it was placed (whatever the offset), currency, buyer name and phone,
    address, the lines (name, SKU, quantity, unit price, in order), shipping, tax and total. Once the
    buyer's data has been erased, only what erasure keeps is compared, and nothing personal is recorded.
    """
    differences = _order_differences(order=order, data=data)
    if not differences:
        return None
    digest = hashlib.sha256(json.dumps(differences, sort_keys=True).encode()).hexdigest()
    now = timezone.now()
    conflict, created = OrderConflict.objects.get_or_create(
        order=order,
        source=source,
        digest=digest,
        defaults={"differences": differences, "received_at": now, "last_received_at": now},
    )
    if not created:
        OrderConflict.objects.filter(pk=conflict.pk).update(deliveries=F("deliveries") + 1, last_received_at=now)
        conflict.refresh_from_db(fields=["deliveries", "last_received_at"])
    return conflict


def _order_differences(*, order: Order, data: PlacedOrderInput) -> list[dict[str, Any]]:
    """Return [{"field", "stored", "received"}, …] for each field the two versions disagree on."""
    pairs: list[tuple[str, Any, Any]] = []
    erased = order.buyer_email.endswith(ERASED_DOMAIN)
    if not erased:
        pairs.append(("email", order.buyer_email, data.email.strip()))
    pairs += [
        ("placed_at", _instant(order.placed_at), _instant(data.placed_at)),
        ("currency", order.currency, data.currency),
    ]
    if not erased:
        # A detail that could not be read is compared as it was sent, so a redelivery that differs only
        # there still counts as different.
        stored_unread = {detail["field"]: detail["value"] for detail in order.buyer_unread}
        received_unread = {detail.field: detail.value for detail in data.unread}
        buyer = [
            ("customer.first_name", order.buyer_first_name, data.first_name),
            ("customer.last_name", order.buyer_last_name, data.last_name),
            ("customer.phone", order.buyer_phone, data.phone),
            *(
                (f"shipping_address.{name}", getattr(order, column), data.address.get(column, ""))
                for name, column in {**ADDRESS_FIELDS, "country_code": "country"}.items()
            ),
        ]
        pairs += [
            (name, stored_unread.get(name, stored), received_unread.get(name, received))
            for name, stored, received in buyer
        ]
        named = {name for name, _, _ in buyer}
        pairs += [
            (name, stored_unread.get(name, ""), received_unread.get(name, ""))
            for name in sorted((stored_unread.keys() | received_unread.keys()) - named)
        ]
    pairs += _lines_differences(stored=list(order.lines.all()), received=data.lines)
    received_total = sum(_line_totals(data.lines), Decimal("0")) + data.shipping + data.tax
    pairs += [
        ("shipping", _money(order.shipping), _money(data.shipping)),
        ("tax", _money(order.tax), _money(data.tax)),
        ("total", _money(order.total), _money(received_total)),
    ]
    return [
        {"field": name, "stored": stored, "received": received}
        for name, stored, received in pairs
        # One person, one email: a difference of letter case alone is the same buyer.
        if (stored.lower() != received.lower() if name == "email" else stored != received)
    ]


def _lines_differences(*, stored: Sequence[OrderLine], received: Sequence[LineInput]) -> list[tuple[str, Any, Any]]:
    """Compare line by line when there are as many lines; else the whole list, lines added or gone."""
    before = [_line_value(line) for line in stored]
    after = [_line_value(line) for line in received]
    if len(before) != len(after):
        return [("lines", before, after)]
    return [
        (f"lines[{index}].{key}", old[key], new[key])
        for index, (old, new) in enumerate(zip(before, after, strict=True))
        for key in old
    ]


def _line_value(line: OrderLine | LineInput) -> dict[str, Any]:
    return {"name": line.name, "sku": line.sku, "quantity": line.quantity, "unit_price": _money(line.unit_price)}


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


def _instant(moment: datetime | None) -> str:
    return moment.astimezone(UTC).isoformat() if moment else ""


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
    _totals_set(order=order, lines=lines, shipping=shipping, tax=tax)
    order.save()
    _lines_create(order=order, lines=lines)
    activity_record(
        contact=contact, event="order_drafted", actor=actor, body=f"{order.number} created", data={"order": order.pk}
    )
    return order


def _totals_set(*, order: Order, lines: Sequence[LineInput], shipping: Decimal, tax: Decimal) -> None:
    subtotal = sum(_line_totals(lines), Decimal("0"))
    order.subtotal, order.shipping, order.tax = subtotal, shipping, tax
    order.total = subtotal + shipping + tax


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
    _totals_set(order=order, lines=lines, shipping=shipping, tax=tax)
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
    contact_promote_to_customer(contact=contact, actor=actor, source_reference=reference)
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
        buyer_unread=[asdict(detail) for detail in data.unread],
        **data.address,
    )
    _lines_create(order=order, lines=data.lines)
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


@transaction.atomic
def orders_buyer_erase(*, contact: Contact) -> int:
    """Remove the buyer's personal data from an erased contact's orders; return how many orders were kept.

    A privacy request (customers.services.trash.contact_erase): the name, phone and address of the snapshot go and
    the email becomes the contact's placeholder; number, status, lines, totals and dates stay for the accounts.
    Later deliveries that differed go: they hold the buyer's data as sent and as it was stored.
    """
    OrderConflict.objects.filter(order__contact=contact).delete()
    return Order.objects.filter(contact=contact).update(
        buyer_email=contact.email,
        buyer_first_name="",
        buyer_last_name="",
        buyer_phone="",
        buyer_unread=[],
        **dict.fromkeys(Order.ADDRESS_FIELDS, ""),
        updated_at=timezone.now(),
    )
