"""Reads for an import: the contacts a batch of rows names as they are now, the labels and companies, the runs."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet
from django.db.models.functions import Lower
from django.shortcuts import get_object_or_404

from companies.models import Company, Membership, effective_portal_access
from customers.models import ActivityKind, ConsentRecord, Contact, Label
from customers.selectors import alias_owners
from imports.models import ImportRow, ImportRun
from imports.values import DETAILS


@dataclass
class Existing:
    """A contact as the dry run compares a row with it."""

    id: int
    version: datetime
    locked: bool
    stage: str
    details: dict[str, str]
    phones: list[str] = field(default_factory=list)
    labels: set[str] = field(default_factory=set)
    # Company name in lower case → (membership id, stored access, effective access).
    companies: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    # Channel → (state, given_at) of the current record: the latest by the moment given, then by id.
    consent: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    consent_keys: set[tuple[str, str, str]] = field(default_factory=set)
    notes: set[str] = field(default_factory=set)


def consent_key(channel: str, state: str, given_at: datetime) -> tuple[str, str, str]:
    """Identify a consent entry to the second, as exports write its moment."""
    return channel, state, given_at.replace(microsecond=0).isoformat()


def contacts_existing(*, emails: Iterable[str], lock: bool = False) -> dict[str, Existing]:
    """Return the live contacts with these (normalised) emails, by email, with what a row could change.

    An email that is a contact's alias (left by a merge) gives that contact, under the alias too.
    """
    keys = set(emails)
    found = _existing_read(Q(email_normalized__in=list(keys)), lock=lock)
    # Asked after the contacts' own emails, as customers.selectors.contact_live_by_email_for_update explains.
    owners = alias_owners(keys=keys - found.keys())
    by_id = {existing.id: existing for existing in found.values()}
    if missing := set(owners.values()) - by_id.keys():
        by_id |= {existing.id: existing for existing in _existing_read(Q(pk__in=missing), lock=lock).values()}
    return found | {alias: by_id[contact_id] for alias, contact_id in owners.items() if contact_id in by_id}


def _existing_read(condition: Q, *, lock: bool) -> dict[str, Existing]:
    contacts = Contact.objects.live().filter(condition)
    if lock:
        # In id order, so two imports locking overlapping contacts take them in the same order and never deadlock.
        contacts = contacts.select_for_update(of=("self",)).order_by("pk")
    found = {
        row["email_normalized"]: Existing(
            id=row["id"],
            version=row["updated_at"],
            locked=row["details_locked"],
            stage=row["stage"],
            details={name: row[name] for name in DETAILS},
        )
        for row in contacts.values("id", "email_normalized", "updated_at", "details_locked", "stage", *DETAILS)
    }
    by_id = {existing.id: existing for existing in found.values()}
    if not by_id:
        return found
    ids = list(by_id)
    for contact_id, number in Contact.phones.rel.related_model.objects.filter(contact__in=ids).values_list(
        "contact_id", "number"
    ):
        by_id[contact_id].phones.append(number)
    for contact_id, name in Contact.labels.through.objects.filter(contact__in=ids).values_list(
        "contact_id", "label__name"
    ):
        by_id[contact_id].labels.add(name.lower())
    for pk, contact_id, name, access, default in Membership.objects.filter(contact__in=ids).values_list(
        "pk", "contact_id", "company__name", "portal_access", "company__default_portal_access"
    ):
        effective = effective_portal_access(membership_access=access, company_default=default)
        by_id[contact_id].companies[name.lower()] = (pk, access, effective)
    for contact_id, channel, state, given_at in (
        ConsentRecord.objects.filter(contact__in=ids)
        .order_by("given_at", "id")
        .values_list("contact_id", "channel", "state", "given_at")
    ):
        by_id[contact_id].consent[channel] = (state, given_at)
        by_id[contact_id].consent_keys.add(consent_key(channel, state, given_at))
    for contact_id, body in Contact.activities.rel.related_model.objects.filter(
        contact__in=ids, kind=ActivityKind.NOTE
    ).values_list("contact_id", "body"):
        by_id[contact_id].notes.add(body)
    return found


def labels_existing(*, names: Iterable[str]) -> dict[str, Label]:
    """Return the labels with these names in any letter case, by lower-case name."""
    lowered = {name.lower() for name in names}
    if not lowered:
        return {}
    labels = Label.objects.annotate(lowered=Lower("name")).filter(lowered__in=lowered)
    return {label.name.lower(): label for label in labels}


def companies_existing(*, names: Iterable[str]) -> dict[str, Company]:
    """Return the companies with these names in any letter case, by lower-case name (the first made, if twins)."""
    lowered = {name.lower() for name in names}
    if not lowered:
        return {}
    found: dict[str, Company] = {}
    for company in Company.objects.annotate(lowered=Lower("name")).filter(lowered__in=lowered).order_by("pk"):
        found.setdefault(company.name.lower(), company)
    return found


def import_runs() -> QuerySet[ImportRun]:
    """The import log, newest first, with who ran each."""
    return ImportRun.objects.select_related("user")


ROWS_PER_PAGE = 100


def import_rows_page(*, run: ImportRun, action: str = "", after: int = 0) -> list[ImportRow]:
    """One page of a run's row results in file order, after row `after` (a keyset on the row number)."""
    rows = ImportRow.objects.filter(run=run, number__gt=after)
    if action:
        rows = rows.filter(action=action)
    return list(rows.order_by("number")[: ROWS_PER_PAGE + 1])


def import_rows_not_imported(*, run: ImportRun) -> QuerySet[ImportRow]:
    """The rows the import did not take whole: errors and skips, and rows with a value left out."""
    return ImportRow.objects.filter(run=run).filter(
        Q(action__in=("error", "skip")) | Q(applied="error") | ~Q(problems=[])
    )


def import_runs_visible_to(*, user) -> QuerySet[ImportRun]:
    """The one rule of who sees an import: the person who ran it, and staff who may export contacts (all of them).

    A run holds the file's rows, personal data as sensitive as an export, so seeing others' runs goes with export.
    """
    runs = import_runs()
    if not user.has_perm("customers.add_contact"):
        return runs.none()
    return runs if user.has_perm("customers.export_contact") else runs.filter(user=user)


def import_run_for(*, user, pk: int) -> ImportRun:
    """Return the run if the user may see it; raise Http404 otherwise, whether or not it exists."""
    return get_object_or_404(import_runs_visible_to(user=user).select_related("job"), pk=pk)
