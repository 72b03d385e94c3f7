"""Writes to a contact's own details: create, edit, unlock, promote, the derived totals, a phone from an order."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Lower, Trim

from crm_core.actors import Actor
from customers.images import ProcessedImage
from customers.models import (
    Contact,
    EmailAlias,
    Label,
    PhoneNumber,
    Source,
    Stage,
)
from customers.search import search_document
from customers.services.aliases import email_alias_check
from customers.services.labels import contact_labels_set
from customers.services.records import (
    activity_record,
    contact_search_refresh_if_found_by,
    contacts_search_refresh,
    contacts_version_move,
)

# Editing any of these by hand locks the details against later orders.
DETAIL_FIELDS = ("first_name", "last_name", "image", *Contact.ADDRESS_FIELDS)


@dataclass(frozen=True)
class PhoneInput:
    number: str  # E.164, already validated by the form
    label: str = ""


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
    # A new contact has no companies yet, so its search document is known now and goes in with the insert
    # (five statements fewer than a refresh: mail intake and order sync create contacts one by one).
    document = search_document(
        first_name=first_name, last_name=last_name, email=email.strip(), phones=[phone.number for phone in phones]
    )
    contact = Contact.objects.create(
        email=email.strip(),
        first_name=first_name,
        last_name=last_name,
        stage=stage,
        source=source,
        search_document=document,
        **details,
    )
    email_alias_check(email=contact.email)
    if image is not None:
        # Written after the insert, so an email the database refuses leaves no file behind.
        _image_store(contact=contact, image=image)
        contact.save(update_fields=["image", "image_thumbnail"])
    if phones:
        PhoneNumber.objects.bulk_create(
            PhoneNumber(contact=contact, number=phone.number, label=phone.label, position=position)
            for position, phone in enumerate(phones)
        )
    if labels:
        contact.labels.add(*labels)
    activity_record(
        contact=contact,
        event="created",
        actor=actor,
        body=contact_created_described(stage=Stage(contact.stage), source=Source(contact.source)),
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


class ContactGone(Exception):
    """The contact was removed (merged into another) after the edit started: there is nothing left to save to."""


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
        current = Contact.objects.select_for_update().values_list("updated_at", flat=True).filter(pk=contact.pk).first()
        if current is None:
            raise ContactGone()
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
        contact_labels_set(contact=contact, labels=labels, actor=actor)
    if image is not None or (remove_image and contact.image):
        changed["image"] = [
            "an image" if contact.image else "",
            ("a new image" if contact.image else "an image") if image is not None else "",
        ]
    if not changed:
        return contact
    if "email" in changed:
        # The contact's own alias typed as its email swaps the two; another contact's alias is refused.
        EmailAlias.objects.filter(contact=contact, email_normalized=Lower(Trim(Value(contact.email)))).update(
            email=changed["email"][0]
        )
    if any(field in DETAIL_FIELDS or field == "phones" for field in changed):
        contact.details_locked = True
    contact.save()
    if "email" in changed:
        email_alias_check(email=contact.email)
    if "image" in changed:
        # Stored after the row is saved, so an email the database refuses leaves no new file behind.
        _image_store(contact=contact, image=image)
        contact.save(update_fields=["image", "image_thumbnail"])
    contact_search_refresh_if_found_by(contact=contact, fields=changed)
    activity_record(
        contact=contact,
        event="edited",
        actor=actor,
        body=_changes_described(changed),
        data={"changes": changed, "locked": contact.details_locked},
    )
    return contact


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
def contact_created_described(*, stage: Stage, source: Source) -> str:
    """Return the timeline's words for a new contact: "Created as Customer (Shop order)"."""
    return f"Created as {stage.label} ({source.label})"


def contact_promoted_described(*, source_reference: str) -> str:
    return f"Became a customer ({source_reference})"


def contact_promote_to_customer(*, contact: Contact, actor: Actor, source_reference: str) -> bool:
    """Make a lead a customer, saying what made it one ("Order #1001"); stage only moves forward by itself.

    The caller has read the contact under its row lock (both callers do), so its stage is what is stored.
    Return whether it changed.
    """
    if contact.stage != Stage.LEAD and not contact.get_deferred_fields():
        # A customer has nothing to promote: no statement at all, the usual case of an order.
        return False
    updated = Contact.objects.filter(pk=contact.pk, stage=Stage.LEAD).update(stage=Stage.CUSTOMER)
    if not updated:
        return False
    contact.assume_saved(stage=Stage.CUSTOMER)
    activity_record(
        contact=contact,
        event="became_customer",
        actor=actor,
        body=contact_promoted_described(source_reference=source_reference),
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
    # One UPDATE, relative to what is stored: a write to the contact in between (a staff edit) is kept.
    Contact.objects.filter(pk=contact.pk).update(
        orders_count=F("orders_count") + 1,
        total_spent=F("total_spent") + amount,
        last_order_at=Case(
            When(Q(last_order_at__isnull=True) | Q(last_order_at__lt=placed_at), then=Value(placed_at)),
            default=F("last_order_at"),
        ),
    )
    contact.refresh_from_db(fields=["orders_count", "total_spent", "last_order_at"])


def contact_phone_add(*, contact: Contact, number: str, label: str = "") -> None:
    """Add a number at the end of the contact's list unless it is already there."""
    if contact.phones.filter(number=number).exists():
        return
    PhoneNumber.objects.create(contact=contact, number=number, label=label, position=contact.phones.count())
    contacts_version_move(contact_ids=[contact.pk])
    contacts_search_refresh(contact_ids=[contact.pk])
