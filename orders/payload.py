"""Read a placed order as the shop sends it (a JSON object) into the order service's input, or say what is wrong.

The webhook and the import command both end here, so a payload the one refuses the other refuses for the same
reason. Every error names the field it is about, in the payload's own terms: "lines[2].quantity: …".
"""

import json
import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from orders.buyer import buyer_details, buyer_value_as_sent
from orders.models import Order, OrderLine, OrderStatus
from orders.services import LineInput, PlacedOrderInput, UnreadDetail

MAX_LINES = 500
MAX_QUANTITY = 1_000_000
# Amounts are stored with 12 digits, 2 of them after the point.
MAX_AMOUNT = Decimal("9999999999.99")
AMOUNT = re.compile(r"-?\d+(?:\.\d+)?")
WHOLE_NUMBER = re.compile(r"\d+")
# No field takes a whole number longer than an id (64 characters); longer ones are kept as BigInteger.
LONGEST_INT = 64
# Where a JSON number's exponent is beyond what Decimal holds, it stands in at this one (see _number).
FAR_EXPONENT = 1_000_000_000
# Currencies an order may be in besides settings.SHOP_CURRENCY: the ISO 4217 codes of the markets a
# European shop plausibly sells to. Anything else is far more likely a typo or a test shop than a sale.
CURRENCIES = frozenset(
    {"AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "CZK", "DKK", "EUR", "GBP", "HKD", "HUF"}
    | {"JPY", "MXN", "NOK", "NZD", "PLN", "RON", "SEK", "SGD", "TRY", "USD", "ZAR"}
)
KEY_SHOWN = 40
# The parts of an order read without ever refusing the order for them: the buyer (orders.buyer) and the
# shop's name for the order (_name).
LENIENT_PARTS = ("customer", "shipping_address", "name")


class PayloadError(ValueError):
    """The payload is not a valid order; the message names the field, e.g. "lines[2].quantity: …"."""

    def __init__(self, message: str, *, field: str = "") -> None:
        self.field = field
        super().__init__(f"{field}: {message}" if field else message)


class BigInteger(Decimal):
    """A whole number too long for any field, kept exact as a Decimal so that no giant int is ever built.

    Python refuses to read an int of more than 4,300 digits (a ValueError, sys.get_int_max_str_digits), and
    reading one takes time that grows with the square of its length; a Decimal reads the digits as they are.
    """


def payload_from_json(text: str) -> object:
    """Return the JSON value in the text, its numbers read exactly: ints, BigIntegers and Decimals."""
    try:
        return json.loads(text, parse_int=_integer, parse_float=_number, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}" if "\n" in text else f"column {error.colno}"
        raise PayloadError(f"not valid JSON: {error.msg} at {where}") from error
    except RecursionError as error:
        raise PayloadError("not valid JSON: nested too deeply") from error


def _integer(digits: str) -> int | BigInteger:
    return BigInteger(digits) if len(digits) > LONGEST_INT else int(digits)


def _number(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        # JSON's grammar leaves only one way to get here: an exponent beyond Decimal's range (about 10¹⁸).
        # The exact value is out of every field's reach, so a stand-in with the same sign and side of 1
        # (huge, or with too many decimal places) draws the same error from whichever field reads it.
        mantissa, _, exponent = text.lower().partition("e")
        if not mantissa.strip("-0."):
            return Decimal(0)
        sign = "-" if mantissa.startswith("-") else ""
        return Decimal(f"{sign}1E{'-' if exponent.startswith('-') else '+'}{FAR_EXPONENT}")


def _refuse_constant(name: str) -> object:
    raise PayloadError(f"not valid JSON: {name} is not a number")


def _max_length(model: type, name: str) -> int:
    return model._meta.get_field(name).max_length


def placed_order_from_payload(payload: object) -> PlacedOrderInput:
    """Return the order in the payload, validated and normalised, or raise PayloadError naming the field."""
    if not isinstance(payload, dict):
        raise PayloadError("the order must be a JSON object")
    _refuse_unstorable_text(payload)
    # Checked in the order the README lists the fields, so the first error reported is the first one there.
    shop_order_id = _order_id(payload)
    email = _email(payload)
    placed_at = _placed_at(payload)
    currency = _currency(payload)
    buyer = buyer_details(payload)
    name, name_unread = _name(payload)
    lines = _lines(payload)
    shipping = _amount(payload, "shipping", default=Decimal("0"))
    tax = _amount(payload, "tax", default=Decimal("0"))
    before_discount = sum((line.unit_price * line.quantity for line in lines), Decimal("0")) + shipping + tax
    discount = _amount(payload, "discount", default=Decimal("0"))
    if discount > before_discount:
        raise PayloadError(
            f"{discount} is more than the lines, shipping and tax ({before_discount:.2f})", field="discount"
        )
    computed_total = before_discount - discount
    if computed_total > MAX_AMOUNT:
        raise PayloadError(f"{computed_total} is more than the largest amount stored ({MAX_AMOUNT})", field="total")
    total = _amount(payload, "total")
    if total is not None and total != computed_total:
        raise PayloadError(
            f"{total} does not add up to the lines, shipping and tax{' less the discount' if discount else ''}"
            f" ({computed_total:.2f})",
            field="total",
        )
    return PlacedOrderInput(
        shop_order_id=shop_order_id,
        email=email,
        placed_at=placed_at,
        currency=currency,
        first_name=buyer.first_name,
        last_name=buyer.last_name,
        phone=buyer.phone,
        accepts_marketing=buyer.accepts_marketing,
        address=buyer.address,
        unread=(*buyer.unread, *name_unread),
        lines=tuple(lines),
        shipping=shipping,
        tax=tax,
        discount=discount,
        status=_status(payload),
        name=name,
        accepts_marketing_at=buyer.accepts_marketing_at,
    )


def _name(payload: dict) -> tuple[str, list[UnreadDetail]]:
    """Return the shop's name for the order; one that cannot be stored is kept as unread and the id shown instead."""
    value = payload.get("name")
    if value is None or value == "":
        return "", []
    longest = _max_length(Order, "shop_name")
    reason = ""
    if not isinstance(value, str):
        reason = "must be text"
    elif "\x00" in value or not value.isprintable():
        reason = "must not contain control characters"
    elif len(value.strip()) > longest:
        reason = f"must be at most {longest} characters (it has {len(value.strip()):,})"
    else:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            reason = "contains characters that are not valid Unicode text"
    if not reason:
        return value.strip(), []
    return "", [UnreadDetail(field="name", label="Order name", value=buyer_value_as_sent(value), reason=reason)]


def _status(payload: dict) -> OrderStatus:
    value = payload.get("status")
    if value is None or value == "":
        return OrderStatus.PLACED
    allowed = [OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED, OrderStatus.CANCELLED]
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise PayloadError(f"must be one of {', '.join(allowed)}", field="status")
    return OrderStatus(value.strip().lower())


def _refuse_unstorable_text(payload: dict) -> None:
    """Refuse NUL and unpaired surrogates in any key or string, however deep: no database stores them.

    The buyer details and the order's name are kept as unread instead of refusing the order for them.
    """
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for name, item in value.items():
                key = str(name)
                if "\x00" in key:
                    raise PayloadError("keys must not contain NUL characters", field=path)
                _check_text(key, path)
                # A key is shown in an error only as far as anyone needs to find it.
                shown = key if len(key) <= KEY_SHOWN else f"{key[:KEY_SHOWN]}…"
                if not (path == "" and key in LENIENT_PARTS):
                    stack.append((f"{path}.{shown}" if path else shown, item))
        elif isinstance(value, list):
            stack.extend((f"{path}[{index}]", item) for index, item in enumerate(value))
        elif isinstance(value, str):
            _check_text(value, path)


def _check_text(value: str, path: str) -> None:
    if "\x00" in value:
        raise PayloadError("must not contain NUL characters", field=path)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise PayloadError("contains characters that are not valid Unicode text", field=path) from error


def _path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _text(source: dict, name: str, max_length: int, *, path: str = "", required: bool = False) -> str:
    field = _path(path, name)
    value = source.get(name)
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PayloadError("must be a string", field=field)
    value = value.strip()
    if required and not value:
        raise PayloadError("is required", field=field)
    if len(value) > max_length:
        raise PayloadError(f"must be at most {max_length} characters (it has {len(value):,})", field=field)
    return value


def _order_id(payload: dict) -> str:
    value = payload.get("id")
    max_length = _max_length(Order, "shop_order_id")
    if isinstance(value, int | BigInteger) and not isinstance(value, bool):
        if value < 0:
            raise PayloadError("must not be negative", field="id")
        value = str(value)
    elif value is not None and not isinstance(value, str):
        raise PayloadError("must be a string or a whole number", field="id")
    value = _text({"id": value}, "id", max_length, required=True)
    if any(not character.isprintable() for character in value):
        raise PayloadError("must not contain control characters", field="id")
    return value


def _email(payload: dict) -> str:
    email = _text(payload, "email", _max_length(Order, "buyer_email"), required=True)
    try:
        validate_email(email)
    except ValidationError as error:
        raise PayloadError(" ".join(error.messages), field="email") from error
    return email


def _placed_at(payload: dict) -> datetime:
    value = payload.get("placed_at")
    example = "2026-03-01T10:15:00+01:00"
    if value is None or value == "":
        raise PayloadError("is required", field="placed_at")
    if not isinstance(value, str):
        raise PayloadError(f"must be an ISO 8601 date and time such as {example}", field="placed_at")
    try:
        placed_at = datetime.fromisoformat(value.strip())
    except ValueError as error:
        raise PayloadError(f"must be an ISO 8601 date and time such as {example}", field="placed_at") from error
    if placed_at.tzinfo is None or placed_at.utcoffset() is None:
        raise PayloadError(f"must include a time zone offset, such as {example}", field="placed_at")
    try:
        # Stored in UTC: a date at the very edge of the calendar cannot be converted.
        placed_at.astimezone(UTC)
    except OverflowError as error:
        raise PayloadError("is out of range", field="placed_at") from error
    return placed_at


def _currency(payload: dict) -> str:
    value = payload.get("currency")
    if value is None or value == "":
        raise PayloadError("is required", field="currency")
    if not isinstance(value, str):
        raise PayloadError("must be a three-letter currency code such as EUR", field="currency")
    code = value.strip().upper()
    if code != settings.SHOP_CURRENCY and code not in CURRENCIES:
        shown = code if len(code) <= 10 else f"{code[:10]}…"
        raise PayloadError(f"{shown} is not a currency this shop accepts", field="currency")
    return code


def _amount(source: dict, name: str, *, path: str = "", default: Decimal | None = None) -> Decimal | None:
    field = _path(path, name)
    value = source.get(name)
    if value is None or value == "":
        return default
    # The webhook and import hand over JSON numbers as int, BigInteger or Decimal (payload_from_json); a
    # float has already lost the exact amount, so it is refused rather than rounded.
    if isinstance(value, bool | float):
        raise PayloadError('must be a decimal string such as "14.50"', field=field)
    if isinstance(value, int | Decimal):
        amount = Decimal(value)
    elif isinstance(value, str) and AMOUNT.fullmatch(value.strip()):
        amount = Decimal(value.strip())
    else:
        raise PayloadError('must be an amount such as "14.50"', field=field)
    if amount < 0:
        raise PayloadError("must not be negative", field=field)
    if amount.as_tuple().exponent < -2:
        raise PayloadError("must have at most 2 decimal places", field=field)
    if amount > MAX_AMOUNT:
        raise PayloadError(f"must be at most {MAX_AMOUNT}", field=field)
    return amount.quantize(Decimal("0.01"))


def _quantity(line: dict, path: str) -> int:
    field = f"{path}.quantity"
    value = line.get("quantity")
    message = "must be a whole number of at least 1"
    if value is None or value == "":
        raise PayloadError("is required", field=field)
    if isinstance(value, bool):
        raise PayloadError(message, field=field)
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value.strip()):
        value = _integer(value.strip())
    if not isinstance(value, int | BigInteger) or value < 1:
        raise PayloadError(message, field=field)
    if value > MAX_QUANTITY:
        raise PayloadError(f"must be at most {MAX_QUANTITY:,}", field=field)
    # Small by now, but a BigInteger still when typed with many leading zeros ("000…05").
    return int(value)


def _lines(payload: dict) -> list[LineInput]:
    lines = payload.get("lines")
    if lines is None:
        raise PayloadError("is required", field="lines")
    if not isinstance(lines, list):
        raise PayloadError("must be a list of order lines", field="lines")
    if not lines:
        raise PayloadError("must have at least one line", field="lines")
    if len(lines) > MAX_LINES:
        raise PayloadError(f"must have at most {MAX_LINES} lines (it has {len(lines):,})", field="lines")
    result = []
    for index, line in enumerate(lines):
        path = f"lines[{index}]"
        if not isinstance(line, dict):
            raise PayloadError("must be an object", field=path)
        quantity = _quantity(line, path)
        unit_price = _amount(line, "unit_price", path=path)
        if unit_price is None:
            raise PayloadError("is required", field=f"{path}.unit_price")
        total = _amount(line, "total", path=path)
        if total is not None and total != unit_price * quantity:
            raise PayloadError(
                f"{total} does not equal quantity × unit price ({unit_price * quantity:.2f})", field=f"{path}.total"
            )
        result.append(
            LineInput(
                name=_text(line, "name", _max_length(OrderLine, "name"), path=path, required=True),
                sku=_text(line, "sku", _max_length(OrderLine, "sku"), path=path),
                quantity=quantity,
                unit_price=unit_price,
            )
        )
    return result
