"""An import's writes to contacts, a batch at a time: new contacts, changed details, phones, labels, consent, notes.

Each function writes a whole batch in a fixed number of statements, so an import of 100,000 rows runs at
thousands of rows a second. The rules are the ones every other write follows: the email is the identity
(the database's unique constraint), locked details become suggestions (suggestions_add), consent is
appended and the latest by its moment is current (consent_records_append), and each contact gets one
timeline entry naming the import. The caller (imports.services) holds the row locks and checks versions.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import rows_insert, rows_update
from customers.models import Activity, ActivityKind, ConsentSource, Contact, Label, PhoneNumber, Source, Stage
from customers.search import search_document
from customers.services.aliases import emails_alias_check
from customers.services.consent import ConsentInput, consent_records_append
from customers.services.records import contacts_search_refresh
from customers.services.suggestions import suggestions_add

IMPORT_EVENT = "imported"


@dataclass
class ImportedContact:
    """What an import writes for one contact: a new one (no contact_id) or changes to an existing one."""

    email: str
    body: str
    contact_id: int | None = None
    details: dict[str, str] = field(default_factory=dict)
    suggest: dict[str, str] = field(default_factory=dict)
    phones: list[tuple[str, str]] = field(default_factory=list)
    stage: str = ""
    labels: list[Label] = field(default_factory=list)
    consents: list[tuple[str, str, datetime, str, str]] = field(default_factory=list)
    note: str = ""
    details_locked: bool | None = None
    # The companies a new contact joins in the same import, for its search document.
    company_names: list[str] = field(default_factory=list)


def _related(entries: Sequence[ImportedContact], *, actor: Actor, reference: str, data: dict) -> None:
    """Write what hangs off the contacts: phones after their current ones, labels, consent, notes, the timeline."""
    who = {"actor_kind": actor.kind, "actor_id": actor.user.pk if actor.user else None}
    with_phones = [entry.contact_id for entry in entries if entry.phones]
    positions = dict(
        PhoneNumber.objects.filter(contact__in=with_phones)
        .values("contact")
        .annotate(n=Count("id"))
        .values_list("contact", "n")
    )
    rows_insert(
        model=PhoneNumber,
        rows=[
            {
                "contact_id": entry.contact_id,
                "number": number,
                "label": label,
                "position": positions.get(entry.contact_id, 0) + i,
            }
            for entry in entries
            for i, (number, label) in enumerate(entry.phones)
        ],
        # A number added to the contact since the dry run is there already.
        ignore_conflicts=True,
    )
    rows_insert(
        model=Contact.labels.through,
        rows=[{"contact_id": entry.contact_id, "label_id": label.pk} for entry in entries for label in entry.labels],
        ignore_conflicts=True,
    )
    consent_records_append(
        records=[
            ConsentInput(entry.contact_id, state, given_at, level, channel, how)
            for entry in entries
            for channel, state, given_at, level, how in entry.consents
        ],
        source=ConsentSource.IMPORT,
        actor=actor,
    )
    rows_insert(
        model=Activity,
        rows=[
            *(
                {"contact_id": entry.contact_id, "kind": ActivityKind.NOTE, "body": entry.note, **who}
                for entry in entries
                if entry.note
            ),
            *(
                {
                    "contact_id": entry.contact_id,
                    "kind": ActivityKind.EVENT,
                    "event": IMPORT_EVENT,
                    "body": entry.body,
                    "data": data,
                    **who,
                }
                for entry in entries
            ),
        ],
    )
    suggestions_add(
        suggested={entry.contact_id: entry.suggest for entry in entries if entry.suggest}, source_reference=reference
    )


@transaction.atomic
def contacts_import_create(
    *, entries: Sequence[ImportedContact], actor: Actor, reference: str, data: dict
) -> list[ImportedContact]:
    """Add new contacts (source Import) with all they bring; each entry gets its contact_id. Return the entries.

    The database refuses an email that a live contact has (IntegrityError), and so does emails_alias_check for
    another contact's alias: the caller checked the batch's
    emails under lock and retries the batch one row at a time if a concurrent write took one in between.
    """
    ids = rows_insert(
        model=Contact,
        rows=[
            {
                "email": entry.email,
                "stage": entry.stage or Stage.LEAD,
                "source": Source.IMPORT,
                "details_locked": bool(entry.details_locked),
                "search_document": search_document(
                    first_name=entry.details.get("first_name", ""),
                    last_name=entry.details.get("last_name", ""),
                    email=entry.email,
                    phones=[number for number, _ in entry.phones],
                    company_names=entry.company_names,
                ),
                **entry.details,
            }
            for entry in entries
        ],
        returning=True,
    )
    for entry, contact_id in zip(entries, ids, strict=True):
        entry.contact_id = contact_id
    emails_alias_check(emails=[entry.email for entry in entries])
    _related(entries, actor=actor, reference=reference, data=data)
    return list(entries)


@transaction.atomic
def contacts_import_update(*, entries: Sequence[ImportedContact], actor: Actor, reference: str, data: dict) -> None:
    """Apply an import's changes to existing contacts (details, stage forward, lock) and what they bring."""
    stages = dict(Contact.objects.filter(pk__in=[entry.contact_id for entry in entries]).values_list("pk", "stage"))
    changes: dict[int, dict[str, Any]] = {}
    for entry in entries:
        values: dict[str, Any] = dict(entry.details)
        if entry.stage == Stage.CUSTOMER and stages.get(entry.contact_id) == Stage.LEAD:
            values["stage"] = Stage.CUSTOMER
        if entry.details_locked is not None:
            values["details_locked"] = entry.details_locked
        changes[entry.contact_id] = values
    # Every contact an import touches gets a new version, so an edit form opened before it is refused as stale.
    rows_update(model=Contact, changes=changes, also={"updated_at": timezone.now()})
    _related(entries, actor=actor, reference=reference, data=data)
    searched = [
        entry.contact_id for entry in entries if entry.phones or {"first_name", "last_name"} & entry.details.keys()
    ]
    contacts_search_refresh(contact_ids=searched)
