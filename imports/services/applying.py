"""The import itself: the dry run's stored plans applied a batch at a time, under the contacts' row locks.

A contact saved since the dry run (its version moved), trashed, or an email added meanwhile is reported on
its row and left as it is. The writes are customers.services.imports' and companies.services.memberships_import.
"""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from companies.models import Company
from companies.services import company_get_or_create_by_name, memberships_import
from crm_core.actors import Actor
from crm_core.batching import rows_update
from customers.models import Label
from customers.services import label_get_or_create_by_name
from customers.services.imports import ImportedContact, contacts_import_create, contacts_import_update
from imports.models import ImportRow, ImportRun, ImportStatus, RowAction
from imports.selectors import companies_existing, contacts_existing, labels_existing
from imports.services.checking import BATCH_SIZE, import_counts

# Lines of changes the timeline entry lists before "and N more".
TIMELINE_LINES = 20
CHANGED_SINCE = "Changed after the dry run, so it was not overwritten; run a new dry run to import it."
ADDED_SINCE = "A contact with this email was added after the dry run; run a new dry run to update it."
GONE_SINCE = "This contact was deleted or erased after the dry run, so it was not changed."


def _timeline(run: ImportRun, verb: str, changes: list[list[str]]) -> str:
    lines = [f"{what}: {old or '(none)'} → {new or '(none)'}" for what, old, new in changes[:TIMELINE_LINES]]
    if len(changes) > TIMELINE_LINES:
        lines.append(f"and {len(changes) - TIMELINE_LINES} more")
    return "\n".join([f"{verb} by {run.reference}", *lines])


def _consents(plan: dict[str, Any], moment: datetime) -> list[tuple[str, str, datetime, str, str]]:
    return [
        (
            entry["channel"],
            entry["state"],
            datetime.fromisoformat(entry["given_at"]) if entry["given_at"] else moment,
            entry["opt_in_level"],
            entry["collected_how"],
        )
        for entry in plan.get("consents", [])
    ]


def _verb(row: ImportRow) -> str:
    if row.action == RowAction.UPDATE:
        return "Updated"
    return "Created as a customer" if row.plan.get("stage") == "customer" else "Created as a lead"


class _Applier:
    """Turns a batch of stored plans into the contact writes, resolving labels and companies by name."""

    def __init__(self, run: ImportRun, actor: Actor) -> None:
        self.run, self.actor = run, actor
        self.moment = timezone.now()
        self.labels: dict[str, Label] = {}
        self.companies: dict[str, Company] = {}
        self.data = {"import": run.pk}

    def label(self, name: str) -> Label | None:
        key = name.lower()
        if key not in self.labels:
            found = labels_existing(names=[name]).get(key)
            if found is None and self.run.create_missing:
                found = label_get_or_create_by_name(name=name)
            if found is None:
                return None
            self.labels[key] = found
        return self.labels[key]

    def company(self, name: str) -> Company | None:
        key = name.lower()
        if key not in self.companies:
            found = companies_existing(names=[name]).get(key)
            if found is None and self.run.create_missing:
                found = company_get_or_create_by_name(name=name, actor=self.actor)
            if found is None:
                return None
            self.companies[key] = found
        return self.companies[key]

    def entry(self, row: ImportRow) -> ImportedContact:
        plan = row.plan
        creating = row.action == RowAction.CREATE
        return ImportedContact(
            email=plan.get("email", row.email),
            contact_id=None if creating else row.contact_id,
            body=_timeline(self.run, _verb(row), row.changes),
            details=plan.get("details", {}),
            suggest={
                **plan.get("suggest", {}),
                **({"phone": plan["suggest_phone"]} if plan.get("suggest_phone") else {}),
            },
            phones=[tuple(phone) for phone in plan.get("phones", [])],
            stage=plan.get("stage", ""),
            labels=[label for name in plan.get("labels", []) if (label := self.label(name))],
            consents=_consents(plan, self.moment),
            note=plan.get("note", ""),
            details_locked=plan.get("details_locked"),
            company_names=[name for name, _ in plan.get("companies", [])] if creating else [],
        )

    def memberships(self, rows: list[ImportRow], entries: list[ImportedContact]) -> None:
        added = [
            (entry.contact_id, company, access)
            for row, entry in zip(rows, entries, strict=True)
            for name, access in row.plan.get("companies", [])
            if (company := self.company(name))
        ]
        access = [(membership_id, value) for row in rows for membership_id, value in row.plan.get("access", [])]
        refresh = [
            entry.contact_id
            for row, entry in zip(rows, entries, strict=True)
            if row.action == RowAction.UPDATE and row.plan.get("companies")
        ]
        memberships_import(added=added, access=access, refresh=refresh)


def _apply_batch(run: ImportRun, rows: list[ImportRow], applier: _Applier) -> None:
    """Apply one batch of planned rows under the contacts' locks; report each row the data changed for."""
    existing = contacts_existing(emails=[row.email for row in rows], lock=True)
    creates, updates, refused = [], [], []
    for row in rows:
        found = existing.get(row.email)
        if row.action == RowAction.CREATE:
            (refused.append((row, ADDED_SINCE)) if found else creates.append(row))
        elif found is None or found.id != row.contact_id:
            refused.append((row, GONE_SINCE))
        elif found.version != row.version:
            refused.append((row, CHANGED_SINCE))
        else:
            updates.append(row)
    if creates:
        _create(run, creates, applier, refused)
    if updates:
        entries = [applier.entry(row) for row in updates]
        contacts_import_update(entries=entries, actor=applier.actor, reference=run.reference, data=applier.data)
        applier.memberships(updates, entries)
        ImportRow.objects.filter(pk__in=[row.pk for row in updates]).update(applied=RowAction.UPDATE)
    for row, reason in refused:
        ImportRow.objects.filter(pk=row.pk).update(applied=RowAction.ERROR, outcome=reason)


def _create(run: ImportRun, rows: list[ImportRow], applier: _Applier, refused: list) -> None:
    """Add the batch's new contacts at once; if a concurrent write took an email, one at a time, reporting it."""
    try:
        with transaction.atomic():
            entries = [applier.entry(row) for row in rows]
            contacts_import_create(entries=entries, actor=applier.actor, reference=run.reference, data=applier.data)
            applier.memberships(rows, entries)
    except IntegrityError:
        for row in rows:
            try:
                with transaction.atomic():
                    entries = [applier.entry(row)]
                    contacts_import_create(
                        entries=entries, actor=applier.actor, reference=run.reference, data=applier.data
                    )
                    applier.memberships([row], entries)
            except IntegrityError:
                refused.append((row, ADDED_SINCE))
            else:
                ImportRow.objects.filter(pk=row.pk).update(applied=RowAction.CREATE, contact_id=entries[0].contact_id)
        return
    rows_update(
        model=ImportRow,
        changes={row.pk: {"contact_id": entry.contact_id} for row, entry in zip(rows, entries, strict=True)},
        also={"applied": RowAction.CREATE},
    )


def import_planned(*, run: ImportRun) -> int:
    """How many rows the import writes: those the dry run found to create or update."""
    return (run.counts or {}).get(RowAction.CREATE, 0) + (run.counts or {}).get(RowAction.UPDATE, 0)


def import_apply(
    *, run: ImportRun, actor: Actor, step: Callable[[int, int], None], after: int = 0, processed: int = 0
) -> dict[str, int]:
    """Apply the dry run's plans after row number `after`, a committed batch at a time; return what was done.

    `step(planned rows done, last row number)` is called inside each batch's transaction, so the job's cursor
    and the batch's writes commit together and a run taken up again goes on after the last batch that committed.
    """
    applier = _Applier(run, actor)
    planned = ImportRow.objects.filter(run=run, action__in=(RowAction.CREATE, RowAction.UPDATE), applied="")
    while True:
        rows = list(planned.filter(number__gt=after).order_by("number")[:BATCH_SIZE])
        if not rows:
            break
        with transaction.atomic():
            _apply_batch(run, rows, applier)
            after, processed = rows[-1].number, processed + len(rows)
            step(processed, after)
    done = import_counts(run=run, field="applied")
    ImportRun.objects.filter(pk=run.pk).update(status=ImportStatus.DONE, done=done, imported_at=timezone.now())
    return done
