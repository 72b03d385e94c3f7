"""Placed orders a batch at a time (the order import): what order_sync_placed does order by order, at once.

For each batch: one read of the orders already stored, with their contacts and lines (each met as
order_sync_placed meets it, by order_stored_sync: a replay, a conflict or a later status), one locked read
of the buyers by email, then each buyer's orders are played in order in memory — created or promoted,
details synced or suggested, phones, totals — and written at once: new contacts, one update per known
contact, orders, lines, the timeline, consent. The timeline says what order_sync_placed would have said,
entry for entry, from the same wording (customers.services and orders.services.placed); the caller runs
the batch in one transaction and, if the database refuses it, again order by order, so one bad order
never takes the others with it.
"""

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import rows_insert, rows_update
from customers.models import (
    Contact,
    PhoneNumber,
    Source,
    Stage,
)
from customers.search import search_document
from customers.selectors import alias_owners
from customers.services import (
    contact_created_described,
    contact_promoted_described,
    contact_synced_described,
    contacts_search_refresh,
    emails_alias_check,
    suggestions_add,
)
from customers.services.records import SEARCHED_FIELDS
from orders.models import COUNTED_STATUSES, DeliverySource, Order, OrderLine
from orders.services.batch_timeline import batch_consent_write, batch_timeline_write
from orders.services.conflicts import ADDRESS_FIELDS
from orders.services.inputs import PlacedOrderInput, SyncResult
from orders.services.lines import line_totals
from orders.services.placed import (
    order_reference,
    order_stored_sync,
)

DETAILS = ("first_name", "last_name", *ADDRESS_FIELDS.values(), "country")


@dataclass
class _Buyer:
    """One contact as the batch's orders leave it, and what they added to its timeline."""

    contact_id: int | None
    email: str
    stage: str
    locked: bool
    details: dict[str, str]
    phones: list[str]
    orders_count: int
    total_spent: Decimal
    last_order_at: datetime | None
    new_phones: list[str] = field(default_factory=list)
    changed: set[str] = field(default_factory=set)
    # (event, body, data, order index or None), in the order order_sync_placed writes them.
    events: list[tuple[str, str, dict[str, Any], int | None]] = field(default_factory=list)


@transaction.atomic
def orders_sync_placed_batch(
    *, datas: Sequence[PlacedOrderInput], actor: Actor, source: DeliverySource = DeliverySource.IMPORT
) -> list[SyncResult]:
    """Record these placed orders (in the order given, oldest first) as order_sync_placed would; return each result.

    One transaction: the caller retries the batch order by order if the database refuses any of it.
    """
    # Read at once with their contacts and lines: a file imported again is all replays.
    stored = {
        order.shop_order_id: order
        for order in Order.objects.select_related("contact")
        .prefetch_related("lines")
        .filter(shop_order_id__in=[data.shop_order_id for data in datas])
    }
    results: dict[int, SyncResult] = {}
    fresh: list[tuple[int, PlacedOrderInput]] = []
    for index, data in enumerate(datas):
        if data.shop_order_id in stored:
            results[index] = order_stored_sync(order=stored[data.shop_order_id], data=data, actor=actor, source=source)
        else:
            fresh.append((index, data))
    if fresh:
        results.update(_fresh_orders_record(fresh=fresh, actor=actor))
    return [results[index] for index in range(len(datas))]


def _key(email: str) -> str:
    # The database's normalisation for the emails an order can carry (validated ASCII local parts); an
    # email it would read otherwise makes the contact insert fail, and the caller retries order by order.
    return email.strip().lower()


def _buyers_read(keys: set[str]) -> tuple[dict[str, _Buyer], dict[str, str]]:
    """Return the known buyers by their own email, locked, and the email each alias among `keys` stands for."""
    buyers = _buyers_locked(Q(email_normalized__in=list(keys)))
    # Aliases asked after the contacts' own emails (see contact_live_by_email_for_update for why this order).
    owners = alias_owners(keys=keys - buyers.keys())
    by_id = {buyer.contact_id: key for key, buyer in buyers.items()}
    if missing := set(owners.values()) - by_id.keys():
        found = _buyers_locked(Q(pk__in=missing))
        buyers |= found
        by_id |= {buyer.contact_id: key for key, buyer in found.items()}
    return buyers, {alias: by_id[contact_id] for alias, contact_id in owners.items()}


def _buyers_locked(condition: Q) -> dict[str, _Buyer]:
    rows = (
        Contact.objects.live()
        .filter(condition)
        # In id order, as every batch locks, so two batches over the same contacts never deadlock.
        .select_for_update(of=("self",))
        .order_by("pk")
        .values(
            "id",
            "email",
            "email_normalized",
            "stage",
            "details_locked",
            "orders_count",
            "total_spent",
            "last_order_at",
            *DETAILS,
        )
    )
    buyers = {
        row["email_normalized"]: _Buyer(
            contact_id=row["id"],
            email=row["email"],
            stage=row["stage"],
            locked=row["details_locked"],
            details={name: row[name] for name in DETAILS},
            phones=[],
            orders_count=row["orders_count"],
            total_spent=row["total_spent"],
            last_order_at=row["last_order_at"],
        )
        for row in rows
    }
    by_id = {buyer.contact_id: buyer for buyer in buyers.values()}
    for contact_id, number in (
        PhoneNumber.objects.filter(contact__in=list(by_id))
        .order_by("position", "id")
        .values_list("contact_id", "number")
    ):
        by_id[contact_id].phones.append(number)
    return buyers


def _fresh_orders_record(*, fresh: list[tuple[int, PlacedOrderInput]], actor: Actor) -> dict[int, SyncResult]:
    buyers, same_as = _buyers_read({_key(data.email) for _, data in fresh})
    created: list[_Buyer] = []
    suggestions: list[tuple[str, int, dict[str, str]]] = []
    plays: list[tuple[int, PlacedOrderInput, _Buyer]] = []
    for position, (_, data) in enumerate(fresh):
        key = same_as.get(_key(data.email), _key(data.email))
        buyer = buyers.get(key)
        reference = order_reference(data)
        details = {"first_name": data.first_name, "last_name": data.last_name, **data.address}
        if buyer is None:
            buyer = buyers[key] = _new_buyer(data=data, details=details)
            created.append(buyer)
        else:
            if buyer.stage == Stage.LEAD:
                buyer.stage = Stage.CUSTOMER
                buyer.changed.add("stage")
                buyer.events.append(
                    (
                        "became_customer",
                        contact_promoted_described(source_reference=reference),
                        {"source": reference},
                        None,
                    )
                )
            differing = {name: value for name, value in details.items() if value and buyer.details.get(name) != value}
            new_phone = bool(data.phone) and data.phone not in buyer.phones
            if buyer.locked:
                # Suggestions hold contact ids; a locked buyer is always one that exists.
                suggested = {**differing, **({"phone": data.phone} if new_phone else {})}
                if suggested:
                    suggestions.append((reference, buyer.contact_id, suggested))
            else:
                if new_phone:
                    buyer.phones.append(data.phone)
                    buyer.new_phones.append(data.phone)
                if differing:
                    buyer.details.update(differing)
                    buyer.changed.update(differing)
                    buyer.events.append(
                        (
                            "details_synced",
                            contact_synced_described(source_reference=reference),
                            {"fields": sorted(differing)},
                            None,
                        )
                    )
        plays.append((position, data, buyer))
        if data.status in COUNTED_STATUSES:
            buyer.orders_count += 1
            buyer.total_spent += _total(data)
            buyer.last_order_at = max(buyer.last_order_at or data.placed_at, data.placed_at)
            buyer.changed.add("totals")
        buyer.events.append(("order_placed", "", {}, position))
        if data.accepts_marketing:
            buyer.events.append(("consent_changed", "", {}, position))
        if data.unread:
            buyer.events.append(("order_details_unread", "", {}, position))
    _contacts_write(created=created, known=[buyer for buyer in buyers.values() if buyer not in created])
    for reference, contact_id, suggested in suggestions:
        suggestions_add(suggested={contact_id: suggested}, source_reference=reference)
    orders = _orders_write(plays)
    consented = batch_consent_write(plays=plays, orders=orders, actor=actor)
    batch_timeline_write(buyers=buyers.values(), fresh=fresh, orders=orders, consented=consented, actor=actor)
    contacts = {contact.pk: contact for contact in Contact.objects.filter(pk__in={b.contact_id for _, _, b in plays})}
    results = {}
    for position, _, buyer in plays:
        order = orders[position]
        order.contact = contacts[buyer.contact_id]
        results[fresh[position][0]] = SyncResult(order=order, contact=order.contact, created=True)
    return results


def _new_buyer(*, data: PlacedOrderInput, details: dict[str, str]) -> _Buyer:
    buyer = _Buyer(
        contact_id=None,
        email=data.email.strip(),
        stage=Stage.CUSTOMER,
        locked=False,
        details={name: details.get(name, "") for name in DETAILS},
        phones=[data.phone] if data.phone else [],
        orders_count=0,
        total_spent=Decimal("0"),
        last_order_at=None,
    )
    buyer.new_phones = list(buyer.phones)
    stage, source = Stage.CUSTOMER, Source.ORDER
    buyer.events.append(
        ("created", contact_created_described(stage=stage, source=source), {"stage": stage, "source": source}, None)
    )
    return buyer


def _total(data: PlacedOrderInput) -> Decimal:
    return sum(line_totals(data.lines), Decimal("0")) + data.shipping + data.tax - data.discount


def _contacts_write(*, created: list[_Buyer], known: list[_Buyer]) -> None:
    ids = rows_insert(
        model=Contact,
        rows=[
            {
                "email": buyer.email,
                "stage": buyer.stage,
                "source": Source.ORDER,
                "orders_count": buyer.orders_count,
                "total_spent": buyer.total_spent,
                "last_order_at": buyer.last_order_at,
                "search_document": search_document(
                    first_name=buyer.details["first_name"],
                    last_name=buyer.details["last_name"],
                    email=buyer.email,
                    phones=buyer.phones,
                ),
                **buyer.details,
            }
            for buyer in created
        ],
        returning=True,
    )
    for buyer, contact_id in zip(created, ids, strict=True):
        buyer.contact_id = contact_id
    emails_alias_check(emails=[buyer.email for buyer in created])
    changes = {}
    for buyer in known:
        values: dict[str, Any] = {name: buyer.details[name] for name in buyer.changed & set(DETAILS)}
        if "stage" in buyer.changed:
            values["stage"] = buyer.stage
        if "totals" in buyer.changed:
            values.update(
                orders_count=buyer.orders_count, total_spent=buyer.total_spent, last_order_at=buyer.last_order_at
            )
        if values or buyer.new_phones:
            changes[buyer.contact_id] = values
    # Every contact an order wrote to gets a new version, as order_sync_placed's writes give it (VersionedQuerySet),
    # so an edit form opened before is refused as stale instead of saving its old totals back.
    rows_update(model=Contact, changes=changes, also={"updated_at": timezone.now()})
    positions = {buyer.contact_id: len(buyer.phones) - len(buyer.new_phones) for buyer in [*created, *known]}
    rows_insert(
        model=PhoneNumber,
        rows=[
            {"contact_id": buyer.contact_id, "number": number, "label": "", "position": positions[buyer.contact_id] + i}
            for buyer in [*created, *known]
            for i, number in enumerate(buyer.new_phones)
        ],
    )
    contacts_search_refresh(
        contact_ids=[buyer.contact_id for buyer in known if buyer.new_phones or SEARCHED_FIELDS & buyer.changed]
    )


def _orders_write(plays: list[tuple[int, PlacedOrderInput, _Buyer]]) -> dict[int, Order]:
    rows = []
    for _, data, buyer in plays:
        subtotal = sum(line_totals(data.lines), Decimal("0"))
        rows.append(
            {
                "shop_order_id": data.shop_order_id,
                "shop_name": data.name,
                "status": data.status,
                "contact_id": buyer.contact_id,
                "buyer_email": data.email.strip(),
                "buyer_first_name": data.first_name,
                "buyer_last_name": data.last_name,
                "buyer_phone": data.phone,
                "currency": data.currency,
                "subtotal": subtotal,
                "shipping": data.shipping,
                "tax": data.tax,
                "discount": data.discount,
                "total": subtotal + data.shipping + data.tax - data.discount,
                "placed_at": data.placed_at,
                "buyer_unread": [asdict(detail) for detail in data.unread],
                **data.address,
            }
        )
    ids = rows_insert(model=Order, rows=rows, returning=True)
    rows_insert(
        model=OrderLine,
        rows=[
            {
                "order_id": order_id,
                "name": line.name,
                "sku": line.sku,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "total": total,
                "position": position,
            }
            for order_id, (_, data, _) in zip(ids, plays, strict=True)
            for position, (line, total) in enumerate(zip(data.lines, line_totals(data.lines), strict=True))
        ],
    )
    orders = {}
    for order_id, row, (position, _, _) in zip(ids, rows, plays, strict=True):
        order = Order(pk=order_id, **row)
        orders[position] = order
    return orders
