"""The shop's order payload: what it maps to, and a named field error for everything it must refuse."""

import copy
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from orders.payload import MAX_LINES, PayloadError, payload_from_json, placed_order_from_payload
from orders.services import LineInput


def order_payload(**overrides) -> dict:
    """Return a valid order as the shop sends it, with top-level fields replaced by the overrides."""
    payload = {
        "id": "1001",
        "email": "Ann@Example.com",
        "placed_at": "2026-03-01T10:15:00+01:00",
        "currency": "EUR",
        "customer": {
            "first_name": "Ann",
            "last_name": "Lee",
            "phone": "020 7183 8750",
            "accepts_marketing": True,
        },
        "shipping_address": {
            "address1": "1 High Street",
            "address2": "Flat 2",
            "city": "York",
            "province": "North Yorkshire",
            "zip": "YO1 7HH",
            "country_code": "gb",
        },
        "lines": [
            {"name": "Ceramic mug", "sku": "MUG-1", "quantity": 2, "unit_price": "14.00", "total": "28.00"},
            {"name": "Tea towel", "quantity": 1, "unit_price": "6.50"},
        ],
        "shipping": "4.95",
        "tax": "0.00",
        "total": "39.45",
    }
    return {**payload, **overrides}


def test_a_full_order_maps_onto_the_service_input():
    data = placed_order_from_payload(order_payload())
    assert data.shop_order_id == "1001"
    assert data.email == "Ann@Example.com"
    assert data.placed_at == datetime(2026, 3, 1, 9, 15, tzinfo=UTC)
    assert (data.first_name, data.last_name, data.phone, data.accepts_marketing) == (
        "Ann",
        "Lee",
        "+442071838750",
        True,
    )
    assert data.address == {
        "address_line1": "1 High Street",
        "address_line2": "Flat 2",
        "city": "York",
        "region": "North Yorkshire",
        "postal_code": "YO1 7HH",
        "country": "GB",
    }
    assert data.lines == (
        LineInput(name="Ceramic mug", sku="MUG-1", quantity=2, unit_price=Decimal("14.00")),
        LineInput(name="Tea towel", quantity=1, unit_price=Decimal("6.50")),
    )
    assert (data.shipping, data.tax, data.currency) == (Decimal("4.95"), Decimal("0.00"), "EUR")


def test_only_id_email_date_currency_and_lines_are_required():
    payload = {
        "id": 1001,
        "email": " ann@example.com ",
        "placed_at": "2026-03-01T10:15:00Z",
        "currency": "eur",
        "lines": [{"name": "Mug", "quantity": "3", "unit_price": 5}],
    }
    data = placed_order_from_payload(payload)
    assert (data.shop_order_id, data.email, data.currency) == ("1001", "ann@example.com", "EUR")
    assert data.lines == (LineInput(name="Mug", quantity=3, unit_price=Decimal("5.00")),)
    assert (data.first_name, data.phone, data.address, data.accepts_marketing) == ("", "", {}, False)
    assert (data.shipping, data.tax) == (Decimal("0"), Decimal("0"))


def test_json_numbers_are_read_as_exact_decimals():
    payload = payload_from_json(
        '{"id": 7, "email": "a@example.com", "placed_at": "2026-03-01T10:15:00Z", "currency": "EUR",'
        ' "lines": [{"name": "Mug", "quantity": 3, "unit_price": 0.1}], "total": 0.3}'
    )
    data = placed_order_from_payload(payload)
    assert data.lines[0].unit_price == Decimal("0.10")


def test_a_phone_without_country_code_is_read_in_the_shipping_country():
    payload = order_payload(customer={"phone": "06 12 34 56 78"}, shipping_address={"country_code": "FR"}, total=None)
    assert placed_order_from_payload(payload).phone == "+33612345678"


def test_the_shops_own_currency_is_always_accepted(settings):
    settings.SHOP_CURRENCY = "ISK"
    assert placed_order_from_payload(order_payload(currency="isk")).currency == "ISK"


def test_unknown_keys_are_ignored():
    payload = order_payload(note="gift", customer={"first_name": "Ann", "tags": ["vip"]})
    assert placed_order_from_payload(payload).first_name == "Ann"


def changed(path: str, value) -> dict:
    """Return a valid order with the value at a dotted path ("lines.0.quantity") replaced, or removed for `...`."""
    payload = copy.deepcopy(order_payload())
    keys = [int(part) if part.isdigit() else part for part in path.split(".")]
    *parents, last = keys
    target = payload
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return payload


REFUSED = [
    # (test id, the order, the field named, the message)
    ("not an object", ["an", "order"], "", "the order must be a JSON object"),
    ("missing id", changed("id", ...), "id", "id: is required"),
    ("blank id", changed("id", "  "), "id", "id: is required"),
    ("id too long", changed("id", "9" * 101), "id", "id: must be at most 100 characters (it has 101)"),
    ("id a boolean", changed("id", True), "id", "id: must be a string or a whole number"),
    ("id with a line break", changed("id", "10\n01"), "id", "id: must not contain control characters"),
    ("missing email", changed("email", ...), "email", "email: is required"),
    ("invalid email", changed("email", "ann@"), "email", "email: Enter a valid email address."),
    ("email too long", changed("email", "a" * 250 + "@x.com"), "email", "email: must be at most 254 characters"),
    ("missing date", changed("placed_at", ...), "placed_at", "placed_at: is required"),
    ("bad date", changed("placed_at", "1 March 2026"), "placed_at", "placed_at: must be an ISO 8601 date"),
    ("naive date", changed("placed_at", "2026-03-01T10:15:00"), "placed_at", "placed_at: must include a time zone"),
    ("date only", changed("placed_at", "2026-03-01"), "placed_at", "placed_at: must include a time zone"),
    ("date a number", changed("placed_at", 1772356500), "placed_at", "placed_at: must be an ISO 8601 date"),
    ("date beyond UTC", changed("placed_at", "0001-01-01T00:00:00+01:00"), "placed_at", "placed_at: is out of range"),
    ("missing currency", changed("currency", ...), "currency", "currency: is required"),
    ("unknown currency", changed("currency", "XYZ"), "currency", "currency: XYZ is not a currency this shop accepts"),
    ("currency a number", changed("currency", 978), "currency", "currency: must be a three-letter currency code"),
    ("missing lines", changed("lines", ...), "lines", "lines: is required"),
    ("no lines", changed("lines", []), "lines", "lines: must have at least one line"),
    ("lines an object", changed("lines", {"name": "Mug"}), "lines", "lines: must be a list of order lines"),
    (
        "too many lines",
        changed("lines", [{"name": "Pin", "quantity": 1, "unit_price": "1.00"}] * (MAX_LINES + 1)),
        "lines",
        f"lines: must have at most {MAX_LINES} lines (it has 501)",
    ),
    ("line a string", changed("lines.1", "Mug"), "lines[1]", "lines[1]: must be an object"),
    ("line without name", changed("lines.1.name", ...), "lines[1].name", "lines[1].name: is required"),
    ("line name too long", changed("lines.1.name", "M" * 201), "lines[1].name", "at most 200 characters"),
    ("sku too long", changed("lines.0.sku", "S" * 65), "lines[0].sku", "lines[0].sku: must be at most 64 characters"),
    ("missing quantity", changed("lines.1.quantity", ...), "lines[1].quantity", "lines[1].quantity: is required"),
    ("zero quantity", changed("lines.1.quantity", 0), "lines[1].quantity", "must be a whole number of at least 1"),
    ("negative quantity", changed("lines.1.quantity", -2), "lines[1].quantity", "must be a whole number of at least 1"),
    ("quantity 1.5", changed("lines.1.quantity", "1.5"), "lines[1].quantity", "must be a whole number of at least 1"),
    ("quantity float", changed("lines.1.quantity", 1.5), "lines[1].quantity", "must be a whole number of at least 1"),
    ("quantity true", changed("lines.1.quantity", True), "lines[1].quantity", "must be a whole number of at least 1"),
    ("huge quantity", changed("lines.1.quantity", 10**12), "lines[1].quantity", "must be at most 1,000,000"),
    ("missing price", changed("lines.1.unit_price", ...), "lines[1].unit_price", "lines[1].unit_price: is required"),
    ("negative price", changed("lines.1.unit_price", "-6.50"), "lines[1].unit_price", "must not be negative"),
    (
        "price in words",
        changed("lines.1.unit_price", "six"),
        "lines[1].unit_price",
        'must be an amount such as "14.50"',
    ),
    ("price float", changed("lines.1.unit_price", 6.5), "lines[1].unit_price", "must be a decimal string"),
    ("three decimals", changed("lines.1.unit_price", "6.505"), "lines[1].unit_price", "at most 2 decimal places"),
    ("huge price", changed("lines.1.unit_price", "1" * 15), "lines[1].unit_price", "must be at most 9999999999.99"),
    (
        "line total wrong",
        changed("lines.0.total", "30.00"),
        "lines[0].total",
        "lines[0].total: 30.00 does not equal quantity × unit price (28.00)",
    ),
    ("negative shipping", changed("shipping", "-1"), "shipping", "shipping: must not be negative"),
    ("tax in words", changed("tax", "none"), "tax", "tax: must be an amount"),
    (
        "total not adding up",
        changed("total", "12.00"),
        "total",
        "total: 12.00 does not add up to the lines, shipping and tax (39.45)",
    ),
    (
        "total too large",
        changed("lines", [{"name": "Yacht", "quantity": 1000, "unit_price": "9999999999.00"}]),
        "total",
        "is more than the largest amount stored",
    ),
    ("discount in words", changed("discount", "some"), "discount", "discount: must be an amount"),
    ("negative discount", changed("discount", "-1.00"), "discount", "discount: must not be negative"),
    (
        "discount beyond the order",
        changed("discount", "39.46"),
        "discount",
        "discount: 39.46 is more than the lines, shipping and tax (39.45)",
    ),
    (
        "total not adding up with a discount",
        {**changed("discount", "5.00"), "total": "39.45"},
        "total",
        "total: 39.45 does not add up to the lines, shipping and tax less the discount (34.45)",
    ),
    ("unknown status", changed("status", "shipped"), "status", "status: must be one of placed, paid, fulfilled"),
    ("status draft", changed("status", "draft"), "status", "status: must be one of"),
    ("status a number", changed("status", 1), "status", "status: must be one of"),
    ("NUL in an unknown key", changed("note", {"deep": ["ok", "x\x00"]}), "note.deep[1]", "note.deep[1]: must not"),
    ("NUL in a key", changed("note\x00", "x"), "", "keys must not contain NUL"),
    ("NUL under a long key", changed("k" * 10_000, ["\x00"]), f"{'k' * 40}…[0]", "must not contain NUL characters"),
    ("lone surrogate", changed("lines.0.name", "A\udc80"), "lines[0].name", "not valid Unicode text"),
]


@pytest.mark.parametrize(("payload", "field", "message"), [case[1:] for case in REFUSED], ids=[c[0] for c in REFUSED])
def test_bad_input_is_refused_with_the_field_named(payload, field, message):
    with pytest.raises(PayloadError) as caught:
        placed_order_from_payload(payload)
    assert caught.value.field == field
    assert message in str(caught.value)
    if field:
        assert str(caught.value).startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"id": 1,', "not valid JSON: Expecting"),
        ('{"total": NaN}', "not valid JSON: NaN is not a number"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
    ],
)
def test_text_that_is_not_json_is_refused(text, message):
    with pytest.raises(PayloadError, match=message):
        payload_from_json(text)


TEXT_FIELDS = [
    "id",
    "email",
    "placed_at",
    "currency",
    "lines.0.name",
    "lines.0.sku",
    "lines.0.quantity",
    "lines.0.unit_price",
    "lines.0.total",
    "shipping",
    "tax",
    "total",
]


@pytest.mark.parametrize("path", TEXT_FIELDS)
@pytest.mark.parametrize("value", ["7" * 10_240, "7\x00"], ids=["10 kB", "NUL"])
def test_every_field_refuses_10_kb_and_nul_with_a_field_error(path, value):
    """SECURITY 31: never a database error, always the field named."""
    with pytest.raises(PayloadError) as caught:
        placed_order_from_payload(changed(path, value))
    assert caught.value.field == path.replace(".0.", "[0].")
    assert len(str(caught.value)) < 200


BUYER_FIELDS = [
    "customer.first_name",
    "customer.last_name",
    "customer.phone",
    "customer.accepts_marketing",
    "shipping_address.address1",
    "shipping_address.address2",
    "shipping_address.city",
    "shipping_address.province",
    "shipping_address.zip",
    "shipping_address.country_code",
]

UNREAD = [
    # (test id, the order, the detail left unread, its label, the value kept, why)
    ("customer a string", changed("customer", "Ann"), "customer", "Customer details", "Ann", "must be an object"),
    (
        "10 kB first name",
        changed("customer.first_name", "A" * 10_240),
        "customer.first_name",
        "First name",
        "A" * 10_240,
        "must be at most 150 characters (it has 10,240)",
    ),
    (
        "NUL in a name",
        changed("customer.last_name", "Le\x00e"),
        "customer.last_name",
        "Last name",
        "Le\\x00e",
        "must not contain NUL characters",
    ),
    ("name a number", changed("customer.last_name", 42), "customer.last_name", "Last name", "42", "must be text"),
    (
        "lone surrogate",
        changed("customer.first_name", "A\udc80"),
        "customer.first_name",
        "First name",
        "A\\udc80",
        "not valid Unicode text",
    ),
    ("bad phone", changed("customer.phone", "call me"), "customer.phone", "Phone", "call me", "Enter a phone number"),
    ("too short a phone", changed("customer.phone", "+44 1"), "customer.phone", "Phone", "+44 1", "too short"),
    (
        "marketing maybe",
        changed("customer.accepts_marketing", "maybe"),
        "customer.accepts_marketing",
        "Marketing consent",
        "maybe",
        "must be true or false",
    ),
    (
        "three-letter country",
        changed("shipping_address.country_code", "GBR"),
        "shipping_address.country_code",
        "Country",
        "GBR",
        "must be a two-letter country code such as GB",
    ),
    (
        "long address",
        changed("shipping_address.address1", "x" * 201),
        "shipping_address.address1",
        "Address line 1",
        "x" * 201,
        "must be at most 200 characters",
    ),
    (
        "postcode too long",
        changed("shipping_address.zip", "1" * 21),
        "shipping_address.zip",
        "Postcode",
        "1" * 21,
        "at most 20 characters",
    ),
]


@pytest.mark.parametrize(
    ("payload", "field", "label", "value", "reason"), [case[1:] for case in UNREAD], ids=[c[0] for c in UNREAD]
)
def test_an_unusable_buyer_detail_is_kept_as_sent_and_the_order_read_all_the_same(payload, field, label, value, reason):
    """Issue: a paid sale is never refused because of an optional detail (SECURITY 50)."""
    data = placed_order_from_payload(payload)
    assert data.shop_order_id == "1001"
    assert len(data.lines) == 2
    [detail] = data.unread
    assert (detail.field, detail.label, detail.value) == (field, label, value)
    assert reason in detail.reason
    read = {
        "customer.first_name": data.first_name,
        "customer.last_name": data.last_name,
        "customer.phone": data.phone,
        "shipping_address.country_code": data.address.get("country", ""),
        "shipping_address.address1": data.address.get("address_line1", ""),
        "shipping_address.zip": data.address.get("postal_code", ""),
    }
    assert read.get(field, "") == ""
    if field == "customer.accepts_marketing":
        assert data.accepts_marketing is False


def test_a_detail_that_cannot_be_read_leaves_the_others_read():
    data = placed_order_from_payload(changed("customer.phone", "call me"))
    assert (data.first_name, data.last_name, data.address["city"], data.accepts_marketing) == (
        "Ann",
        "Lee",
        "York",
        True,
    )


def test_a_country_that_cannot_be_read_leaves_the_phone_to_the_default_region(settings):
    settings.PHONE_DEFAULT_REGION = "GB"
    data = placed_order_from_payload(changed("shipping_address.country_code", "Britain"))
    assert data.phone == "+442071838750"
    assert [detail.field for detail in data.unread] == ["shipping_address.country_code"]


def test_a_nul_in_a_key_under_the_buyer_details_is_ignored_with_the_key():
    data = placed_order_from_payload(changed("customer.tag\x00", "x"))
    assert data.unread == ()


@pytest.mark.parametrize("path", BUYER_FIELDS)
@pytest.mark.parametrize("value", ["7" * 10_240, "7\x00"], ids=["10 kB", "NUL"])
def test_every_buyer_detail_with_10_kb_or_nul_is_kept_unread_never_a_database_error(path, value):
    data = placed_order_from_payload(changed(path, value))
    [detail] = data.unread
    assert detail.field == path
    assert "\x00" not in detail.value


@pytest.mark.parametrize("path", ["customer.first_name", "customer.accepts_marketing", "shipping_address.city"])
def test_a_huge_json_number_in_a_buyer_detail_is_kept_unread(path):
    data = placed_order_from_payload(payload_from_json(with_number(path, HUGE)))
    [detail] = data.unread
    assert (detail.field, detail.value) == (path, HUGE)


# Longer than the 4,300 digits Python reads into an int, so json.loads alone raises ValueError on it.
HUGE = "1" * 5_000


def with_number(path: str, number: str) -> str:
    """Return a valid order as JSON text with the value at a dotted path replaced by a raw JSON number."""
    return json.dumps(changed(path, "<number>")).replace('"<number>"', number)


HUGE_NUMBERS = [
    # (the dotted path, the JSON number, the field named, the message)
    ("id", HUGE, "id", "id: must be at most 100 characters (it has 5,000)"),
    ("id", f"-{HUGE}", "id", "id: must not be negative"),
    ("id", "1" * 101, "id", "id: must be at most 100 characters (it has 101)"),
    ("lines.0.quantity", HUGE, "lines[0].quantity", "lines[0].quantity: must be at most 1,000,000"),
    ("lines.0.quantity", f"-{HUGE}", "lines[0].quantity", "lines[0].quantity: must be a whole number of at least 1"),
    ("lines.0.unit_price", HUGE, "lines[0].unit_price", "lines[0].unit_price: must be at most 9999999999.99"),
    ("lines.0.unit_price", f"-{HUGE}", "lines[0].unit_price", "lines[0].unit_price: must not be negative"),
    ("lines.0.total", HUGE, "lines[0].total", "lines[0].total: must be at most 9999999999.99"),
    ("shipping", HUGE, "shipping", "shipping: must be at most 9999999999.99"),
    ("tax", f"-{HUGE}", "tax", "tax: must not be negative"),
    ("total", HUGE, "total", "total: must be at most 9999999999.99"),
    ("total", f"{HUGE}.5", "total", "total: must be at most 9999999999.99"),
    ("placed_at", HUGE, "placed_at", "placed_at: must be an ISO 8601 date and time"),
    ("lines", HUGE, "lines", "lines: must be a list of order lines"),
    # Exponents beyond what a Decimal holds (about 10**18) are as far out of range.
    ("total", "1e99999999999999999999", "total", "total: must be at most 9999999999.99"),
    ("total", "-1.5E+99999999999999999999", "total", "total: must not be negative"),
    ("total", "1e-99999999999999999999", "total", "total: must have at most 2 decimal places"),
    (
        "lines.0.quantity",
        "1e99999999999999999999",
        "lines[0].quantity",
        "lines[0].quantity: must be a whole number of at least 1",
    ),
]


@pytest.mark.parametrize(("path", "number", "field", "message"), HUGE_NUMBERS)
def test_a_huge_json_number_is_a_field_error(path, number, field, message):
    with pytest.raises(PayloadError) as caught:
        placed_order_from_payload(payload_from_json(with_number(path, number)))
    assert caught.value.field == field
    assert str(caught.value).startswith(message)


@pytest.mark.parametrize(
    "number", [HUGE, f"-{HUGE}", f"{HUGE}.{HUGE}", "1e99999999999999999999", "-0.0e-99999999999999999999"]
)
def test_a_huge_json_number_where_no_field_reads_it_is_ignored(number):
    text = json.dumps(changed("note", {"deep": ["<number>", {"n": "<number>"}]})).replace('"<number>"', number)
    data = placed_order_from_payload(payload_from_json(text))
    assert (data.shop_order_id, len(data.lines)) == ("1001", 2)


def test_a_64_digit_id_is_read_whole():
    data = placed_order_from_payload(payload_from_json(with_number("id", "9" * 64)))
    assert data.shop_order_id == "9" * 64


def test_a_quantity_with_leading_zeros_is_a_plain_number():
    payload = changed("lines.1.quantity", "0" * 100 + "3")
    data = placed_order_from_payload({**payload, "total": None})
    assert data.lines[1].quantity == 3
    assert type(data.lines[1].quantity) is int


def test_json_numbers_with_an_exponent_are_read_exactly():
    text = with_number("shipping", "4.95E0").replace('"0.00"', "0e5").replace('"39.45"', "3.945e1")
    data = placed_order_from_payload(payload_from_json(text))
    assert (data.shipping, data.tax) == (Decimal("4.95"), Decimal("0.00"))


def test_status_name_discount_and_the_consent_date_are_read():
    payload = order_payload(status=" PAID ", name="#1001", discount="4.45", total="35.00")
    payload["customer"]["accepts_marketing_at"] = "2026-02-01T09:00:00+01:00"
    data = placed_order_from_payload(payload)
    assert (data.status, data.name, data.discount) == ("paid", "#1001", Decimal("4.45"))
    assert data.accepts_marketing_at == datetime.fromisoformat("2026-02-01T09:00:00+01:00")
    assert data.unread == ()


def test_without_them_an_order_is_placed_undiscounted_and_consent_is_dated_by_the_order():
    data = placed_order_from_payload(order_payload())
    assert (data.status, data.name, data.discount, data.accepts_marketing_at) == ("placed", "", Decimal("0"), None)


@pytest.mark.parametrize("moment", ["yesterday", "2026-02-01T09:00:00", 17, "0001-01-01T00:00:00+01:00"])
def test_a_consent_date_that_cannot_be_used_is_kept_unread_and_the_order_stands(moment):
    payload = order_payload()
    payload["customer"]["accepts_marketing_at"] = moment
    data = placed_order_from_payload(payload)
    assert data.accepts_marketing is True
    assert data.accepts_marketing_at is None
    assert [detail.field for detail in data.unread] == ["customer.accepts_marketing_at"]


@pytest.mark.parametrize("name", ["#" * 65, 1001, "#10\x0001", ["#1001"]])
def test_a_name_that_cannot_be_stored_is_kept_unread_and_the_order_stands(name):
    data = placed_order_from_payload(order_payload(name=name))
    assert data.name == ""
    assert [(detail.field, detail.label) for detail in data.unread] == [("name", "Order name")]
