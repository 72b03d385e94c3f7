"""Telling a replay from an order id re-sent with other content, and recording the difference as a conflict."""

import hashlib
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from orders.models import DeliverySource, Order, OrderConflict, OrderLine
from orders.services.erasure import ERASED_DOMAIN
from orders.services.inputs import LineInput, PlacedOrderInput
from orders.services.lines import line_totals

# The shop's names for the parts of the address (orders.payload reads them), and the columns they are stored
# in; a difference between two deliveries is named the shop's way too: "shipping_address.city".
ADDRESS_FIELDS = {
    "address1": "address_line1",
    "address2": "address_line2",
    "city": "city",
    "province": "region",
    "zip": "postal_code",
}


# No savepoint of its own: it runs inside the sync's transaction, so a true replay (the usual redelivery)
# costs the two reads of the stored order and nothing else.
@transaction.atomic(savepoint=False)
def order_conflict_record(*, order: Order, data: PlacedOrderInput, source: DeliverySource) -> OrderConflict | None:
    """Compare an order re-sent under a stored shop id with that order; record and return how it differs.

    Return None when it is the same order (a replay). The stored order is never changed: the first version
    is kept. The same differences from the same source again count on one record (deliveries) rather than
    adding rows. Compared is what the order stores: the email (ignoring case and surrounding spaces, as
    contacts are matched), the moment it was placed (whatever the offset), currency, buyer name and phone,
    address, the lines (name, SKU, quantity, unit price, in order), shipping, tax, discount and total. The
    status is not content: a later one moves the order (order_status_sync). Once the
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
    received_total = sum(line_totals(data.lines), Decimal("0")) + data.shipping + data.tax - data.discount
    pairs += [
        ("shipping", _money(order.shipping), _money(data.shipping)),
        ("tax", _money(order.tax), _money(data.tax)),
        ("discount", _money(order.discount), _money(data.discount)),
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
