"""Staff notes on a contact's timeline: who may edit or delete one, and the writes."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import (
    Activity,
    ActivityKind,
    Contact,
)
from customers.services.records import activity_record


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
