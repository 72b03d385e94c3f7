"""manage.py import_orders with Shopify's orders export and WooCommerce's order export, told apart by the header."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from customers.models import ConsentRecord, ConsentSource, ConsentState, Contact, Stage, SuggestedUpdate
from orders.models import Order, OrderConflict, OrderStatus
from orders.shops import shopify_order_key
from orders.shops.shopify import shopify_order_payload
from tests.factories import ContactFactory
from tests.orders.test_payload import HUGE
from tests.orders.test_shop_hooks import post_shopify, post_woo, shopify_order, woo_order

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "shops"
SHOPIFY_HEADER = (FIXTURES / "shopify-orders-export-header.csv").read_text(encoding="utf-8").strip().split(",")
WOO_HEADER = (FIXTURES / "woocommerce-orders-export-header.csv").read_text(encoding="utf-8").strip().split(",")
SHOP = "acme.myshopify.com"


@pytest.fixture(autouse=True)
def _one_shop(settings):
    settings.SHOPIFY_SHOP_DOMAINS = [SHOP]


def run(path, *args) -> str:
    out = io.StringIO()
    call_command("import_orders", str(path), *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def write(tmp_path, header: list[str], rows: list[dict[str, str]], name="orders_export.csv"):
    path = tmp_path / name
    # As Excel saves "CSV UTF-8": with a byte-order mark.
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([[row.get(column, "") for column in header] for row in rows])
    return path


def shopify(name: str, email: str, lines: list[tuple[str, str, str, str]], **order: str) -> list[dict[str, str]]:
    """The rows Shopify exports for one order: the order's columns on the first row only."""
    rows = [
        {
            "Name": name,
            "Email": email,
            "Lineitem name": line_name,
            "Lineitem sku": sku,
            "Lineitem quantity": quantity,
            "Lineitem price": price,
        }
        for line_name, sku, quantity, price in lines
    ]
    rows[0].update({key.replace("_", " "): value for key, value in order.items()})
    return rows


ANN = shopify(
    "#1101",
    "ann@example.com",
    [("Ceramic mug", "MUG-1", "2", "14.00"), ("Tea towel", "TT-1", "1", "6.50")],
    Id="5001",
    Financial_Status="paid",
    Fulfillment_Status="fulfilled",
    Accepts_Marketing="yes",
    Currency="GBP",
    Subtotal="29.50",
    Shipping="4.95",
    Taxes="0.00",
    Total="34.45",
    Discount_Code="WELCOME5",
    Discount_Amount="5.00",
    Created_at="2026-03-01 09:00:00 +0000",
    Billing_Name="Ann Lee",
    Billing_Address1="9 Low Rd",
    Billing_City="Leeds",
    Billing_Country="GB",
    Shipping_Name="Ann Lee",
    Shipping_Address1="1 High St",
    Shipping_City="York",
    Shipping_Zip="YO1 7HH",
    Shipping_Country="GB",
    Shipping_Phone="020 7183 8750",
)
BOB_CANCELLED = shopify(
    "#1102",
    "bob@example.com",
    [("Teapot", "TP-1", "1", "30.00")],
    Id="5002",
    Financial_Status="voided",
    Fulfillment_Status="unfulfilled",
    Currency="GBP",
    Total="30.00",
    Created_at="2026-03-02 10:00:00 +0000",
    Cancelled_at="2026-03-02 12:00:00 +0000",
)
CY_BAD_QUANTITY = shopify(
    "#1103",
    "cy@example.com",
    [("Mug", "MUG-2", "1", "5.00"), ("Spoon", "", "two", "1.00")],
    Id="5003",
    Financial_Status="paid",
    Currency="GBP",
    Total="7.00",
    Created_at="2026-03-03 10:00:00 +0000",
)
# Prices that include VAT, as a South African shop exports them: 699.00 + 85.00 is the total, VAT inside.
KAYLEE_TAX_INCLUDED = shopify(
    "#1104",
    "kaylee@example.com",
    [("Mattress Bamboopaedic 120 cm x 60 cm", "FMATT", "1", "699.00")],
    Id="5004",
    Financial_Status="paid",
    Currency="ZAR",
    Subtotal="699.00",
    Shipping="85.00",
    Taxes="91.17",
    Total="784.00",
    Discount_Amount="0.00",
    Created_at="2026-03-04 11:01:12 +0200",
    Billing_Name="Kaylee van Greunen",
    Billing_Address1="31 Timeball Boulevard",
    Billing_City="Durban Point",
    Billing_Zip="'4001",
    Billing_Province="NL",
    Billing_Province_Name="KwaZulu-Natal",
    Billing_Country="ZA",
    Shipping_Phone="078 273 1410",
)
SHOPIFY_ROWS = [*ANN, *BOB_CANCELLED, *CY_BAD_QUANTITY, *KAYLEE_TAX_INCLUDED]


def test_shopifys_export_is_read_by_its_header_and_the_bad_line_item_reported_on_its_row(tmp_path):
    out = run(write(tmp_path, SHOPIFY_HEADER, SHOPIFY_ROWS))
    assert out.splitlines() == [
        "Created 3 orders (3 new contacts, 0 updated), 0 already imported, skipped 1:",
        "  line 6 (order #1103): Lineitem quantity: must be a whole number of at least 1",
    ]
    ann = Order.objects.get(shop_order_id="shopify:acme:5001")
    assert (ann.shop_name, ann.status, ann.currency) == ("#1101", OrderStatus.FULFILLED, "GBP")
    assert ann.placed_at == datetime(2026, 3, 1, 9, tzinfo=UTC)
    assert [(line.name, line.sku, line.quantity, line.unit_price) for line in ann.lines.all()] == [
        ("Ceramic mug", "MUG-1", 2, Decimal("14.00")),
        ("Tea towel", "TT-1", 1, Decimal("6.50")),
    ]
    assert (ann.shipping, ann.tax, ann.discount, ann.total) == (
        Decimal("4.95"),
        Decimal("0.00"),
        Decimal("5.00"),
        Decimal("34.45"),
    )
    # The shipping address, not the billing one; the shipping phone, read as a number of the shipping country.
    assert (ann.address_line1, ann.city, ann.postal_code, ann.country) == ("1 High St", "York", "YO1 7HH", "GB")
    assert (ann.buyer_first_name, ann.buyer_last_name, ann.buyer_phone) == ("Ann", "Lee", "+442071838750")
    consent = ConsentRecord.objects.get(contact__email="ann@example.com")
    assert (consent.state, consent.source) == (ConsentState.SUBSCRIBED, ConsentSource.CHECKOUT)
    assert Order.objects.get(shop_order_id="shopify:acme:5002").status == OrderStatus.CANCELLED
    bob = Contact.objects.get(email="bob@example.com")
    assert (bob.orders_count, bob.total_spent) == (0, Decimal("0"))
    assert not Order.objects.filter(shop_order_id="shopify:acme:5003").exists()


def test_prices_that_include_tax_are_stored_without_tax_and_the_billing_address_stands_in(tmp_path):
    run(write(tmp_path, SHOPIFY_HEADER, KAYLEE_TAX_INCLUDED))
    order = Order.objects.get()
    assert (order.subtotal, order.shipping, order.tax, order.total) == (
        Decimal("699.00"),
        Decimal("85.00"),
        Decimal("0.00"),
        Decimal("784.00"),
    )
    # Shopify's apostrophe before a zip of digits is gone; the province is its name, as the webhook has it.
    assert (order.address_line1, order.postal_code, order.region, order.country) == (
        "31 Timeball Boulevard",
        "4001",
        "KwaZulu-Natal",
        "ZA",
    )
    assert (order.buyer_first_name, order.buyer_last_name) == ("Kaylee", "van Greunen")


def test_a_shopify_export_imported_again_changes_nothing(tmp_path):
    path = write(tmp_path, SHOPIFY_HEADER, SHOPIFY_ROWS)
    run(path)
    out = run(path)
    assert out.startswith("Created 0 orders (0 new contacts, 0 updated), 3 already imported, skipped 1:")
    assert Order.objects.count() == 3


def test_a_known_email_updates_its_contact_and_a_locked_one_gets_suggestions(tmp_path):
    lead = ContactFactory(email="ANN@example.com", first_name="Annie", last_name="", stage=Stage.LEAD)
    locked = ContactFactory(email="kaylee@example.com", first_name="K", last_name="V", details_locked=True)
    out = run(write(tmp_path, SHOPIFY_HEADER, [*ANN, *KAYLEE_TAX_INCLUDED]))
    assert out.startswith("Created 2 orders (0 new contacts, 2 updated)")
    lead.refresh_from_db()
    assert (lead.first_name, lead.last_name, lead.stage, lead.city) == ("Ann", "Lee", Stage.CUSTOMER, "York")
    locked.refresh_from_db()
    assert (locked.first_name, locked.last_name) == ("K", "V")
    suggested = SuggestedUpdate.objects.filter(contact=locked).values_list("field", "value")
    assert {("first_name", "Kaylee"), ("last_name", "van Greunen"), ("postal_code", "4001")} <= set(suggested)


def test_the_export_and_the_webhook_store_shopifys_sample_as_one_order(tmp_path, client, settings):
    """Shopify's published order #1001 as the export writes it: the webhook's delivery of it is a replay."""
    settings.SHOPIFY_WEBHOOK_SECRET = "shopify-app-secret-0123456789"
    rows = shopify(
        "#1001",
        "bob.norman@hostmail.com",
        [
            ("IPod Nano - 8gb - green", "IPOD2008GREEN", "1", "199.00"),
            ("IPod Nano - 8gb - red", "IPOD2008RED", "1", "199.00"),
            ("IPod Nano - 8gb - black", "IPOD2008BLACK", "1", "199.00"),
        ],
        Id="450789469",
        Financial_Status="authorized",
        Accepts_Marketing="no",
        Currency="USD",
        Subtotal="398.00",
        Shipping="0.00",
        Taxes="11.94",
        Total="409.94",
        Discount_Amount="0.00",
        Created_at="2008-01-10 11:00:00 -0500",
        **{
            f"{part}_{name}": value
            for part in ("Billing", "Shipping")
            for name, value in {
                "Name": "Bob Norman",
                "Address1": "Chestnut Street 92",
                "City": "Louisville",
                "Zip": "'40202",
                "Province": "KY",
                "Province_Name": "Kentucky",
                "Country": "US",
                "Phone": "555-625-1199",
            }.items()
        },
    )
    run(write(tmp_path, SHOPIFY_HEADER, rows))
    key = shopify_order_key(shop_domain=SHOP, order_id=450789469)
    assert Order.objects.get().shop_order_id == key == shopify_order_payload(shopify_order(), shop_domain=SHOP)["id"]
    response = post_shopify(client, shopify_order())
    assert (response.status_code, response.json()["created"]) == (200, False)
    assert not OrderConflict.objects.exists()
    assert Order.objects.count() == 1


def test_the_shop_is_the_one_configured_or_the_one_given(tmp_path, settings):
    path = write(tmp_path, SHOPIFY_HEADER, ANN)
    run(path, "--shop", "Other.MyShopify.com")
    assert Order.objects.get().shop_order_id == "shopify:other:5001"
    run(path)
    assert set(Order.objects.values_list("shop_order_id", flat=True)) == {"shopify:other:5001", "shopify:acme:5001"}


@pytest.mark.parametrize("domains", [[], [SHOP, "other.myshopify.com"]])
def test_without_one_shop_configured_the_shop_must_be_given(tmp_path, settings, domains):
    settings.SHOPIFY_SHOP_DOMAINS = domains
    with pytest.raises(CommandError, match="pass --shop with the shop it is from"):
        run(write(tmp_path, SHOPIFY_HEADER, ANN))
    assert not Order.objects.exists()


def test_a_shop_that_is_not_a_myshopify_name_is_refused(tmp_path):
    with pytest.raises(CommandError, match=r"'acme\.example\.com' is not a shop's \*\.myshopify\.com name"):
        run(write(tmp_path, SHOPIFY_HEADER, ANN), "--shop", "acme.example.com")


def test_an_export_without_the_id_column_keys_orders_by_their_name(tmp_path):
    header = [column for column in SHOPIFY_HEADER if column != "Id"]
    run(write(tmp_path, header, ANN))
    assert Order.objects.get().shop_order_id == "shopify:acme:1101"


def test_the_buyers_name_is_the_shipping_name_when_there_is_no_billing_name(tmp_path):
    rows = shopify(
        "#1301",
        "fay@example.com",
        [("Mug", "", "1", "5.00")],
        Currency="GBP",
        Total="5.00",
        Created_at="2026-03-01 09:00:00 +0000",
        Shipping_Name="Fay Wray",
        Shipping_City="Bath",
    )
    run(write(tmp_path, SHOPIFY_HEADER, rows))
    assert Order.objects.values_list("buyer_first_name", "buyer_last_name").get() == ("Fay", "Wray")


def test_errors_name_shopifys_columns(tmp_path):
    placed = {"Currency": "GBP", "Created at": "2026-03-01 09:00:00 +0000"}
    bad_currency = shopify("#1201", "dee@example.com", [("Mug", "", "1", "5.00")], Currency="XYZ", Total="5.00")
    bad_date = shopify("#1202", "eve@example.com", [("Mug", "", "1", "5.00")], Currency="GBP")
    huge = shopify("#1203", "gus@example.com", [("Mug", "", HUGE, "5.00")], **placed)
    bad_date[0]["Created at"] = "yesterday"
    bad_currency[0]["Created at"] = placed["Created at"]
    no_name = {"Email": "hal@example.com", "Lineitem name": "Mug", "Lineitem quantity": "1"}
    out = run(write(tmp_path, SHOPIFY_HEADER, [*bad_currency, *bad_date, *huge, no_name]))
    assert out.splitlines()[1:] == [
        "  line 2 (order #1201): Currency: XYZ is not a currency this shop accepts",
        "  line 3 (order #1202): Created at: must be an ISO 8601 date and time such as 2026-03-01T10:15:00+01:00",
        "  line 4 (order #1203): Lineitem quantity: must be at most 1,000,000",
        "  line 5: Name: is required",
    ]


def test_a_header_of_no_known_layout_names_the_columns_expected(tmp_path):
    with pytest.raises(CommandError) as raised:
        run(write(tmp_path, ["Order", "Email", "Lineitem name"], []))
    message = str(raised.value)
    assert message.startswith("The CSV file lacks the columns id, placed_at, currency, line_name, line_quantity")
    assert "Shopify's orders export: Name, Email, Created at, Currency, Total, Lineitem name" in message
    assert "(Default - One Row per Item): order_id, date, billing_email, order_currency" in message


def woo(order_id: str, lines: list[tuple[str, str, str, str]], **order: str) -> list[dict[str, str]]:
    """The rows the extension writes for one order: every row repeats the order's columns."""
    return [
        {
            "order_id": order_id,
            **order,
            "item_name": name,
            "item_sku": sku,
            "item_quantity": quantity,
            "item_subtotal": subtotal,
        }
        for name, sku, quantity, subtotal in lines
    ]


WOO_ROWS = [
    *woo(
        "801",
        [("Mug", "MUG-1", "3", "10.00"), ("Tea towel &amp; cloth", "", "1", "6.50")],
        date="2026-07-01 10:00:00",
        status="completed",
        order_currency="GBP",
        shipping_total="4.95",
        tax_total="0.00",
        discount_total="2.00",
        order_total="19.45",
        billing_first_name="Ann",
        billing_last_name="Lee",
        billing_email="ann@example.com",
        billing_phone="'+44 20 7183 8750",
        billing_address_1="1 High St",
        billing_city="York",
        billing_postcode="YO1 7HH",
        billing_country="GB",
    ),
    # An apostrophe that is part of the name, not the extension's guard, stays.
    *woo(
        "802",
        [("Teapot", "TP-1", "1", "30.00")],
        date="2026-07-02 10:00:00",
        status="cancelled",
        order_currency="GBP",
        order_total="30.00",
        billing_email="bob@example.com",
        billing_first_name="Bob",
        billing_last_name="'t Hart",
    ),
    *woo(
        "803",
        [("Mug", "", "1", "5.00"), ("Spoon", "", "1.5", "1.50")],
        date="2026-07-03 10:00:00",
        status="processing",
        order_currency="GBP",
        order_total="6.50",
        billing_email="cy@example.com",
    ),
]


def test_woocommerces_export_is_read_by_its_header(tmp_path, settings):
    settings.WOOCOMMERCE_TIME_ZONE = "Europe/London"
    out = run(write(tmp_path, WOO_HEADER, WOO_ROWS))
    assert out.splitlines() == [
        "Created 2 orders (2 new contacts, 0 updated), 0 already imported, skipped 1:",
        "  line 6 (order 803): item_quantity: must be a whole number of at least 1",
    ]
    order = Order.objects.get(shop_order_id="woocommerce:801")
    assert (order.shop_name, order.status) == ("#801", OrderStatus.FULFILLED)
    # The shop's local time, British Summer Time in July.
    assert order.placed_at == datetime(2026, 7, 1, 9, tzinfo=UTC)
    # A unit price from the line's subtotal (10.00 for 3), rounded up; the cent over is counted as discount.
    assert [(line.name, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("Mug", 3, Decimal("3.34")),
        ("Tea towel & cloth", 1, Decimal("6.50")),
    ]
    assert (order.shipping, order.discount, order.total) == (Decimal("4.95"), Decimal("2.02"), Decimal("19.45"))
    # No shipping address: the billing one; the phone without the apostrophe guarding it from spreadsheets.
    assert (order.city, order.postal_code, order.buyer_phone) == ("York", "YO1 7HH", "+442071838750")
    cancelled = Order.objects.get(shop_order_id="woocommerce:802")
    assert (cancelled.status, cancelled.buyer_last_name) == (OrderStatus.CANCELLED, "'t Hart")
    assert run(write(tmp_path, WOO_HEADER, WOO_ROWS)).startswith("Created 0 orders (0 new contacts, 0 updated), 2")


def test_the_export_and_the_webhook_store_woocommerces_sample_as_one_order(tmp_path, client, settings):
    """WooCommerce's published order 727 as the extension writes it: the webhook's delivery of it is a replay."""
    settings.WOOCOMMERCE_WEBHOOK_SECRET = "woocommerce-webhook-secret-0123456789"
    # The sample's shop is three hours behind UTC (date_created 16:28, date_created_gmt 19:28).
    settings.WOOCOMMERCE_TIME_ZONE = "America/Sao_Paulo"
    address = {
        "first_name": "John",
        "last_name": "Doe",
        "address_1": "969 Market",
        "city": "San Francisco",
        "state": "CA",
        "postcode": "94103",
        "country": "US",
    }
    rows = woo(
        "727",
        [
            ("Woo Single #1", "", "2", "6.00"),
            ("Ship Your Idea &ndash; Color: Black, Size: M Test", "Bar3", "1", "12.00"),
        ],
        date="2017-03-22 16:28:02",
        status="processing",
        order_currency="USD",
        shipping_total="10.00",
        tax_total="1.35",
        discount_total="0.00",
        order_total="29.35",
        billing_email="john.doe@example.com",
        billing_phone="(555) 555-5555",
        **{f"{part}_{name}": value for part in ("billing", "shipping") for name, value in address.items()},
    )
    run(write(tmp_path, WOO_HEADER, rows))
    response = post_woo(client, woo_order())
    assert (response.status_code, response.json()["created"]) == (200, False)
    assert not OrderConflict.objects.exists()
    assert Order.objects.get().shop_order_id == "woocommerce:727"
