"""Writes to labels and to which contacts carry them, one contact or a whole selection at a time."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from crm_core.actors import Actor
from crm_core.batching import pk_batches
from customers.models import (
    Activity,
    Contact,
    Label,
    LabelColour,
)
from customers.selectors import (
    labels_named,
)
from customers.services.records import activity_entry, activity_record, contacts_version_move


def contact_labels_set(*, contact: Contact, labels: Iterable[Label], actor: Actor) -> None:
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
        activity_entry(contact_id=contact.pk, actor=actor, **_label_event(label=label, added=False))
        for label in removed
    )


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
        activity_entry(contact_id=contact.pk, actor=actor, **_label_event(label=label, added=True)) for label in new
    )


def _labelled(batch: list[int], label: Label) -> dict[int, int]:
    """Return which contacts of a batch carry the label, each with the link's own id.

    Read by contact (a contact's few links, through the contact index), the label picked out here rather than
    in the query: for a label made moments ago the planner's statistics say it has no links, and a query that
    names it then scans every link the label has gained so far, for every batch (quadratic over a million).
    """
    links = Contact.labels.through.objects.filter(contact_id__in=batch).values_list("pk", "contact_id", "label_id")
    return {contact: link for link, contact, held in links if held == label.pk}


@transaction.atomic
def contacts_label_add(*, contacts: QuerySet[Contact], label: Label, actor: Actor) -> int:
    """Add a label to every contact selected that lacks it; return how many gained it."""
    links = Contact.labels.through
    added = 0
    for batch in pk_batches(contacts):
        labelled = _labelled(batch, label)
        new = [pk for pk in batch if pk not in labelled]
        if not new:
            continue
        # A concurrent request may have added the same link; the unique pair keeps one.
        links.objects.bulk_create((links(contact_id=pk, label=label) for pk in new), ignore_conflicts=True)
        contacts_version_move(contact_ids=new)
        activity_record(contact_ids=new, actor=actor, **_label_event(label=label, added=True))
        added += len(new)
    return added


@transaction.atomic
def contacts_label_remove(*, contacts: QuerySet[Contact], label: Label, actor: Actor) -> int:
    """Take a label off every contact selected that has it; return how many lost it."""
    links = Contact.labels.through
    removed = 0
    for batch in pk_batches(contacts):
        found = _labelled(batch, label)
        if not found:
            continue
        held = sorted(found)
        # By the links' own ids, for the same reason _labelled does not name the label.
        links.objects.filter(pk__in=found.values()).delete()
        contacts_version_move(contact_ids=held)
        activity_record(contact_ids=held, actor=actor, **_label_event(label=label, added=False))
        removed += len(held)
    return removed


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
