"""Template filters that ask the notes rules whether the user may edit or delete a note."""

from django import template

from customers.services import note_can_delete, note_can_edit

register = template.Library()


@register.filter
def note_editable_by(note, user) -> bool:
    """Whether the user may edit the note; the rule lives in customers.services.note_can_edit."""
    return note_can_edit(user=user, note=note)


@register.filter
def note_deletable_by(note, user) -> bool:
    """Whether the user may delete the note; the rule lives in customers.services.note_can_delete."""
    return note_can_delete(user=user, note=note)
