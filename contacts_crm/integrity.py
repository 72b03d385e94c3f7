"""The check that every contact's derived columns agree with the rows they are derived from, and its repair.

A contact keeps its orders count, total spent, last order date, current consent and search document in
columns of its own so a million-row list can filter and sort on indexes. Each is kept in step by the
service that changes its source; this recomputes them from the sources (the orders, the consent records,
the phones and companies), says where they disagree and, when asked, writes the computed values. It
composes customers and orders, so it lives in the project package.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction

from customers.models import Contact
from customers.selectors import consent_current_by_contact, search_documents_by_contact
from customers.services import DERIVED_COLUMNS, contacts_derived_set
from orders.selectors import order_totals_by_contact

NOT_SUBSCRIBED = Contact._meta.get_field("marketing_consent").default


@dataclass(frozen=True)
class Drift:
    """One derived column of one contact that disagrees with its source."""

    contact_id: int
    column: str
    stored: Any
    computed: Any


def _same(column: str, stored: Any, computed: Any) -> bool:
    if column == "total_spent":
        # SQLite keeps decimals as floating point; two amounts are the same to the cent.
        return Decimal(stored).quantize(Decimal("0.01")) == Decimal(computed).quantize(Decimal("0.01"))
    return stored == computed


def contacts_drift(*, contact_ids: Iterable[int], repair: bool = False) -> list[Drift]:
    """Return where these contacts' derived columns disagree with their sources; with repair, correct them.

    The contacts are locked while they are compared, so an order or a consent change in flight is either
    seen whole (committed before) or not at all (it waits for the lock, then adds to the repaired value).
    """
    ids = list(contact_ids)
    with transaction.atomic():
        stored = list(
            Contact.objects.filter(pk__in=ids).select_for_update().order_by("pk").values("pk", *DERIVED_COLUMNS)
        )
        totals = order_totals_by_contact(contact_ids=ids)
        consent = consent_current_by_contact(contact_ids=ids)
        documents = search_documents_by_contact(contact_ids=ids)
        drift = []
        for row in stored:
            pk = row["pk"]
            current = consent.get(pk)
            computed = {
                "orders_count": totals[pk].orders_count,
                "total_spent": totals[pk].total_spent,
                "last_order_at": totals[pk].last_order_at,
                "marketing_consent": current.state if current else NOT_SUBSCRIBED,
                "search_document": documents[pk],
            }
            drift.extend(
                Drift(contact_id=pk, column=column, stored=row[column], computed=value)
                for column, value in computed.items()
                if not _same(column, row[column], value)
            )
        if repair and drift:
            values: dict[int, dict[str, Any]] = {}
            for item in drift:
                values.setdefault(item.contact_id, {})[item.column] = item.computed
            contacts_derived_set(values=values)
    return drift
