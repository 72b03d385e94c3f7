"""Small display helpers used across the apps' templates."""

from decimal import Decimal

from django import template
from django.conf import settings

from customers.phones import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """Show a stored E.164 number in international format."""
    return phone_display(value) if value else ""


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """Show an amount with two decimals, thousands separators and its currency (the shop's by default)."""
    if amount is None:
        return ""
    # Python's "," option groups the thousands with commas, much cheaper than humanize's intcomma on the
    # formatted string; the contacts list shows fifty amounts a page.
    return f"{Decimal(amount):,.2f} {currency or settings.SHOP_CURRENCY}"


@register.filter
def note_editable_by(note, user) -> bool:
    """Whether the user may edit the note; the rule lives in customers.services.note_can_edit."""
    from customers.services import note_can_edit

    return note_can_edit(user=user, note=note)


@register.filter
def note_deletable_by(note, user) -> bool:
    """Whether the user may delete the note; the rule lives in customers.services.note_can_delete."""
    from customers.services import note_can_delete

    return note_can_delete(user=user, note=note)
