"""Every write to the address book. Views, forms, the admin, webhooks and commands all call these."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import pk_batches, row_copy
from customers.images import ProcessedImage
from customers.models import (
    Activity,
    ActivityKind,
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    Label,
    LabelColour,
    OptInLevel,
    PhoneNumber,
    Source,
    Stage,
    SuggestedUpdate,
    SuggestionStatus,
)
from customers.selectors import (
    consent_current_by_contact,
    contact_live_by_email,
    labels_named,
    search_documents_by_contact,
)

# Editing any of these by hand locks the details against later orders.
DETAIL_FIELDS = ("first_name", "last_name", "image", *Contact.ADDRESS_FIELDS)
# A change to any of these changes what the contact is found by.
SEARCHED_FIELDS = {"first_name", "last_name", "email", "phones"}


@dataclass(frozen=True)
class PhoneInput:
    number: str  # E.164, already validated by the form
    label: str = ""


def _event_row(*, contact_id: int, event: str, actor: Actor, body: str, data: dict[str, Any] | None) -> Activity:
    return Activity(
        contact_id=contact_id,
        kind=ActivityKind.EVENT,
        event=event,
        body=body,
        actor_kind=actor.kind,
        actor=actor.user,
        data=data or {},
    )


def activity_record(
    *,
    event: str,
    actor: Actor,
    body: str = "",
    data: dict[str, Any] | None = None,
    contact: Contact | None = None,
    contact_ids: Sequence[int] = (),
) -> Activity | None:
    """Record a system event on the timeline of one `contact`, or of each of `contact_ids`; return the first entry.

    Every service that changes a contact calls this. However many contacts there are, it costs two statements:
    the first entry is saved as usual and the database copies it to the others (crm_core.batching.row_copy).
    """
    ids = [contact.pk] if contact is not None else list(contact_ids)
    if not ids:
        return None
    first = _event_row(contact_id=ids[0], event=event, actor=actor, body=body, data=data)
    first.save()
    row_copy(model=Activity, source_pk=first.pk, field="contact", targets=ids[1:])
    return first


def contacts_version_move(*, contact_ids: Iterable[int]) -> None:
    """Give these contacts a new version: something their edit form shows (labels, companies, phones) changed.

    An edit form opened before such a change is then refused as stale instead of saving the old list back.
    """
    Contact.objects.filter(pk__in=list(contact_ids)).update(updated_at=timezone.now())


SEARCH_REFRESH_BATCH = 1000


def contacts_search_refresh(*, contact_ids: Iterable[int]) -> None:
    """Recompute the search document of these contacts from their name, email, phones and companies."""
    ids = list(dict.fromkeys(contact_ids))
    for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
        documents = search_documents_by_contact(contact_ids=ids[start : start + SEARCH_REFRESH_BATCH])
        Contact.objects.bulk_update(
            [Contact(pk=pk, search_document=document) for pk, document in documents.items()], ["search_document"]
        )


def _image_store(*, contact: Contact, image: ProcessedImage | None) -> None:
    """Put a processed image (or none) on the contact; the old files go once the transaction commits.

    Deleting only after the commit means a failed save never leaves the contact pointing at missing files.
    """
    old = [field.name for field in (contact.image, contact.image_thumbnail) if field]
    if image is None:
        contact.image, contact.image_thumbnail = "", ""
    else:
        contact.image.save(f"image{image.extension}", image.image, save=False)
        contact.image_thumbnail.save(f"thumbnail{image.extension}", image.thumbnail, save=False)
    storage = contact.image.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in old])


def _phones_replace(*, contact: Contact, phones: Sequence[PhoneInput]) -> None:
    contact.phones.all().delete()
    PhoneNumber.objects.bulk_create(
        PhoneNumber(contact=contact, number=phone.number, label=phone.label, position=position)
        for position, phone in enumerate(phones)
    )


@transaction.atomic
def contact_create(
    *,
    email: str,
    actor: Actor,
    first_name: str = "",
    last_name: str = "",
    stage: Stage = Stage.LEAD,
    source: Source = Source.MANUAL,
    phones: Sequence[PhoneInput] = (),
    labels: Iterable[Label] = (),
    image: ProcessedImage | None = None,
    **details: Any,
) -> Contact:
    """Create a contact; the database refuses a second live contact with the same email."""
    contact = Contact.objects.create(
        email=email.strip(), first_name=first_name, last_name=last_name, stage=stage, source=source, **details
    )
    if image is not None:
        # Written after the insert, so an email the database refuses leaves no file behind.
        _image_store(contact=contact, image=image)
        contact.save(update_fields=["image", "image_thumbnail"])
    _phones_replace(contact=contact, phones=phones)
    contacts_search_refresh(contact_ids=[contact.pk])
    contact.labels.add(*labels)
    activity_record(
        contact=contact,
        event="created",
        actor=actor,
        body=f"Created as {contact.get_stage_display()} ({contact.get_source_display()})",
        data={"stage": contact.stage, "source": contact.source},
    )
    return contact


def _changes_described(changed: dict[str, list[str]]) -> str:
    # One line per field in words staff read ("Last name: Lee → Smith"), in the order of the form.
    order = ["first_name", "last_name", "email", "phones", "image", *Contact.ADDRESS_FIELDS]
    lines = []
    for field in sorted(changed, key=lambda name: order.index(name) if name in order else len(order)):
        label = "Phones" if field == "phones" else str(Contact._meta.get_field(field).verbose_name)
        old, new = changed[field]
        lines.append(f"{label[:1].upper()}{label[1:]}: {old or '(none)'} → {new or '(none)'}")
    return "Edited details\n" + "\n".join(lines)


class ContactChanged(Exception):
    """The contact was saved by someone else after the version an edit started from."""

    def __init__(self, updated_at: datetime) -> None:
        super().__init__(f"Contact changed at {updated_at.isoformat()}")
        self.updated_at = updated_at


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    actor: Actor,
    phones: Sequence[PhoneInput] | None = None,
    labels: Iterable[Label] | None = None,
    image: ProcessedImage | None = None,
    remove_image: bool = False,
    version: datetime | None = None,
    **changes: Any,
) -> Contact:
    """Apply staff's changes; a change to the details locks them against later orders and is recorded.

    With a version (the updated_at the edit started from), refuse with ContactChanged if the contact has
    been saved since; the row stays locked until this transaction ends, so no save can slip in between.
    Labels are not details: each one added or removed is recorded on its own and locks nothing.
    """
    if version is not None:
        current = Contact.objects.select_for_update().values_list("updated_at", flat=True).get(pk=contact.pk)
        if current != version:
            raise ContactChanged(current)
    changed: dict[str, list[str]] = {}
    for field, new in changes.items():
        old = getattr(contact, field)
        if str(old or "") != str(new or ""):
            changed[field] = [str(old or ""), str(new or "")]
            setattr(contact, field, new)
    if phones is not None:
        old_phones = [(p.number, p.label) for p in contact.phones.all()]
        new_phones = [(p.number, p.label) for p in phones]
        if old_phones != new_phones:
            changed["phones"] = [
                ", ".join(number for number, _ in old_phones),
                ", ".join(number for number, _ in new_phones),
            ]
            _phones_replace(contact=contact, phones=phones)
    if labels is not None:
        _labels_replace(contact=contact, labels=labels, actor=actor)
    if image is not None or (remove_image and contact.image):
        changed["image"] = [
            "an image" if contact.image else "",
            ("a new image" if contact.image else "an image") if image is not None else "",
        ]
    if not changed:
        return contact
    if any(field in DETAIL_FIELDS or field == "phones" for field in changed):
        contact.details_locked = True
    contact.save()
    if "image" in changed:
        # Stored after the row is saved, so an email the database refuses leaves no new file behind.
        _image_store(contact=contact, image=image)
        contact.save(update_fields=["image", "image_thumbnail"])
    if changed.keys() & SEARCHED_FIELDS:
        contacts_search_refresh(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="edited",
        actor=actor,
        body=_changes_described(changed),
        data={"changes": changed, "locked": contact.details_locked},
    )
    return contact


def _labels_replace(*, contact: Contact, labels: Iterable[Label], actor: Actor) -> None:
    wanted = {label.pk: label for label in labels}
    current = {label.pk: label for label in contact.labels.all()}
    removed = [label for pk, label in current.items() if pk not in wanted]
    if removed:
        Contact.labels.through.objects.filter(contact=contact, label__in=removed).delete()
        contacts_version_move(contact_ids=[contact.pk])
    contact_labels_add(
        contact=contact, labels=[label for pk, label in wanted.items() if pk not in current], actor=actor
    )
    Activity.objects.bulk_create(
        _event_row(contact_id=contact.pk, actor=actor, **_label_event(label=label, added=False)) for label in removed
    )


@transaction.atomic
def contact_unlock(*, contact: Contact, actor: Actor) -> bool:
    """Let later orders update the details again; return False, recording nothing, if they were not locked."""
    if not Contact.objects.filter(pk=contact.pk, details_locked=True).update(details_locked=False):
        return False
    contact.assume_saved(details_locked=False)
    activity_record(
        contact=contact,
        event="details_unlocked",
        actor=actor,
        body="Details unlocked: later orders may update the name, address and phones again",
    )
    return True


@transaction.atomic
def contacts_trash(*, contacts: QuerySet[Contact], actor: Actor, at: datetime | None = None) -> int:
    """Move live contacts to the Trash, from where they can be restored for 30 days; return how many moved.

    Every contact of one call gets the same deleted_at (`at`, now by default), so that moment names the
    move for an Undo (customers.trash.contacts_restore). Contacts are taken in primary-key batches, each
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


@transaction.atomic
def contact_promote_to_customer(*, contact: Contact, actor: Actor, source_reference: str) -> bool:
    """Make a lead a customer, saying what made it one ("Order #1001"); stage only moves forward by itself.

    Return whether it changed.
    """
    updated = Contact.objects.filter(pk=contact.pk, stage=Stage.LEAD).update(stage=Stage.CUSTOMER)
    if not updated:
        return False
    contact.assume_saved(stage=Stage.CUSTOMER)
    activity_record(
        contact=contact,
        event="became_customer",
        actor=actor,
        body=f"Became a customer ({source_reference})",
        data={"source": source_reference},
    )
    return True


# The columns a contact keeps only so the list can filter and sort on them; each is derived from other
# rows (orders, consent records, phones and companies), and contacts_derived_set is how a repair writes them.
DERIVED_COLUMNS = ("orders_count", "total_spent", "last_order_at", "marketing_consent", "search_document")


@transaction.atomic
def contacts_derived_set(*, values: dict[int, dict[str, Any]]) -> int:
    """Write recomputed derived columns onto contacts, one contact's columns at a time; return how many changed.

    A repair (contacts_crm.integrity): the caller holds the contacts' row locks and computed the values
    under them. The search document alone leaves the version alone, as its refresh does.
    """
    for contact_id, columns in values.items():
        unknown = columns.keys() - set(DERIVED_COLUMNS)
        if unknown:
            raise ValueError(f"Not derived columns: {sorted(unknown)}")
        Contact.objects.filter(pk=contact_id).update(**columns)
    return len(values)


def contact_orders_summary_add(*, contact: Contact, amount: Decimal, placed_at: datetime) -> None:
    """Count a placed order in the contact's orders count, total spent and last order date."""
    Contact.objects.filter(pk=contact.pk).update(
        orders_count=F("orders_count") + 1, total_spent=F("total_spent") + amount
    )
    Contact.objects.filter(pk=contact.pk, last_order_at__lt=placed_at).update(last_order_at=placed_at)
    Contact.objects.filter(pk=contact.pk, last_order_at__isnull=True).update(last_order_at=placed_at)
    contact.refresh_from_db(fields=["orders_count", "total_spent", "last_order_at"])


@transaction.atomic
def note_add(*, contact: Contact, body: str, actor: Actor) -> Activity:
    """Add a staff note to the contact's activity log."""
    return Activity.objects.create(
        contact=contact, kind=ActivityKind.NOTE, body=body, actor_kind=actor.kind, actor=actor.user
    )


def note_can_edit(*, user: AbstractBaseUser, note: Activity) -> bool:
    """Return whether the user may edit the note: only its author, while they may change contacts."""
    return note.kind == ActivityKind.NOTE and note.actor_id == user.pk and user.has_perm("customers.change_contact")


def note_can_delete(*, user: AbstractBaseUser, note: Activity) -> bool:
    """Return whether the user may delete the note: its author, or anyone who may delete activity (managers)."""
    return note.kind == ActivityKind.NOTE and (
        note_can_edit(user=user, note=note) or user.has_perm("customers.delete_activity")
    )


class NotePermissionDenied(Exception):
    """The user may not change this note."""


@transaction.atomic
def note_update(*, note: Activity, body: str, actor: Actor) -> Activity:
    """Change the text of a note its author wrote; the log records that it was edited and what it said."""
    if actor.user is None or not note_can_edit(user=actor.user, note=note):
        raise NotePermissionDenied(note.pk)
    if note.body == body:
        return note
    previous = note.body
    note.body = body
    note.data = {**note.data, "edited_at": timezone.now().isoformat()}
    note.save(update_fields=["body", "data"])
    activity_record(
        contact=note.contact,
        event="note_edited",
        actor=actor,
        body="Note edited",
        data={"note": note.pk, "previous": previous},
    )
    return note


@transaction.atomic
def note_delete(*, note: Activity, actor: Actor) -> None:
    """Delete a note (its author, or a manager); the log keeps a line saying whose note was deleted."""
    if actor.user is None or not note_can_delete(user=actor.user, note=note):
        raise NotePermissionDenied(note.pk)
    author = note.actor.get_full_name() or note.actor.get_username() if note.actor else "someone"
    activity_record(contact=note.contact, event="note_deleted", actor=actor, body=f"Note by {author} deleted", data={})
    note.delete()


@transaction.atomic
def label_create(*, name: str, colour: str = LabelColour.GREY) -> Label:
    """Create a label; the database refuses a name that differs from another only in case."""
    return Label.objects.create(name=name.strip(), colour=colour)


def _label_event(*, label: Label, added: bool) -> dict[str, Any]:
    """The timeline entry for a label put on or taken off a contact, the same whichever way it happened."""
    verb = "added" if added else "removed"
    return {"event": f"label_{verb}", "body": f"Label {label.name} {verb}", "data": {"label": label.pk}}


@transaction.atomic
def contact_labels_add(*, contact: Contact, labels: Iterable[Label], actor: Actor) -> None:
    """Attach labels to a contact, recording each one that was not already there."""
    existing = set(contact.labels.values_list("pk", flat=True))
    new = [label for label in labels if label.pk not in existing]
    if not new:
        return
    contact.labels.add(*new)
    contacts_version_move(contact_ids=[contact.pk])
    Activity.objects.bulk_create(
        _event_row(contact_id=contact.pk, actor=actor, **_label_event(label=label, added=True)) for label in new
    )


@transaction.atomic
def contacts_label_add(*, contacts: QuerySet[Contact], label: Label, actor: Actor) -> int:
    """Add a label to every contact selected that lacks it; return how many gained it."""
    links = Contact.labels.through
    added = 0
    for batch in pk_batches(contacts.exclude(pk__in=links.objects.filter(label=label).values("contact_id"))):
        # A concurrent request may have added the same link; the unique pair keeps one.
        links.objects.bulk_create((links(contact_id=pk, label=label) for pk in batch), ignore_conflicts=True)
        contacts_version_move(contact_ids=batch)
        activity_record(contact_ids=batch, actor=actor, **_label_event(label=label, added=True))
        added += len(batch)
    return added


@transaction.atomic
def contacts_label_remove(*, contacts: QuerySet[Contact], label: Label, actor: Actor) -> int:
    """Take a label off every contact selected that has it; return how many lost it."""
    links = Contact.labels.through
    removed = 0
    for batch in pk_batches(contacts.filter(pk__in=links.objects.filter(label=label).values("contact_id"))):
        links.objects.filter(label=label, contact_id__in=batch).delete()
        contacts_version_move(contact_ids=batch)
        activity_record(contact_ids=batch, actor=actor, **_label_event(label=label, added=False))
        removed += len(batch)
    return removed


@transaction.atomic
def consent_record(
    *,
    contact: Contact,
    state: ConsentState,
    source: ConsentSource,
    given_at: datetime,
    collected_how: str,
    actor: Actor,
    opt_in_level: OptInLevel = OptInLevel.UNKNOWN,
    channel: ConsentChannel = ConsentChannel.EMAIL,
) -> ConsentRecord:
    """Append a consent record; the contact's current consent is the latest record by the moment given."""
    # Locking the contact makes concurrent records for it take turns, so each reads back the latest
    # with the others committed and the last writer cannot store an older record's state.
    current = Contact.objects.select_for_update().values_list("marketing_consent", flat=True).get(pk=contact.pk)
    # Nothing is given in the future (a shop clock running fast): such a record would outrank an
    # unsubscribe made now, which must take effect at once.
    given_at = min(given_at, timezone.now())
    record = ConsentRecord.objects.create(
        contact=contact,
        channel=channel,
        state=state,
        opt_in_level=opt_in_level,
        source=source,
        given_at=given_at,
        collected_how=collected_how,
        actor=actor.user,
    )
    superseded = False
    if channel == ConsentChannel.EMAIL:
        # An older record entered later must not override a newer one, so read the latest back.
        latest = consent_current_by_contact(contact_ids=[contact.pk])[contact.pk]
        if latest.state != current:
            Contact.objects.filter(pk=contact.pk).update(marketing_consent=latest.state)
        contact.assume_saved(marketing_consent=latest.state)
        superseded = latest.record_id != record.pk
    body = f"{record.get_channel_display()} marketing: {record.get_state_display()}"
    if superseded:
        when = timezone.localtime(given_at)
        body += f" (entered later for {when.day} {when:%b %Y}; a later entry stays current)"
    activity_record(
        contact=contact,
        event="consent_changed",
        actor=actor,
        body=body,
        data={"state": state, "source": source, "given_at": given_at.isoformat(), "current": not superseded},
    )
    return record


@transaction.atomic
def contact_sync_details(
    *, contact: Contact, details: dict[str, str], source_reference: str, actor: Actor, phone: str = ""
) -> None:
    """Bring an order's details onto the contact, or, when staff locked them, keep them as suggestions.

    A new suggestion for a field replaces one still pending for it, so staff only ever see the latest.
    """
    differing = {field: value for field, value in details.items() if value and getattr(contact, field) != value}
    new_phone = bool(phone) and not contact.phones.filter(number=phone).exists()
    if contact.details_locked:
        suggested = {**differing, **({SuggestedUpdate.PHONE: phone} if new_phone else {})}
        if suggested:
            contact.suggested_updates.filter(status=SuggestionStatus.PENDING, field__in=suggested).update(
                status=SuggestionStatus.DISMISSED, resolved_at=timezone.now()
            )
            SuggestedUpdate.objects.bulk_create(
                SuggestedUpdate(contact=contact, field=field, value=value, source_reference=source_reference)
                for field, value in suggested.items()
            )
        return
    if new_phone:
        contact_phone_add(contact=contact, number=phone)
    if not differing:
        return
    for field, value in differing.items():
        setattr(contact, field, value)
    contact.save(update_fields=[*differing, "updated_at"])
    if differing.keys() & SEARCHED_FIELDS:
        contacts_search_refresh(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="details_synced",
        actor=actor,
        body=f"Details updated from {source_reference}",
        data={"fields": sorted(differing)},
    )


@transaction.atomic
def suggestion_accept(*, suggestion: SuggestedUpdate, actor: Actor) -> bool:
    """Apply a pending suggestion to the contact and record it; return False if it was no longer pending.

    The details stay locked: accepting is a staff decision, like an edit.
    """
    if not SuggestedUpdate.objects.filter(pk=suggestion.pk, status=SuggestionStatus.PENDING).update(
        status=SuggestionStatus.ACCEPTED, resolved_by=actor.user, resolved_at=timezone.now()
    ):
        return False
    contact = Contact.objects.select_for_update().get(pk=suggestion.contact_id)
    suggestion.contact = contact
    label, old = suggestion.field_label, suggestion.current_value
    if suggestion.field == SuggestedUpdate.PHONE:
        contact_phone_add(contact=contact, number=suggestion.value)
    else:
        setattr(contact, suggestion.field, suggestion.value)
        contact.save(update_fields=[suggestion.field, "updated_at"])
        if suggestion.field in SEARCHED_FIELDS:
            contacts_search_refresh(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="suggestion_accepted",
        actor=actor,
        body=f"Accepted from {suggestion.source_reference}: {label}: {old or '(none)'} → {suggestion.value}",
        data={"field": suggestion.field, "old": old, "new": suggestion.value, "suggestion": suggestion.pk},
    )
    return True


@transaction.atomic
def suggestion_dismiss(*, suggestion: SuggestedUpdate, actor: Actor) -> bool:
    """Set a pending suggestion aside without changing the contact; return False if it was not pending."""
    return bool(
        SuggestedUpdate.objects.filter(pk=suggestion.pk, status=SuggestionStatus.PENDING).update(
            status=SuggestionStatus.DISMISSED, resolved_by=actor.user, resolved_at=timezone.now()
        )
    )


def contact_phone_add(*, contact: Contact, number: str, label: str = "") -> None:
    """Add a number at the end of the contact's list unless it is already there."""
    if contact.phones.filter(number=number).exists():
        return
    PhoneNumber.objects.create(contact=contact, number=number, label=label, position=contact.phones.count())
    contacts_version_move(contact_ids=[contact.pk])
    contacts_search_refresh(contact_ids=[contact.pk])


@transaction.atomic
def label_update(*, label: Label, name: str, colour: str) -> Label:
    """Rename or recolour a label."""
    label.name, label.colour = name.strip(), colour
    label.save(update_fields=["name", "colour", "updated_at"])
    return label


@transaction.atomic
def label_delete(*, label: Label) -> int:
    """Delete a label, taking it off every contact; return how many live contacts had it."""
    affected = label.contacts.live().count()
    label.delete()
    return affected


@transaction.atomic
def label_get_or_create_by_name(*, name: str) -> Label:
    """Return the label called name in any letter case, creating it in the default colour if there is none."""
    # get_or_create retries the read when a concurrent request inserted the same name first.
    label, _ = labels_named(name=name).get_or_create(defaults={"name": name.strip()})
    return label


@transaction.atomic
def contact_label_remove(*, contact: Contact, label: Label, actor: Actor) -> bool:
    """Take a label off a contact and record it; return False, recording nothing, if it was not there."""
    removed, _ = Contact.labels.through.objects.filter(contact=contact, label=label).delete()
    if not removed:
        return False
    contacts_version_move(contact_ids=[contact.pk])
    activity_record(contact=contact, actor=actor, **_label_event(label=label, added=False))
    return True
