"""An order's optional buyer details (name, phone, address, marketing tick), read without ever refusing the order.

A paid sale must reach the CRM even when the shop sent a detail that cannot be used: a phone number that
cannot be one, a name longer than its column, a country that is not a two-letter code, a NUL byte. Such a
detail is left off the order's columns and the contact, and kept as sent (orders.services.UnreadDetail) on
the order, where staff see it, and named on the contact's timeline. Only the required parts of an order
(id, email, placed_at, currency, lines) are refused, by orders.payload.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from crm_core.phones import InvalidPhoneNumber, phone_to_e164
from orders.models import Order
from orders.services import ADDRESS_FIELDS, UnreadDetail

COUNTRY_CODE = re.compile(r"[A-Z]{2}")
TRUE_WORDS = {"true", "yes", "1"}
FALSE_WORDS = {"false", "no", "0", ""}
# Words staff read for each detail, by its name in the payload.
LABELS = {
    "customer": "Customer details",
    "customer.first_name": "First name",
    "customer.last_name": "Last name",
    "customer.phone": "Phone",
    "customer.accepts_marketing": "Marketing consent",
    "customer.accepts_marketing_at": "Marketing consent date",
    "shipping_address": "Shipping address",
    "shipping_address.address1": "Address line 1",
    "shipping_address.address2": "Address line 2",
    "shipping_address.city": "Town or city",
    "shipping_address.province": "County, state or province",
    "shipping_address.zip": "Postcode",
    "shipping_address.country_code": "Country",
}


class _Unusable(ValueError):
    """The detail cannot be used; str() says why."""


@dataclass
class BuyerDetails:
    first_name: str = ""
    last_name: str = ""
    phone: str = ""
    accepts_marketing: bool = False
    accepts_marketing_at: datetime | None = None
    address: dict[str, str] = field(default_factory=dict)
    unread: list[UnreadDetail] = field(default_factory=list)


def buyer_details(payload: dict) -> BuyerDetails:
    """Return the buyer details of an order payload; what cannot be used is listed in `unread`, never raised."""
    details = BuyerDetails()
    customer = _part(payload, "customer", details)
    address = _part(payload, "shipping_address", details)
    country = _read(details, address, "shipping_address", "country_code", _country)
    for name, column in ADDRESS_FIELDS.items():
        if value := _read(details, address, "shipping_address", name, _text(_max_length(column))):
            details.address[column] = value
    if country:
        details.address["country"] = country
    details.first_name = _read(details, customer, "customer", "first_name", _text(_max_length("buyer_first_name")))
    details.last_name = _read(details, customer, "customer", "last_name", _text(_max_length("buyer_last_name")))
    # A number typed without a country code is read as one of the country the order is shipped to.
    details.phone = _read(details, customer, "customer", "phone", lambda value: _phone(value, region=country or None))
    details.accepts_marketing = _read(details, customer, "customer", "accepts_marketing", _bool) or False
    details.accepts_marketing_at = _read(details, customer, "customer", "accepts_marketing_at", _moment) or None
    return details


def _max_length(column: str) -> int:
    return Order._meta.get_field(column).max_length


def _part(payload: dict, name: str, details: BuyerDetails) -> dict:
    value = payload.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        details.unread.append(_unread(name, value, "must be an object"))
        return {}
    return value


def _read(details: BuyerDetails, source: dict, part: str, name: str, reader) -> Any:
    value = source.get(name)
    if value is None or value == "":
        return ""
    try:
        return reader(value)
    except _Unusable as error:
        details.unread.append(_unread(f"{part}.{name}", value, str(error)))
        return ""


def _unread(path: str, value: Any, reason: str) -> UnreadDetail:
    return UnreadDetail(field=path, label=LABELS[path], value=buyer_value_as_sent(value), reason=reason)


def buyer_value_as_sent(value: Any) -> str:
    """Return the value as the shop sent it, as text every database stores (NUL and lone surrogates escaped)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, int | Decimal) and not isinstance(value, bool):
        # JSON numbers are read exactly (orders.payload); their digits are what the shop sent.
        text = str(value)
    else:
        text = json.dumps(value, default=str, ensure_ascii=False)
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


def _checked_text(value: Any) -> str:
    if not isinstance(value, str):
        raise _Unusable("must be text")
    if "\x00" in value:
        raise _Unusable("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise _Unusable("contains characters that are not valid Unicode text") from error
    return value.strip()


def _text(max_length: int):
    def read(value: Any) -> str:
        text = _checked_text(value)
        if len(text) > max_length:
            raise _Unusable(f"must be at most {max_length} characters (it has {len(text):,})")
        return text

    return read


def _country(value: Any) -> str:
    code = _checked_text(value).upper()
    if code and not COUNTRY_CODE.fullmatch(code):
        raise _Unusable("must be a two-letter country code such as GB")
    return code


def _phone(value: Any, *, region: str | None) -> str:
    text = _checked_text(value)
    if not text:
        return ""
    try:
        return phone_to_e164(text, region=region)
    except InvalidPhoneNumber as error:
        raise _Unusable(str(error)) from error


def _moment(value: Any) -> datetime:
    text = _checked_text(value)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise _Unusable("must be an ISO 8601 date and time such as 2026-03-01T10:15:00+01:00") from error
    if moment.utcoffset() is None:
        raise _Unusable("must include a time zone offset, such as 2026-03-01T10:15:00+01:00")
    try:
        moment.astimezone(UTC)
    except OverflowError as error:
        raise _Unusable("is out of range") from error
    return moment


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    # CSV cells arrive as text.
    if isinstance(value, str) and value.strip().lower() in TRUE_WORDS | FALSE_WORDS:
        return value.strip().lower() in TRUE_WORDS
    raise _Unusable("must be true or false")
