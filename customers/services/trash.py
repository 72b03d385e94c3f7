"""The Trash, purging and erasure: what happens to contacts after "Delete", and on a privacy request.

- Delete moves contacts to the Trash (`contacts_trash`): they leave the list, search and exports at once and
  can be restored for TRASH_DAYS days.
- Purge deletes trashed contacts for good: `manage.py purge_trash` once TRASH_DAYS have passed, or
  "Delete permanently" on the Trash page. Orders are kept, unlinked from the person, with their snapshot.
- Erasure (a privacy request) removes the person's data at once and leaves an anonymous shell that keeps
  the orders with their totals and an audit entry holding nothing personal.

Purging and erasing work on every table that points at a contact, found from the model relations
(phones, label links, activity, consent, suggestions, and the memberships and orders of the companies
and orders apps, which this app does not import), each honouring its on_delete. They go in primary-key
batches of a fixed number of statements, without model instances and without per-row signals; a table
whose rows have dependants or delete signals of their own goes through Django's collector instead.
"""

import logging
import math
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import Storage
from django.db import router, transaction
from django.db.models import CASCADE, DO_NOTHING, SET_NULL, ForeignObjectRel, QuerySet, signals
from django.db.models.deletion import Collector
from django.db.models.expressions import RawSQL
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import batches, pk_batches
from customers.models import ConsentRecord, Contact
from customers.search import contacts_matching
from customers.selectors import alias_owners, contact_live_by_email
from customers.services.records import activity_record
from customers.signals import contact_erased

__all__ = [
    "EmailTaken",
    "Erased",
    "Purged",
    "Restored",
    "contact_erase",
    "contact_restore",
    "contacts_in_trash",
    "contacts_purge",
    "contacts_restore",
    "contacts_trash",
    "erased_email",
    "purge_days_left",
    "trash_cutoff",
]

logger = logging.getLogger(__name__)


# ---------- Reads ----------


def trash_cutoff(*, now: datetime | None = None) -> datetime:
    """Return the moment before which contacts in the Trash are due to be purged."""
    return (now or timezone.now()) - timedelta(days=settings.TRASH_DAYS)


def purge_days_left(*, deleted_at: datetime, now: datetime | None = None) -> int:
    """Return the whole days until a contact trashed at deleted_at is purged (0: at the next purge)."""
    remaining = deleted_at + timedelta(days=settings.TRASH_DAYS) - (now or timezone.now())
    return max(0, math.ceil(remaining / timedelta(days=1)))


def contacts_in_trash(*, term: str = "") -> QuerySet[Contact]:
    """Return the contacts in the Trash, newest deleted first, whose name, email or phone holds the term."""
    trashed = Contact.objects.filter(deleted_at__isnull=False)
    return contacts_matching(trashed, term).order_by("-deleted_at", "-pk")


# ---------- Batches and the tables that point at a contact ----------


def _locked_batches(contacts: QuerySet[Contact], *fields: str) -> Iterator[list[tuple]]:
    """Yield (pk, *fields) rows in primary-key batches, each locked until the transaction ends.

    The lock makes a concurrent restore or delete of the same contacts wait, so what a batch read is
    what it changes.
    """
    return batches(contacts.select_for_update(of=("self",)).values_list("pk", *fields))


def _dependents() -> list[ForeignObjectRel]:
    """Return every relation pointing at Contact, as Django's own delete finds them (m2m links included)."""
    return [
        relation
        for relation in Contact._meta.get_fields(include_hidden=True)
        if relation.auto_created and not relation.concrete and (relation.one_to_many or relation.one_to_one)
    ]


def _ids(ids: list[int]) -> RawSQL:
    """Return a batch's primary keys as a literal list for `__in`.

    They are integers read from the database. Bound as 2,000 parameters, every statement of a purge would
    spend more time in Django's per-value lookup preparation than the database spends deleting the rows.
    """
    return RawSQL(", ".join(str(int(pk)) for pk in ids), ())  # noqa: S611


def _rows_of(relation: ForeignObjectRel, ids: list[int], using: str) -> QuerySet:
    return relation.related_model._base_manager.using(using).filter(**{f"{relation.field.name}__in": _ids(ids)})


def _rows_delete(rows: QuerySet, using: str) -> int:
    """Delete rows with one DELETE when nothing hangs off them and nobody listens; else through the collector."""
    if Collector(using=using, origin=None).can_fast_delete(rows):
        return rows._raw_delete(using)
    return rows.delete()[0]


def _key(relation: ForeignObjectRel) -> str:
    return relation.related_model._meta.label_lower


def _files_delete(storage: Storage, names: list[str]) -> None:
    for name in names:
        storage.delete(name)


def _files_delete_on_commit(names: list[str], using: str) -> None:
    """Delete image files once the transaction commits, so a rollback never leaves a row without its file."""
    if names:
        storage = Contact._meta.get_field("image").storage
        transaction.on_commit(lambda: _files_delete(storage, names), using=using)


# ---------- Delete ----------


@transaction.atomic
def contacts_trash(*, contacts: QuerySet[Contact], actor: Actor, at: datetime | None = None) -> int:
    """Move live contacts to the Trash, from where they can be restored for 30 days; return how many moved.

    Every contact of one call gets the same deleted_at (`at`, now by default), so that moment names the
    move for an Undo (customers.services.trash.contacts_restore). Contacts are taken in primary-key batches, each
    locked, updated and recorded in a fixed number of statements, so a million never sit in memory.
    """
    at = at or timezone.now()
    moved = 0
    for batch in pk_batches(contacts.live().select_for_update(of=("self",))):
        Contact.objects.filter(pk__in=batch).update(deleted_at=at)
        activity_record(contact_ids=batch, event="trashed", actor=actor, body="Moved to the Trash")
        moved += len(batch)
    return moved


class EmailTaken(Exception):
    """A live contact already uses the email of the contact being restored."""

    def __init__(self, existing: Contact) -> None:
        super().__init__(f"{existing.email} belongs to contact {existing.pk}")
        self.existing = existing


@transaction.atomic
def contact_restore(*, contact: Contact, actor: Actor) -> Contact:
    """Bring a contact back from the Trash; refuse with EmailTaken if a live contact now has its email."""
    existing = contact_live_by_email(email=contact.email)
    if existing is not None:
        raise EmailTaken(existing)
    contact.deleted_at = None
    contact.save(update_fields=["deleted_at", "updated_at"])
    activity_record(contact=contact, event="restored", actor=actor, body="Restored from the Trash")
    return contact


# ---------- Restore (Undo) ----------


@dataclass(frozen=True)
class Restored:
    count: int
    # (contact left in the Trash, the live contact that now has its email), for each one not restored.
    blocked: list[tuple[int, int]] = field(default_factory=list)


@transaction.atomic
def contacts_restore(*, contacts: QuerySet[Contact], actor: Actor) -> Restored:
    """Bring contacts back from the Trash, except each whose email a live contact now has.

    The single-contact restore with its error page is customers.services.contact_restore; this is the
    Undo of a delete, where the others come back and the blocked ones are reported.
    """
    restored, blocked = 0, []
    for batch in _locked_batches(contacts.filter(deleted_at__isnull=False), "email_normalized"):
        emails = [email for _, email in batch]
        taken = dict(Contact.objects.live().filter(email_normalized__in=emails).values_list("email_normalized", "pk"))
        taken |= alias_owners(keys=set(emails) - taken.keys())
        ids = []
        for pk, email in batch:
            if email in taken:
                blocked.append((pk, taken[email]))
            else:
                # Two trashed contacts with one email: the first comes back, the second is blocked by it.
                taken[email] = pk
                ids.append(pk)
        Contact.objects.filter(pk__in=ids).update(deleted_at=None, updated_at=timezone.now())
        activity_record(contact_ids=ids, event="restored", actor=actor, body="Restored from the Trash")
        restored += len(ids)
    return Restored(count=restored, blocked=blocked)


# ---------- Purge ----------


@dataclass
class Purged:
    contacts: int = 0
    # Rows deleted with the contacts, per table ("customers.phonenumber": 2, …).
    deleted: Counter = field(default_factory=Counter)
    # Rows kept but no longer linked to a contact, per table ("orders.order": 3).
    unlinked: Counter = field(default_factory=Counter)

    def __iadd__(self, other: "Purged") -> "Purged":
        self.contacts += other.contacts
        self.deleted += other.deleted
        self.unlinked += other.unlinked
        return self


def _fast_path(relations: list[ForeignObjectRel]) -> bool:
    """Return whether contacts can go table by table: no delete signals on Contact, no PROTECT or RESTRICT."""
    listened = signals.pre_delete.has_listeners(Contact) or signals.post_delete.has_listeners(Contact)
    return not listened and all(relation.on_delete in (CASCADE, SET_NULL, DO_NOTHING) for relation in relations)


@transaction.atomic
def contacts_purge(*, contacts: QuerySet[Contact], actor: Actor) -> Purged:
    """Delete contacts in the Trash for good with every row that hangs off them; keep their orders, unlinked.

    Contacts outside the Trash are left alone. Each batch of 2,000 costs the same few statements: one per
    table that points at a contact, then one for the contacts. Image files go once the transaction commits.
    """
    using = router.db_for_write(Contact)
    relations = _dependents()
    fast = _fast_path(relations)
    purged = Purged()
    files: list[str] = []
    for batch in _locked_batches(contacts.filter(deleted_at__isnull=False), "image", "image_thumbnail"):
        ids = [pk for pk, *_ in batch]
        files += [name for _, *names in batch for name in names if name]
        if fast:
            for relation in relations:
                rows = _rows_of(relation, ids, using)
                if relation.on_delete is CASCADE:
                    purged.deleted[_key(relation)] += _rows_delete(rows, using)
                elif relation.on_delete is SET_NULL:
                    purged.unlinked[_key(relation)] += rows.update(**{relation.field.name: None})
            Contact._base_manager.using(using).filter(pk__in=_ids(ids))._raw_delete(using)
        else:
            _, per_model = Contact._base_manager.using(using).filter(pk__in=ids).delete()
            purged.deleted.update({label.lower(): n for label, n in per_model.items() if label != "customers.Contact"})
        purged.contacts += len(ids)
    _files_delete_on_commit(files, using)
    if purged.contacts:
        logger.info("%s purged %d contacts from the Trash", actor.user or actor.kind, purged.contacts)
    return purged


# ---------- Erasure ----------

# What an erased contact's email becomes: unique per contact, so the live-email constraint holds, and
# never anyone's address (.invalid is reserved by RFC 2606, and the app's email fields refuse a domain
# without a dot, so no form or order can bring it in).
ERASED_EMAIL = "erased-{pk}@invalid"


def trash_purge_due(*, actor: Actor, on_batch: Callable[[Purged], None] | None = None) -> Purged:
    """Delete for good every contact in the Trash longer than TRASH_DAYS, a committed batch at a time.

    An interrupted purge carries on where it stopped the next time; `on_batch` hears the total after each.
    """
    due = Contact.objects.filter(deleted_at__lt=trash_cutoff())
    total = Purged()
    for ids in pk_batches(due):
        total += contacts_purge(contacts=due.filter(pk__in=ids), actor=actor)
        if on_batch is not None:
            on_batch(total)
    return total


def erased_email(pk: int) -> str:
    """Return the placeholder email an erased contact keeps."""
    return ERASED_EMAIL.format(pk=pk)


@dataclass(frozen=True)
class Erased:
    contact: Contact
    deleted: dict[str, int]
    kept: dict[str, int]


@transaction.atomic
def contact_erase(*, contact: Contact, actor: Actor) -> Erased:
    """Remove a person's data at once (a privacy request), leaving an anonymous shell that keeps their orders.

    The name, address and image go and the email becomes a placeholder. Every row that hangs off the
    contact is deleted (phones, notes and the rest of the activity log, suggested updates, label and
    company links), except rows kept for their legal basis: consent records keep their states and times
    without the free text of how consent was collected, and the orders stay linked with their totals. The
    orders' buyer snapshot belongs to the orders app, which this app does not import: it removes it on the
    contact_erased signal, sent in the same transaction (customers.signals). The audit entry, an "erased"
    event, says who, when and how many rows went, and nothing personal.
    """
    using = router.db_for_write(Contact)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    files = [image.name for image in (contact.image, contact.image_thumbnail) if image]
    deleted, kept = Counter(), Counter()
    for relation in _dependents():
        rows = _rows_of(relation, [contact.pk], using)
        if relation.related_model is ConsentRecord:
            # Consent records are append-only; erasing the person is the one reason to change them.
            kept[_key(relation)] += rows.update(collected_how="")
        elif relation.on_delete is CASCADE:
            deleted[_key(relation)] += _rows_delete(rows, using)
        else:
            kept[_key(relation)] += rows.count()
    contact.first_name = contact.last_name = ""
    for name in Contact.ADDRESS_FIELDS:
        setattr(contact, name, "")
    contact.email = erased_email(contact.pk)
    contact.image = contact.image_thumbnail = ""
    # Written directly rather than refreshed: nothing is left to find the person by.
    contact.search_document = ""
    contact.save(
        update_fields=[
            "first_name",
            "last_name",
            *Contact.ADDRESS_FIELDS,
            "email",
            "image",
            "image_thumbnail",
            "search_document",
            "updated_at",
        ]
    )
    contact_erased.send(sender=Contact, contact=contact)
    _files_delete_on_commit(files, using)
    activity_record(
        contact=contact,
        event="erased",
        actor=actor,
        body="Personal data erased on request",
        data={"deleted": dict(deleted), "kept": dict(kept), "image": bool(files)},
    )
    return Erased(contact=contact, deleted=dict(deleted), kept=dict(kept))
