"""The merge of two contacts: everything of the merged one moved onto the survivor, in one transaction."""

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from companies.models import Membership
from crm_core.actors import Actor
from customers.models import (
    Activity,
    ConsentRecord,
    Contact,
    EmailAlias,
    PhoneNumber,
    Stage,
    SuggestedUpdate,
    SuggestionStatus,
)
from customers.selectors import consent_current_by_contact
from customers.services import activity_record, aliases_add, contacts_search_refresh
from customers.services.trash import erased_email
from merges.models import Merge
from merges.services.snapshot import merge_snapshot
from orders.models import Order
from orders.selectors import order_totals_by_contact
from tickets.models import Message, Ticket

# What staff choose between, each group taken whole from one side: a name or an address mixed from two
# people would be nobody's. The stage is not a choice: a customer stays a customer.
CHOICE_FIELDS = {
    "name": ("first_name", "last_name"),
    "email": ("email",),
    "address": Contact.ADDRESS_FIELDS,
    "image": ("image", "image_thumbnail"),
}
SURVIVOR, MERGED = "survivor", "merged"


class MergeRefused(Exception):
    """The merge cannot be done as asked; the message says why in words staff read, and nothing was changed."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.message = message
        # True when a contact changed since the preview: the preview is shown again with what it is now.
        self.stale = stale


@dataclass(frozen=True)
class MergeChoices:
    """What staff chose in the preview: which side each group of fields comes from, and shared companies' access."""

    fields: dict[str, str] = field(default_factory=dict)
    # Company id → the portal_access the survivor's link keeps, for companies both contacts are linked to.
    access: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MergeCounts:
    """What moves from the merged contact to the survivor."""

    orders: int = 0
    tickets: int = 0
    activities: int = 0
    consent_records: int = 0
    suggestions: int = 0

    def described(self) -> str:
        parts = [
            (self.orders, "order"),
            (self.tickets, "ticket"),
            (self.activities, "note and activity entry", "notes and activity entries"),
            (self.consent_records, "consent record"),
            (self.suggestions, "suggested update"),
        ]
        return ", ".join(
            f"{count} {plural[0] if plural and count != 1 else name + ('' if count == 1 else 's')}"
            for count, name, *plural in parts
        )


def merge_counts(*, contact: Contact) -> MergeCounts:
    """Return what would move if this contact were merged into another (the preview says it before the merge)."""
    return MergeCounts(
        orders=Order.objects.filter(contact=contact).count(),
        tickets=Ticket.objects.filter(requester=contact).count(),
        activities=Activity.objects.filter(contact=contact).count(),
        consent_records=ConsentRecord.objects.filter(contact=contact).count(),
        suggestions=SuggestedUpdate.objects.filter(contact=contact, status=SuggestionStatus.PENDING).count(),
    )


def merge_refusal(contact: Contact | None, *, label: str) -> str | None:
    """Return why this contact cannot take part in a merge (gone, in the Trash, erased), or None if it can."""
    if contact is None:
        return f"The {label} contact no longer exists; it may have been merged or deleted already."
    if contact.deleted_at is not None:
        return f"{contact.display_name} is in the Trash; restore it first to merge it."
    if contact.email == erased_email(contact.pk):
        return "An erased contact cannot be merged: nothing is left to merge."
    return None


def display_with_email(contact: Contact) -> str:
    """Return "Ann Lee <ann@work.example>", or the email alone for a contact without a name."""
    return f"{contact.full_name} <{contact.email}>" if contact.full_name else contact.email


@transaction.atomic
def contacts_merge(
    *,
    survivor_id: int,
    merged_id: int,
    choices: MergeChoices,
    versions: dict[int, datetime],
    actor: Actor,
) -> Merge:
    """Merge one contact into another: its orders, tickets, messages, timeline, consent, suggestions, phones,
    labels, companies and emails move to the survivor, which keeps the chosen values; the merged one is removed.

    Both rows are locked first, in id order (as every batch locks), so an order, a mail or an edit for
    either contact waits for the merge or the merge for it; `versions` (each contact's updated_at as the
    preview showed it) refuses a merge over a change staff did not see. The merged contact's email becomes
    an alias of the survivor, so later orders and mail from it find the survivor.
    """
    if survivor_id == merged_id:
        raise MergeRefused("A contact cannot be merged with itself.")
    locked = {
        contact.pk: contact
        for contact in Contact.objects.select_for_update().filter(pk__in=[survivor_id, merged_id]).order_by("pk")
    }
    survivor, merged = locked.get(survivor_id), locked.get(merged_id)
    for contact, label in ((survivor, "surviving"), (merged, "other")):
        if (refusal := merge_refusal(contact, label=label)) is not None:
            raise MergeRefused(refusal)
    for contact in (survivor, merged):
        if versions.get(contact.pk) != contact.updated_at:
            raise MergeRefused(
                f"{contact.display_name} was changed while you were looking; check the values below again.", stale=True
            )
    snapshot = merge_snapshot(survivor=survivor, merged=merged)
    counts = _related_move(survivor=survivor, merged=merged, choices=choices)
    emails = [merged.email, *EmailAlias.objects.filter(contact=merged).values_list("email", flat=True)]
    EmailAlias.objects.filter(contact=merged).delete()
    values = _values_chosen(survivor=survivor, merged=merged, choices=choices)
    if values["email"] != survivor.email:
        emails = [survivor.email if email == merged.email else email for email in emails]
    # Earlier merges into the merged contact now lead to the survivor; their undo is over.
    Merge.objects.filter(survivor=merged).update(survivor=survivor, snapshot={})
    merged_described = display_with_email(merged)
    Contact.objects.filter(pk=merged.pk).delete()
    totals = order_totals_by_contact(contact_ids=[survivor.pk])[survivor.pk]
    consent = consent_current_by_contact(contact_ids=[survivor.pk]).get(survivor.pk)
    Contact.objects.filter(pk=survivor.pk).update(
        **values,
        stage=Stage.CUSTOMER if Stage.CUSTOMER in (survivor.stage, merged.stage) else Stage.LEAD,
        details_locked=survivor.details_locked or merged.details_locked,
        orders_count=totals.orders_count,
        total_spent=totals.total_spent,
        last_order_at=totals.last_order_at,
        marketing_consent=consent.state if consent is not None else survivor.marketing_consent,
        updated_at=timezone.now(),
    )
    aliases_add(contact=survivor, emails=emails)
    contacts_search_refresh(contact_ids=[survivor.pk])
    entry = activity_record(
        contact=survivor,
        event="merged",
        actor=actor,
        body=f"Merged with {merged_described}\nMoved: {counts.described()}",
        data={"merged": merged.pk, "email": merged.email, "moved": counts.__dict__, "fields": choices.fields},
    )
    return Merge.objects.create(
        survivor=survivor,
        merged_id=merged.pk,
        merged_name=merged.full_name,
        merged_email=merged.email,
        snapshot=snapshot,
        entry_id=entry.pk,
        survivor_version=Contact.objects.values_list("updated_at", flat=True).get(pk=survivor.pk),
        merged_by=actor.user,
    )


def _values_chosen(*, survivor: Contact, merged: Contact, choices: MergeChoices) -> dict[str, object]:
    values: dict[str, object] = {}
    for group, names in CHOICE_FIELDS.items():
        source = merged if choices.fields.get(group) == MERGED else survivor
        values |= {
            name: getattr(source, name).name if name.startswith("image") else getattr(source, name) for name in names
        }
    return values


def _related_move(*, survivor: Contact, merged: Contact, choices: MergeChoices) -> MergeCounts:
    """Move what hangs off the merged contact to the survivor; what both have (a phone, a label) is kept once."""
    counts = MergeCounts(
        orders=Order.objects.filter(contact=merged).update(contact=survivor),
        tickets=Ticket.objects.filter(requester=merged).update(requester=survivor),
        activities=Activity.objects.filter(contact=merged).update(contact=survivor),
        # Interleaved by date with the survivor's own: the current consent is recomputed from all of them.
        consent_records=ConsentRecord.objects.filter(contact=merged).update(contact=survivor),
        suggestions=SuggestedUpdate.objects.filter(contact=merged).update(contact=survivor),
    )
    Message.objects.filter(author_contact=merged).update(author_contact=survivor)
    numbers = set(PhoneNumber.objects.filter(contact=survivor).values_list("number", flat=True))
    position = len(numbers)
    for phone in PhoneNumber.objects.filter(contact=merged).exclude(number__in=numbers).order_by("position", "id"):
        PhoneNumber.objects.filter(pk=phone.pk).update(contact=survivor, position=position)
        position += 1
    through = Contact.labels.through
    through.objects.bulk_create(
        [
            through(contact_id=survivor.pk, label_id=label_id)
            for label_id in through.objects.filter(contact=merged).values_list("label_id", flat=True)
        ],
        ignore_conflicts=True,
    )
    shared = {link.company_id: link for link in Membership.objects.filter(contact=survivor)}
    for link in Membership.objects.filter(contact=merged):
        if link.company_id not in shared:
            Membership.objects.filter(pk=link.pk).update(contact=survivor)
            continue
        kept = shared[link.company_id]
        # The more recent link's permission unless staff chose otherwise in the preview.
        default = link.portal_access if link.updated_at > kept.updated_at else kept.portal_access
        access = choices.access.get(link.company_id, default)
        if access != kept.portal_access:
            Membership.objects.filter(pk=kept.pk).update(portal_access=access, updated_at=timezone.now())
    return counts


def merge_survivor_of(*, merged_id: int) -> Contact | None:
    """Return the live contact a removed contact was merged into, so its old page can lead there."""
    merge = Merge.objects.filter(merged_id=merged_id, undone_at__isnull=True).order_by("-merged_at").first()
    return Contact.objects.live().filter(pk=merge.survivor_id).first() if merge is not None else None
