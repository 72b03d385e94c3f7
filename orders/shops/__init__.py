"""Connected shops (Shopify, WooCommerce): their orders and customers read into this app's order payload.

Each shop's webhook (orders.shops.hooks) and order CSV export (orders.shops.exports) is translated into the
payload orders.payload reads, so every rule of a placed order holds whichever way it came. What the shops
have in common lives here: the order keys that keep two shops' ids apart, and how their states map onto ours.
"""

from decimal import Decimal, InvalidOperation

from orders.models import OrderStatus

SHOPIFY_SUFFIX = ".myshopify.com"


def shopify_order_key(*, shop_domain: str, order_id: object) -> str:
    """Return the key a Shopify order is stored under: "shopify:acme:450789469" for acme.myshopify.com.

    The webhook and the CSV export of one shop give the same key, so an order imported from the export and
    delivered again by the webhook is one order.
    """
    handle = shop_domain.strip().lower().removesuffix(SHOPIFY_SUFFIX)
    return f"shopify:{handle}:{order_id}"


def woocommerce_order_key(*, order_id: object) -> str:
    """Return the key a WooCommerce order is stored under: "woocommerce:727" (one WooCommerce shop is connected)."""
    return f"woocommerce:{order_id}"


def shopify_status(*, financial_status: str, fulfillment_status: str, cancelled: bool) -> OrderStatus:
    """Return our status for a Shopify order's financial and fulfilment states.

    Cancelled (cancelled_at set, or the export's Cancelled at) and voided or fully refunded money are
    cancelled: no longer a sale. Fulfilled goods are fulfilled; paid, partially refunded or partially paid
    money is paid; anything else (pending, authorized) has been placed.
    """
    financial = (financial_status or "").strip().lower()
    fulfillment = (fulfillment_status or "").strip().lower()
    if cancelled or financial in {"voided", "refunded"}:
        return OrderStatus.CANCELLED
    if fulfillment == "fulfilled":
        return OrderStatus.FULFILLED
    if financial in {"paid", "partially_paid", "partially_refunded"}:
        return OrderStatus.PAID
    return OrderStatus.PLACED


def woocommerce_status(status: str) -> OrderStatus:
    """Return our status for a WooCommerce order status (with or without its "wc-" prefix).

    completed → fulfilled; processing (paid, awaiting shipping) → paid; cancelled, refunded and failed →
    cancelled; pending, on-hold and the rest → placed.
    """
    value = (status or "").strip().lower().removeprefix("wc-")
    if value == "completed":
        return OrderStatus.FULFILLED
    if value == "processing":
        return OrderStatus.PAID
    if value in {"cancelled", "refunded", "failed", "trash"}:
        return OrderStatus.CANCELLED
    return OrderStatus.PLACED


def totals_reconciled(
    *, lines: object, shipping: object, tax: object, total: object, discount: object = "0"
) -> tuple[object, object]:
    """Return the shipping and discount that make the lines, shipping, tax and discount add up to the shop's total.

    What the shop charged is the truth a contact's total spent is made of, and shops have charges and
    reductions this app does not itemise (tips, duties, fees, adjustments; Shopify's own sample order lists
    lines worth 597.00 under a 398.00 subtotal). So a shortfall is counted as discount and an excess as
    shipping, and the stored total is always the shop's. Values that are not amounts are handed back as they
    came, for orders.payload to refuse naming the field.
    """
    amounts = [_decimal(value) for value in (shipping, tax, total, discount)]
    parts = _lines_sum(lines)
    if parts is None or any(amount is None for amount in amounts):
        return shipping, discount
    shipping_amount, tax_amount, total_amount, discount_amount = amounts
    gap = parts + shipping_amount + tax_amount - discount_amount - total_amount
    if gap >= 0:
        return str(shipping_amount), str(discount_amount + gap)
    return str(shipping_amount - gap), str(discount_amount)


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "":
        return Decimal("0")
    if isinstance(value, bool | float) or not isinstance(value, str | int | Decimal):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _lines_sum(lines: object) -> Decimal | None:
    if not isinstance(lines, list):
        return None
    total = Decimal("0")
    for line in lines:
        if not isinstance(line, dict):
            return None
        price, quantity = _decimal(line.get("unit_price")), line.get("quantity")
        if price is None or isinstance(quantity, bool) or not isinstance(quantity, int):
            return None
        total += price * quantity
    return total
