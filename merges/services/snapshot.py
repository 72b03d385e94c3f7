"""Both contacts of a merge as they were, kept on the Merge for its undo: their rows and what moved, by id."""

import json
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from companies.models import Membership
from customers.models import (
    Activity,
    ConsentRecord,
    Contact,
    EmailAlias,
    PhoneNumber,
    SuggestedUpdate,
)
from orders.models import Order
from tickets.models import Message, Ticket

# The rows of each contact, restored as they were; generated columns are the database's own.
KEPT = {"contact": Contact, "phones": PhoneNumber, "memberships": Membership, "aliases": EmailAlias}
# What moved from the merged contact to the survivor, by id, and the column that points at the contact.
MOVED = {
    "orders": (Order, "contact"),
    "tickets": (Ticket, "requester"),
    "messages": (Message, "author_contact"),
    "activities": (Activity, "contact"),
    "consent_records": (ConsentRecord, "contact"),
    "suggestions": (SuggestedUpdate, "contact"),
}


def stored_fields(model: type[models.Model]) -> list[models.Field]:
    """Return the model's columns a restore writes back: every concrete one but those the database generates."""
    return [field for field in model._meta.concrete_fields if not isinstance(field, models.GeneratedField)]


class _Encoder(DjangoJSONEncoder):
    # Django's encoder cuts a moment to milliseconds; a restored contact keeps its own to the microsecond.
    def default(self, o: Any) -> Any:
        return o.isoformat() if isinstance(o, datetime) else super().default(o)


def _rows(queryset: models.QuerySet) -> list[dict[str, Any]]:
    names = [field.attname for field in stored_fields(queryset.model)]
    return json.loads(json.dumps(list(queryset.values(*names)), cls=_Encoder))


def _contact_rows(contact: Contact) -> dict[str, Any]:
    return {
        "contact": _rows(Contact.objects.filter(pk=contact.pk)),
        "phones": _rows(PhoneNumber.objects.filter(contact=contact)),
        "memberships": _rows(Membership.objects.filter(contact=contact)),
        "aliases": _rows(EmailAlias.objects.filter(contact=contact)),
        "labels": list(Contact.labels.through.objects.filter(contact=contact).values_list("label_id", flat=True)),
    }


def merge_snapshot(*, survivor: Contact, merged: Contact) -> dict[str, Any]:
    """Return what undo needs, read before the merge moves anything (the caller holds both rows' locks)."""
    return {
        "survivor": _contact_rows(survivor),
        "merged": _contact_rows(merged),
        "moved": {
            name: list(model.objects.filter(**{column: merged}).values_list("pk", flat=True))
            for name, (model, column) in MOVED.items()
        },
    }


def rows_restored(model: type[models.Model], rows: list[dict[str, Any]]) -> list[models.Model]:
    """Build the model's instances back from a snapshot's rows, each value read by its own field."""
    fields = stored_fields(model)
    return [model(**{field.attname: field.to_python(row[field.attname]) for field in fields}) for row in rows]


def snapshot_files(snapshot: dict[str, Any]) -> set[str]:
    """Return the image files the snapshot's contacts had (kept until the undo window closes)."""
    return {
        row[name]
        for side in ("survivor", "merged")
        for row in snapshot.get(side, {}).get("contact", [])
        for name in ("image", "image_thumbnail")
        if row.get(name)
    }
