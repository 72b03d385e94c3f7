"""WooCommerce's webhook body (the REST API's order, v3) read into this app's order payload.

WooCommerce gives each line's subtotal (before coupons) and total (after), the order's discount, shipping,
fees and tax, dates in the shop's time zone and in UTC (the *_gmt ones, without an offset), product names
with HTML entities ("&ndash;"), and no marketing consent of its own. Only shapes are translated here; the
values are checked by orders.payload like any other order's, and an error names WooCommerce's field.
"""

import html
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from orders.payload import MAX_AMOUNT, PayloadError
from orders.shops import totals_reconciled, woocommerce_order_key, woocommerce_status

FIELD_NAMES = {
    "lines": "line_items",
    "placed_at": "date_created_gmt",
    "email": "billing.email",
    "total": "total",
    "tax": "total_tax",
    "discount": "discount_total",
    "shipping": "shipping_total",
    "customer": "billing",
    "shipping_address": "shipping",
}
CENT = Decimal("0.01")


def woocommerce_order_payload(order: object) -> dict[str, Any]:
    """Return this app's order payload for a WooCommerce order, or raise PayloadError naming WooCommerce's field."""
    if not isinstance(order, dict):
        raise PayloadError("the order must be a JSON object")
    order_id = order.get("id")
    if order_id is None or order_id == "" or isinstance(order_id, bool | dict | list):
        raise PayloadError("is required", field="id")
    billing = _object(order, "billing")
    shipping = _object(order, "shipping")
    if not any(shipping.get(name) for name in ("address_1", "city", "postcode")):
        # An order of downloads has no shipping address; the billing one is where the buyer is.
        shipping = billing
    lines = _lines(order.get("line_items"))
    # Fees (gift wrap, a negative "discount fee") are not itemised here: the reconciliation counts them.
    shipping_total, discount = totals_reconciled(
        lines=lines,
        shipping=order.get("shipping_total"),
        tax=order.get("total_tax"),
        total=order.get("total"),
        discount=order.get("discount_total"),
    )
    number = order.get("number")
    return {
        "id": woocommerce_order_key(order_id=order_id),
        "name": f"#{number}" if isinstance(number, str | int) and str(number).strip() else "",
        "email": billing.get("email") or "",
        "placed_at": _utc(order.get("date_created_gmt")) or order.get("date_created"),
        "currency": order.get("currency"),
        "status": woocommerce_status(order.get("status") if isinstance(order.get("status"), str) else "").value,
        "customer": {
            "first_name": billing.get("first_name") or shipping.get("first_name"),
            "last_name": billing.get("last_name") or shipping.get("last_name"),
            "phone": billing.get("phone") or shipping.get("phone"),
        },
        "shipping_address": {
            "address1": shipping.get("address_1"),
            "address2": shipping.get("address_2"),
            "city": shipping.get("city"),
            "province": shipping.get("state"),
            "zip": shipping.get("postcode"),
            "country_code": shipping.get("country"),
        },
        "lines": lines,
        "shipping": shipping_total,
        "tax": order.get("total_tax"),
        "discount": discount,
        "total": order.get("total"),
    }


def woocommerce_error(error: PayloadError) -> PayloadError:
    """Return the error with its field renamed from this app's payload terms to WooCommerce's."""
    field = error.field
    for ours, theirs in FIELD_NAMES.items():
        if field == ours or field.startswith((f"{ours}[", f"{ours}.")):
            field = theirs + field[len(ours) :]
            break
    message = str(error).removeprefix(f"{error.field}: ") if error.field else str(error)
    return PayloadError(message, field=field)


def _object(source: dict, name: str) -> dict:
    value = source.get(name)
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _amount(value: object) -> Decimal | None:
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    # "NaN" and "Infinity" read as Decimals too; they are no amount.
    return amount if amount.is_finite() else None


def _utc(value: object) -> str:
    """Return a *_gmt date as ISO 8601 in UTC ("2017-03-22T19:28:02+00:00"); WooCommerce writes it without offset."""
    if not isinstance(value, str) or not value.strip():
        return ""
    text = value.strip()
    return text if text.endswith(("Z", "+00:00")) else f"{text}+00:00"


def _lines(items: object) -> object:
    """Return the lines with a unit price each, from WooCommerce's line subtotals.

    WooCommerce keeps a line's subtotal, not a unit price in cents: 10.00 for three is 3.333…. The unit
    price is rounded up to the cent, and the cents that adds are counted as discount with the order's
    other reductions (totals_reconciled), so the order's total stays the shop's to the cent.
    """
    if not isinstance(items, list):
        return items
    lines: list[object] = []
    for item in items:
        if not isinstance(item, dict):
            lines.append(item)
            continue
        quantity = item.get("quantity")
        subtotal = _amount(item.get("subtotal"))
        unit_price: object = item.get("subtotal")
        countable = isinstance(quantity, int) and not isinstance(quantity, bool) and quantity > 0
        # Beyond the largest amount the payload refuses it anyway, naming the field; dividing it could overflow.
        if countable and subtotal is not None and abs(subtotal) <= MAX_AMOUNT:
            unit_price = str((subtotal / quantity).quantize(CENT, rounding=ROUND_CEILING))
        name = item.get("name")
        lines.append(
            {
                "name": html.unescape(name) if isinstance(name, str) else name,
                "sku": item.get("sku") or "",
                "quantity": quantity,
                "unit_price": unit_price,
            }
        )
    return lines
