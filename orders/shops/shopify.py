"""Shopify's webhook bodies read into this app's terms: an order into the order payload, a customer into its details.

Shopify's REST order (the body of orders/create, orders/updated, orders/paid and orders/cancelled) carries
amounts as strings, the buyer three times over (customer, billing_address, shipping_address), and the
marketing consent either as the order's buyer_accepts_marketing or, in newer API versions, as
customer.email_marketing_consent with the moment it was given. Only shapes are translated here; every value
is then checked by orders.payload, so a Shopify order is refused or kept for the same reasons as any other.
An error names the field in Shopify's terms (line_items[2].quantity), as the shop's developers know them.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from customers.models import ConsentState, OptInLevel
from orders.buyer import buyer_details
from orders.payload import PayloadError
from orders.services import ShopCustomerInput
from orders.shops import shopify_order_key, shopify_status, totals_reconciled

# Our payload's names for the parts of an order, and Shopify's, for errors.
FIELD_NAMES = {
    "lines": "line_items",
    "placed_at": "created_at",
    "total": "total_price",
    "tax": "total_tax",
    "discount": "total_discounts",
    "shipping": "shipping_lines",
    "name": "name",
    "customer.accepts_marketing_at": "customer.email_marketing_consent.consent_updated_at",
}
CONSENT_STATES = {
    "subscribed": ConsentState.SUBSCRIBED,
    "unsubscribed": ConsentState.UNSUBSCRIBED,
    "not_subscribed": ConsentState.NOT_SUBSCRIBED,
    "pending": ConsentState.PENDING,
}
OPT_IN_LEVELS = {"single_opt_in": OptInLevel.SINGLE, "confirmed_opt_in": OptInLevel.CONFIRMED}


def shopify_unwrapped(body: object, name: str) -> object:
    """Return the object itself where Shopify's REST API wraps it ({"order": {...}}); webhooks send it bare."""
    if isinstance(body, dict) and list(body) == [name] and isinstance(body[name], dict):
        return body[name]
    return body


def shopify_order_payload(order: object, *, shop_domain: str) -> dict[str, Any]:
    """Return this app's order payload for a Shopify order, or raise PayloadError naming Shopify's field."""
    if not isinstance(order, dict):
        raise PayloadError("the order must be a JSON object")
    order_id = order.get("id")
    if order_id is None or order_id == "" or isinstance(order_id, bool | dict | list):
        raise PayloadError("is required", field="id")
    customer = _object(order, "customer")
    billing = _object(order, "billing_address")
    shipping = _object(order, "shipping_address") or billing
    consent = _object(customer, "email_marketing_consent")
    subscribed = consent.get("state") == "subscribed" if consent else bool(order.get("buyer_accepts_marketing"))
    payload: dict[str, Any] = {
        "id": shopify_order_key(shop_domain=shop_domain, order_id=order_id),
        "name": order.get("name") or "",
        "email": order.get("email") or order.get("contact_email") or customer.get("email") or "",
        "placed_at": order.get("processed_at") or order.get("created_at"),
        "currency": order.get("currency"),
        "status": shopify_status(
            financial_status=_text(order.get("financial_status")),
            fulfillment_status=_text(order.get("fulfillment_status")),
            cancelled=bool(order.get("cancelled_at")),
        ).value,
        "customer": {
            "first_name": customer.get("first_name") or shipping.get("first_name") or billing.get("first_name"),
            "last_name": customer.get("last_name") or shipping.get("last_name") or billing.get("last_name"),
            "phone": order.get("phone") or customer.get("phone") or shipping.get("phone") or billing.get("phone"),
            "accepts_marketing": subscribed,
            "accepts_marketing_at": consent.get("consent_updated_at") if subscribed else None,
        },
        "shipping_address": {
            "address1": shipping.get("address1"),
            "address2": shipping.get("address2"),
            "city": shipping.get("city"),
            "province": shipping.get("province"),
            "zip": shipping.get("zip"),
            "country_code": shipping.get("country_code"),
        },
        "lines": _lines(order.get("line_items")),
        # With prices that include tax the tax is inside the lines already; counting it again would not add up.
        "tax": "0" if order.get("taxes_included") else order.get("total_tax"),
        "total": order.get("total_price"),
    }
    payload["shipping"], payload["discount"] = totals_reconciled(
        lines=payload["lines"],
        shipping=_sum([line.get("price") for line in _objects(order.get("shipping_lines"))]),
        tax=payload["tax"],
        total=payload["total"],
        discount=order.get("total_discounts"),
    )
    return payload


def shopify_error(error: PayloadError) -> PayloadError:
    """Return the error with its field renamed from this app's payload terms to Shopify's."""
    field = error.field
    for ours, theirs in FIELD_NAMES.items():
        if field == ours or field.startswith((f"{ours}[", f"{ours}.")):
            field = theirs + field[len(ours) :]
            break
    message = str(error).removeprefix(f"{error.field}: ") if error.field else str(error)
    return PayloadError(message, field=field)


def shopify_customer_input(customer: object) -> ShopCustomerInput:
    """Return a Shopify customer account's details, or raise PayloadError naming the field that cannot be used.

    Only the email is required; a name, phone or address that cannot be used is kept as unread, as an
    order's would be (orders.buyer).
    """
    if not isinstance(customer, dict):
        raise PayloadError("the customer must be a JSON object")
    email = customer.get("email")
    if not isinstance(email, str) or not email.strip():
        raise PayloadError("is required", field="email")
    try:
        validate_email(email.strip())
    except ValidationError as error:
        raise PayloadError(" ".join(error.messages), field="email") from error
    consent = _object(customer, "email_marketing_consent")
    state = CONSENT_STATES.get(_text(consent.get("state")))
    consent_at = None
    if state is not None and consent.get("consent_updated_at"):
        consent_at = _moment(consent.get("consent_updated_at"), field="email_marketing_consent.consent_updated_at")
    elif not consent and isinstance(customer.get("accepts_marketing"), bool):
        # API versions before 2022-04 send a yes/no and its date instead.
        state = ConsentState.SUBSCRIBED if customer["accepts_marketing"] else ConsentState.NOT_SUBSCRIBED
        if customer.get("accepts_marketing_updated_at"):
            consent_at = _moment(customer["accepts_marketing_updated_at"], field="accepts_marketing_updated_at")
    address = _object(customer, "default_address")
    buyer = buyer_details(
        {
            "customer": {
                "first_name": customer.get("first_name"),
                "last_name": customer.get("last_name"),
                "phone": customer.get("phone") or address.get("phone"),
            },
            "shipping_address": {
                "address1": address.get("address1"),
                "address2": address.get("address2"),
                "city": address.get("city"),
                "province": address.get("province"),
                "zip": address.get("zip"),
                "country_code": address.get("country_code"),
            },
        }
    )
    return ShopCustomerInput(
        email=email.strip(),
        first_name=buyer.first_name,
        last_name=buyer.last_name,
        phone=buyer.phone,
        address=buyer.address,
        consent_state=state,
        consent_level=OPT_IN_LEVELS.get(_text(consent.get("opt_in_level")), OptInLevel.UNKNOWN),
        consent_at=consent_at,
        unread=tuple(buyer.unread),
    )


def _moment(value: object, *, field: str) -> datetime:
    example = "2026-03-01T10:15:00+01:00"
    try:
        moment = datetime.fromisoformat(_text(value))
    except ValueError as error:
        raise PayloadError(f"must be an ISO 8601 date and time such as {example}", field=field) from error
    if moment.utcoffset() is None:
        raise PayloadError(f"must include a time zone offset, such as {example}", field=field)
    return moment


def _object(source: dict, name: str) -> dict:
    value = source.get(name)
    return value if isinstance(value, dict) else {}


def _objects(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _lines(items: object) -> object:
    if not isinstance(items, list):
        # Missing or of the wrong type: orders.payload says so, under Shopify's name.
        return items
    return [
        {
            "name": item.get("name") or item.get("title"),
            "sku": item.get("sku") or "",
            "quantity": item.get("quantity"),
            "unit_price": item.get("price"),
        }
        if isinstance(item, dict)
        else item
        for item in items
    ]


def _sum(amounts: list[object]) -> object:
    """Return the sum of the amounts given; the first that is not an amount is returned for the payload to refuse."""
    total = Decimal("0")
    for amount in amounts:
        if amount is None or amount == "":
            continue
        if isinstance(amount, bool | float) or not isinstance(amount, str | int | Decimal):
            return amount
        try:
            total += Decimal(str(amount).strip())
        except InvalidOperation:
            return amount
    return str(total)
