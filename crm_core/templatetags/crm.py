"""Small display helpers used across the apps' templates."""

from decimal import Decimal

from django import template
from django.conf import settings

from crm_core.phones import phone_display

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
