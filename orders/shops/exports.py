"""The shops' order CSV exports (Shopify's orders export, WooCommerce's Customer/Order/Coupon Export) read as orders.

Each export has one row per line item; an order's rows share its number (Shopify's Name, WooCommerce's
order_id). Its columns are put into the shape of the shop's webhook body and handed to that shop's
translator (orders.shops.shopify, orders.shops.woocommerce), so an order imported from the export and
delivered by the webhook is read by the same rules and stored under the same key. Only the columns are
mapped here; errors are renamed to the shop's columns ("Lineitem quantity: …").

**Shopify** — Admin → Orders → Export, "CSV for Excel, Numbers, or other spreadsheet programs". The order's
own columns are filled on its first row only, so they are read from there. The key is the Id column (the
order's id, as in the webhook); an older export without Id falls back to the Name without its "#", which
is not the webhook's key, so the same order delivered by the webhook later would be a second order. Created
at is written "2024-01-05 10:15:00 -0500". The buyer's name is the Billing Name (else the Shipping Name),
split at its first space; the address is the shipping one, else the billing one; the phone is Phone, else
Shipping Phone, else Billing Phone. The export does not say whether prices include tax: when the lines
plus Shipping less Discount Amount make the Total, they do, and tax is stored as 0 (Taxes is inside the
prices), as the webhook does with taxes_included; any other gap is reconciled as the webhook does
(orders.shops.totals_reconciled). Shopify writes a Zip that is all digits with a leading apostrophe
('4001) to keep its zeros in a spreadsheet; the apostrophe is dropped.

**WooCommerce** — WooCommerce core exports no orders. The format read is the one of WooCommerce's official
extension "Customer / Order / Coupon Export" by SkyVerge (5.x), "Default - One Row per Item": its columns are
the webhook's fields flattened (billing_email, shipping_address_1, item_name, item_subtotal, …). The unit
price is taken from item_subtotal, as the webhook takes it from the line's subtotal. The extension writes
the date in the shop's time zone without an offset; it is read in WOOCOMMERCE_TIME_ZONE (default: this
app's TIME_ZONE), which must therefore be the shop's. It guards cells against spreadsheet formulas by
putting an apostrophe before a leading = + - or @ ("'+44 20 7183 8750"); the apostrophe is dropped.
"""

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from orders.payload import PayloadError
from orders.shops.shopify import shopify_order_payload
from orders.shops.woocommerce import woocommerce_order_payload

# One row of an export: the line it starts on and its cells by lower-cased column name, stripped.
Row = tuple[int, dict[str, str]]
LINE_FIELD = re.compile(r"lines\[\d+\]\.(\w+)")
# Longer runs of digits are handed over as text: orders.payload reads those without building a huge int.
LONGEST_QUANTITY = 18
FORMULA_GUARD = re.compile(r"^'(?=[=+\-@])")
WOOCOMMERCE_ADDRESS = ("first_name", "last_name", "address_1", "address_2", "city", "state", "postcode", "country")


@dataclass(frozen=True)
class ShopExport:
    """One shop's order export: how its header is recognised, how its rows become an order payload."""

    title: str
    # The column an order's rows share, and the columns a header must have to be this export's, as the shop
    # writes them; a header is compared lower-cased.
    key: str
    required: tuple[str, ...]
    # The columns the translation reads, lower-cased; others are not kept.
    columns: tuple[str, ...]
    # The order payload's fields in the export's column names, for errors.
    fields: dict[str, str]
    translate: Callable[..., dict[str, Any]]

    def error(self, error: PayloadError) -> PayloadError:
        """Return the error with its field named as the export's column: "Lineitem quantity: …"."""
        field = error.field
        line = LINE_FIELD.fullmatch(field)
        theirs = self.fields.get(f"lines.{line[1]}" if line else field)
        message = str(error).removeprefix(f"{field}: ") if field else str(error)
        return PayloadError(message, field=theirs or field)


def shopify_export_payload(rows: Sequence[Row], *, shop_domain: str) -> dict[str, Any]:
    """Return the order payload of one order's rows of Shopify's orders export (its first row has the order)."""
    _, first = rows[0]
    billing, shipping = _shopify_address(first, "billing"), _shopify_address(first, "shipping")
    first_name, _, last_name = (first.get("billing name") or first.get("shipping name") or "").partition(" ")
    line_items = [
        {
            "name": values.get("lineitem name"),
            "sku": values.get("lineitem sku"),
            "quantity": _whole(values.get("lineitem quantity")),
            "price": values.get("lineitem price"),
        }
        for _, values in rows
    ]
    order = {
        "id": first.get("id") or first["name"].removeprefix("#"),
        "name": first["name"],
        "email": first.get("email"),
        "created_at": _shopify_moment(first.get("created at", "")),
        "currency": first.get("currency"),
        "financial_status": first.get("financial status"),
        "fulfillment_status": first.get("fulfillment status"),
        "cancelled_at": first.get("cancelled at"),
        "buyer_accepts_marketing": first.get("accepts marketing", "").lower() == "yes",
        "phone": first.get("phone"),
        # The export has no customer account; the one who paid is the closest to it.
        "customer": {"first_name": first_name, "last_name": last_name.strip()},
        "billing_address": billing,
        # A phone alone is no address to ship to.
        "shipping_address": shipping if any(value for name, value in shipping.items() if name != "phone") else None,
        "line_items": line_items,
        "shipping_lines": [{"price": first.get("shipping")}],
        "taxes_included": _taxes_included(line_items, first),
        "total_tax": first.get("taxes"),
        "total_discounts": first.get("discount amount"),
        "total_price": first.get("total"),
    }
    return shopify_order_payload(order, shop_domain=shop_domain)


def woocommerce_export_payload(rows: Sequence[Row]) -> dict[str, Any]:
    """Return the order payload of one order's rows of WooCommerce Customer/Order/Coupon Export."""
    rows = _unguarded(rows)
    _, first = rows[0]
    order = {
        "id": first["order_id"],
        # Filled only by a sequential order numbers extension; WooCommerce's own number is the id.
        "number": first.get("order_number") or first["order_id"],
        "status": first.get("status"),
        "currency": first.get("order_currency"),
        "date_created": _local_moment(first.get("date", "")),
        "billing": {name: first.get(f"billing_{name}") for name in (*WOOCOMMERCE_ADDRESS, "email", "phone")},
        "shipping": {name: first.get(f"shipping_{name}") for name in WOOCOMMERCE_ADDRESS},
        "line_items": [
            {
                "name": values.get("item_name"),
                "sku": values.get("item_sku"),
                "quantity": _whole(values.get("item_quantity")),
                "subtotal": values.get("item_subtotal"),
            }
            for _, values in rows
        ],
        "shipping_total": first.get("shipping_total"),
        "total_tax": first.get("tax_total"),
        "discount_total": first.get("discount_total"),
        "total": first.get("order_total"),
    }
    return woocommerce_order_payload(order)


def _whole(value: str | None) -> object:
    """Return a quantity as the webhook's JSON gives it, a whole number; anything else as written, to be refused."""
    if value is not None and value.isdigit() and value.isascii() and len(value) <= LONGEST_QUANTITY:
        return int(value)
    return value


def _amount(value: str | None) -> Decimal | None:
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        return None


def _taxes_included(line_items: list[dict[str, Any]], first: dict[str, str]) -> bool:
    """Return whether the order's prices include its tax: the lines, shipping and discount make the total."""
    amounts = [_amount(first.get(name)) for name in ("shipping", "discount amount", "total")]
    prices = [(_amount(item["price"]), item["quantity"]) for item in line_items]
    if None in amounts or any(price is None or not isinstance(quantity, int) for price, quantity in prices):
        return False
    shipping, discount, total = amounts
    lines = sum((price * quantity for price, quantity in prices), Decimal("0"))
    return lines + shipping - discount == total


def _shopify_address(first: dict[str, str], part: str) -> dict[str, str]:
    return {
        "address1": first.get(f"{part} address1", ""),
        "address2": first.get(f"{part} address2", ""),
        "city": first.get(f"{part} city", ""),
        # The webhook's province is the name (Shopify's newer exports have it); older ones have only the code.
        "province": first.get(f"{part} province name") or first.get(f"{part} province", ""),
        "zip": first.get(f"{part} zip", "").removeprefix("'"),
        "country_code": first.get(f"{part} country", ""),
        "phone": first.get(f"{part} phone", ""),
    }


def _shopify_moment(value: str) -> str:
    """Return Shopify's "2024-01-05 10:15:00 -0500" as ISO 8601; anything else as written, for the payload to judge."""
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S %z").isoformat()
    except ValueError:
        return value


def _local_moment(value: str) -> str:
    """Return a date written without an offset as ISO 8601 in WOOCOMMERCE_TIME_ZONE; one with an offset keeps it."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.utcoffset() is None:
        moment = moment.replace(tzinfo=ZoneInfo(settings.WOOCOMMERCE_TIME_ZONE))
    return moment.isoformat()


def _unguarded(rows: Sequence[Row]) -> list[Row]:
    """Return the rows without the apostrophe the extension puts before a leading = + - or @."""
    return [
        (line, {name: FORMULA_GUARD.sub("", value, count=1) for name, value in values.items()}) for line, values in rows
    ]


SHOPIFY_EXPORT = ShopExport(
    title="Shopify's orders export",
    key="Name",
    required=(
        *("Name", "Email", "Created at", "Currency", "Total"),
        *("Lineitem name", "Lineitem quantity", "Lineitem price"),
    ),
    columns=(
        *("id", "name", "email", "created at", "currency", "financial status", "fulfillment status", "cancelled at"),
        *("accepts marketing", "phone", "shipping", "taxes", "discount amount", "total"),
        *("lineitem name", "lineitem sku", "lineitem quantity", "lineitem price"),
        *(
            f"{part} {name}"
            for part in ("billing", "shipping")
            for name in ("name", "address1", "address2", "city", "province", "province name", "zip", "country", "phone")
        ),
    ),
    fields={
        "id": "Id",
        "name": "Name",
        "email": "Email",
        "placed_at": "Created at",
        "currency": "Currency",
        "status": "Financial Status",
        "shipping": "Shipping",
        "tax": "Taxes",
        "discount": "Discount Amount",
        "total": "Total",
        "lines.name": "Lineitem name",
        "lines.sku": "Lineitem sku",
        "lines.quantity": "Lineitem quantity",
        "lines.unit_price": "Lineitem price",
    },
    translate=shopify_export_payload,
)
WOOCOMMERCE_EXPORT = ShopExport(
    title="WooCommerce Customer/Order/Coupon Export (Default - One Row per Item)",
    key="order_id",
    required=("order_id", "date", "billing_email", "order_currency", "order_total", "item_name", "item_quantity"),
    columns=(
        *("order_id", "order_number", "date", "status", "order_currency", "billing_email", "billing_phone"),
        *("shipping_total", "tax_total", "discount_total", "order_total"),
        *("item_name", "item_sku", "item_quantity", "item_subtotal"),
        *(f"{part}_{name}" for part in ("billing", "shipping") for name in WOOCOMMERCE_ADDRESS),
    ),
    fields={
        "id": "order_id",
        "name": "order_number",
        "email": "billing_email",
        "placed_at": "date",
        "currency": "order_currency",
        "status": "status",
        "shipping": "shipping_total",
        "tax": "tax_total",
        "discount": "discount_total",
        "total": "order_total",
        "lines.name": "item_name",
        "lines.sku": "item_sku",
        "lines.quantity": "item_quantity",
        "lines.unit_price": "item_subtotal",
    },
    translate=woocommerce_export_payload,
)
SHOP_EXPORTS = (SHOPIFY_EXPORT, WOOCOMMERCE_EXPORT)


def shop_export(header: Sequence[str]) -> ShopExport | None:
    """Return the shop export whose columns the (lower-cased) header has, or None."""
    columns = set(header)
    return next((export for export in SHOP_EXPORTS if {name.lower() for name in export.required} <= columns), None)
