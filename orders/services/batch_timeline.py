"""What a batch of placed orders adds for their contacts: checkout consent and timeline entries, as one by one.

Used by orders.services.batch; the words are order_sync_placed's and consent_record's.
"""

from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import rows_insert
from customers.models import (
    Activity,
    ActivityKind,
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    OptInLevel,
)
from customers.services import ConsentInput, consent_records_append
from orders.models import Order
from orders.services.placed import checkout_consent_described, order_reference, order_unread_described


def batch_consent_write(*, plays, orders: dict[int, Order], actor: Actor) -> dict[int, tuple[datetime, str, bool]]:
    """Append the checkout consents; return, by order, when each was given, the timeline's words, and if current.

    Played in order, as order_sync_placed would record them one by one: a consent is current unless a
    record given later came before it (consent_record's rule, and its words).
    """
    records = {}
    for position, data, buyer in plays:
        if data.accepts_marketing:
            records[position] = ConsentInput(
                contact_id=buyer.contact_id,
                state=ConsentState.SUBSCRIBED,
                given_at=min(data.accepts_marketing_at or data.placed_at, timezone.now()),
                opt_in_level=OptInLevel.SINGLE,
                channel=ConsentChannel.EMAIL,
                collected_how=checkout_consent_described(order=orders[position]),
            )
    if not records:
        return {}
    latest = dict(
        ConsentRecord.objects.filter(
            contact__in={record.contact_id for record in records.values()}, channel=ConsentChannel.EMAIL
        )
        .values("contact_id")
        .order_by("contact_id")
        .annotate(latest=Max("given_at"))
        .values_list("contact_id", "latest")
    )
    consent_records_append(records=list(records.values()), source=ConsentSource.CHECKOUT, actor=actor)
    described = {}
    for position, record in records.items():
        before = latest.get(record.contact_id)
        current = before is None or record.given_at >= before
        body = f"{ConsentChannel.EMAIL.label} marketing: {ConsentState.SUBSCRIBED.label}"
        if not current:
            when = timezone.localtime(record.given_at)
            body += f" (entered later for {when.day} {when:%b %Y}; a later entry stays current)"
        else:
            latest[record.contact_id] = record.given_at
        described[position] = (record.given_at, body, current)
    return described


def batch_timeline_write(*, buyers, fresh, orders, consented, actor: Actor) -> None:
    """Insert every buyer's timeline entries of the batch at once, in the order order_sync_placed writes them."""
    rows = []
    who = {"actor_kind": actor.kind, "actor_id": actor.user.pk if actor.user else None, "kind": ActivityKind.EVENT}
    for buyer in buyers:
        for event, body, data, position in buyer.events:
            if position is not None:
                order, placed = orders[position], fresh[position][1]
                if event == "order_placed":
                    body = f"Order {order.number} placed"
                    data = {"order": order.pk, "total": str(order.total), "currency": order.currency}
                elif event == "consent_changed":
                    given_at, body, is_current = consented[position]
                    data = {
                        "state": ConsentState.SUBSCRIBED,
                        "source": ConsentSource.CHECKOUT,
                        "given_at": given_at.isoformat(),
                        "current": is_current,
                    }
                else:
                    body = order_unread_described(unread=placed.unread, source_reference=order_reference(placed))
                    data = {"order": order.pk, "fields": [detail.field for detail in placed.unread]}
            rows.append({"contact_id": buyer.contact_id, "event": event, "body": body, "data": data, **who})
    rows_insert(model=Activity, rows=rows)
