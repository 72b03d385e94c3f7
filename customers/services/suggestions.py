"""Details an order brings for a locked contact: kept as suggested updates, accepted or dismissed by staff."""

from django.db import transaction
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import (
    Contact,
    SuggestedUpdate,
    SuggestionStatus,
)
from customers.services.contacts import contact_phone_add
from customers.services.records import activity_record, contact_search_refresh_if_found_by


def contact_synced_described(*, source_reference: str) -> str:
    """Return the timeline's words for details an order brought onto a contact: "Details updated from Order #1001"."""
    return f"Details updated from {source_reference}"


@transaction.atomic
def contact_sync_details(
    *, contact: Contact, details: dict[str, str], source_reference: str, actor: Actor, phone: str = ""
) -> None:
    """Bring an order's details onto the contact, or, when staff locked them, keep them as suggestions.

    The suggestions are suggestions_add()'s.
    """
    differing = {field: value for field, value in details.items() if value and getattr(contact, field) != value}
    new_phone = bool(phone) and not contact.phones.filter(number=phone).exists()
    if contact.details_locked:
        suggested = {**differing, **({SuggestedUpdate.PHONE: phone} if new_phone else {})}
        suggestions_add(suggested={contact.pk: suggested}, source_reference=source_reference)
        return
    if new_phone:
        contact_phone_add(contact=contact, number=phone)
    if not differing:
        return
    for field, value in differing.items():
        setattr(contact, field, value)
    contact.save(update_fields=[*differing, "updated_at"])
    contact_search_refresh_if_found_by(contact=contact, fields=differing)
    activity_record(
        contact=contact,
        event="details_synced",
        actor=actor,
        body=contact_synced_described(source_reference=source_reference),
        data={"fields": sorted(differing)},
    )


@transaction.atomic
def suggestions_add(*, suggested: dict[int, dict[str, str]], source_reference: str) -> int:
    """Keep details for locked contacts as suggestions ({contact id: {field: value}}); return how many.

    A new suggestion for a field replaces one still pending for it, so staff only ever see the latest. Orders
    add them one contact at a time, an import a batch at a time: three statements either way.
    """
    suggested = {contact_id: fields for contact_id, fields in suggested.items() if fields}
    if not suggested:
        return 0
    fields = {field for values in suggested.values() for field in values}
    pending = SuggestedUpdate.objects.filter(
        contact__in=list(suggested), status=SuggestionStatus.PENDING, field__in=fields
    ).values_list("pk", "contact_id", "field")
    replaced = [pk for pk, contact_id, field in pending if field in suggested[contact_id]]
    if replaced:
        SuggestedUpdate.objects.filter(pk__in=replaced).update(
            status=SuggestionStatus.DISMISSED, resolved_at=timezone.now()
        )
    created = SuggestedUpdate.objects.bulk_create(
        SuggestedUpdate(contact_id=contact_id, field=field, value=value, source_reference=source_reference)
        for contact_id, values in suggested.items()
        for field, value in values.items()
    )
    return len(created)


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
        contact_search_refresh_if_found_by(contact=contact, fields=[suggestion.field])
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
