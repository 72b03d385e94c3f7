"""POST /hooks/shopify/ and /hooks/woocommerce/ with the shops' own published samples, signed as the shops sign them."""

import base64
import copy
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import OperationalError, connection, connections
from django.test import Client
from django.urls import reverse

from customers.models import (
    Activity,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    Source,
    Stage,
    SuggestedUpdate,
)
from orders.models import Order, OrderConflict, OrderLine, OrderStatus, ShopDelivery
from orders.shops import shopify_order_key
from orders.webhooks import MAX_BODY_BYTES
from tests.factories import ContactFactory
from tests.naughty import NAUGHTY_STRINGS

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shops"
SHOPIFY_SECRET = "shopify-app-secret-0123456789"
WOO_SECRET = "woocommerce-webhook-secret-0123456789"
SHOP = "acme.myshopify.com"
SHOPIFY_URL = "/hooks/shopify/"
WOO_URL = "/hooks/woocommerce/"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.SHOPIFY_WEBHOOK_SECRET = SHOPIFY_SECRET
    settings.SHOPIFY_SHOP_DOMAINS = [SHOP, "other.myshopify.com"]
    settings.WOOCOMMERCE_WEBHOOK_SECRET = WOO_SECRET


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def shopify_order(**changes) -> dict:
    """Shopify's published order, as a webhook sends it (bare, not wrapped in "order"), with changes."""
    order = copy.deepcopy(fixture("shopify-order.json")["order"])
    order.update(changes)
    return order


def two_line_shopify_order(**changes) -> dict:
    """The sample with the lines its subtotal (398.00) is made of: the first two."""
    order = shopify_order(**changes)
    del order["line_items"][2]
    return order


def woo_order(**changes) -> dict:
    order = copy.deepcopy(fixture("woocommerce-order.json"))
    order.update(changes)
    return order


def signature(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


_deliveries = iter(range(1, 1_000_000))


def post_shopify(
    client, body, *, topic="orders/create", shop=SHOP, sign: str | None = "sign", webhook_id=None, **headers
):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Shop-Domain": shop,
        "X-Shopify-Webhook-Id": webhook_id or f"b54557e4-bdd9-4b37-8a5f-{next(_deliveries):012d}",
        "X-Shopify-API-Version": "2025-10",
        **headers,
    }
    if sign == "sign":
        sign = signature(raw, SHOPIFY_SECRET)
    if sign is not None:
        headers["X-Shopify-Hmac-Sha256"] = sign
    return client.post(SHOPIFY_URL, data=raw, content_type="application/json", headers=headers)


def post_woo(client, body, *, topic="order.created", sign: str | None = "sign", delivery_id=None, **headers):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {
        "X-WC-Webhook-Source": "https://shop.example.com/",
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".")[0],
        "X-WC-Webhook-Event": topic.split(".")[-1],
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": delivery_id or f"{next(_deliveries)}",
        **headers,
    }
    if sign == "sign":
        sign = signature(raw, WOO_SECRET)
    if sign is not None:
        headers["X-WC-Webhook-Signature"] = sign
    return client.post(WOO_URL, data=raw, content_type="application/json", headers=headers)


def assert_nothing_written():
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not Contact.objects.exists()
    assert not Activity.objects.exists()
    assert not ShopDelivery.objects.exists()


def test_the_urls_are_named():
    assert reverse("shopify_webhook") == SHOPIFY_URL
    assert reverse("woocommerce_webhook") == WOO_URL


# --- Shopify -----------------------------------------------------------------------------------------------


def test_shopifys_published_order_creates_its_customer_and_order(client):
    response = post_shopify(client, shopify_order())
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    contact = Contact.objects.get()
    assert response.json() == {"order": order.pk, "contact": contact.pk, "created": True, "status": "placed"}
    assert order.shop_order_id == "shopify:acme:450789469" == shopify_order_key(shop_domain=SHOP, order_id=450789469)
    assert order.number == "#1001"
    assert (order.buyer_email, order.currency, order.status) == ("bob.norman@hostmail.com", "USD", "placed")
    # The sample lists three lines of 199.00 under a 398.00 subtotal: what the shop charged is kept, and the
    # 199.00 the lines do not explain is shown as discount.
    assert (order.subtotal, order.shipping, order.tax, order.discount, order.total) == (
        Decimal("597.00"),
        Decimal("0.00"),
        Decimal("11.94"),
        Decimal("199.00"),
        Decimal("409.94"),
    )
    assert order.placed_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)
    assert [(line.name, line.sku, line.quantity, line.unit_price) for line in order.lines.all()] == [
        ("IPod Nano - 8gb - green", "IPOD2008GREEN", 1, Decimal("199.00")),
        ("IPod Nano - 8gb - red", "IPOD2008RED", 1, Decimal("199.00")),
        ("IPod Nano - 8gb - black", "IPOD2008BLACK", 1, Decimal("199.00")),
    ]
    assert (contact.email, contact.first_name, contact.last_name) == ("bob.norman@hostmail.com", "Bob", "Norman")
    assert (contact.stage, contact.source) == (Stage.CUSTOMER, Source.ORDER)
    assert (contact.address_line1, contact.city, contact.region, contact.postal_code, contact.country) == (
        "Chestnut Street 92",
        "Louisville",
        "Kentucky",
        "40202",
        "US",
    )
    assert (contact.orders_count, contact.total_spent) == (1, Decimal("409.94"))
    # buyer_accepts_marketing is false in the sample: no consent is recorded.
    assert not ConsentRecord.objects.exists()
    delivery = ShopDelivery.objects.get()
    assert (delivery.connector, delivery.topic, delivery.shop, delivery.order) == (
        "shopify",
        "orders/create",
        SHOP,
        order,
    )


def test_the_sample_as_published_wrapped_in_order_is_read_too(client):
    response = post_shopify(client, fixture("shopify-order.json"))
    assert response.status_code == 200
    assert Order.objects.get().number == "#1001"


@pytest.mark.parametrize(
    ("sign", "shop", "expected"),
    [
        (None, SHOP, "The X-Shopify-Hmac-Sha256 header is missing"),
        ("bm90IHRoZSBzaWduYXR1cmU=", SHOP, "The X-Shopify-Hmac-Sha256 signature does not match the body"),
        ("sïgnature", SHOP, "The X-Shopify-Hmac-Sha256 signature does not match the body"),
        ("sign", "stranger.myshopify.com", "This shop is not connected (SHOPIFY_SHOP_DOMAINS)"),
        ("sign", "", "This shop is not connected (SHOPIFY_SHOP_DOMAINS)"),
    ],
)
def test_an_unsigned_or_foreign_delivery_is_refused_with_401(client, sign, shop, expected):
    response = post_shopify(client, shopify_order(), sign=sign, shop=shop)
    assert response.status_code == 401
    assert response.json() == {"error": expected}
    assert response["WWW-Authenticate"] == 'HMAC-SHA256 header="X-Shopify-Hmac-Sha256"'
    assert_nothing_written()


def test_a_body_signed_with_another_secret_is_refused(client):
    raw = json.dumps(shopify_order()).encode()
    response = post_shopify(client, raw, sign=signature(raw, "another-secret"))
    assert response.status_code == 401
    assert_nothing_written()


def test_without_a_secret_every_shopify_delivery_is_refused_with_503(client, settings):
    settings.SHOPIFY_WEBHOOK_SECRET = ""
    response = post_shopify(client, shopify_order(), sign=signature(json.dumps(shopify_order()).encode(), ""))
    assert response.status_code == 503
    assert response.json() == {"error": "This webhook is not configured"}
    assert_nothing_written()


def test_only_post_is_allowed(client):
    response = client.get(SHOPIFY_URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert client.get(WOO_URL).status_code == 405


def test_a_body_over_the_limit_is_refused_with_413(client):
    raw = b" " * (MAX_BODY_BYTES + 1)
    assert post_shopify(client, raw).status_code == 413
    assert post_woo(client, raw).status_code == 413
    assert_nothing_written()


def test_a_redelivery_is_answered_200_and_changes_nothing(client):
    first = post_shopify(client, shopify_order(), webhook_id="delivery-1")
    again = post_shopify(client, shopify_order(total_price="1.00"), webhook_id="delivery-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == {"duplicate": "Delivery delivery-1 was received before"}
    assert Order.objects.get().total == Decimal("409.94")
    assert ShopDelivery.objects.count() == 1
    assert not OrderConflict.objects.exists()


def test_the_same_order_from_two_shops_is_two_orders(client):
    post_shopify(client, shopify_order())
    post_shopify(client, shopify_order(), shop="other.myshopify.com")
    assert sorted(Order.objects.values_list("shop_order_id", flat=True)) == [
        "shopify:acme:450789469",
        "shopify:other:450789469",
    ]
    assert Contact.objects.get().orders_count == 2


def test_the_same_order_updated_with_the_same_content_changes_nothing(client):
    post_shopify(client, shopify_order())
    response = post_shopify(client, shopify_order(updated_at="2008-01-11T09:00:00-05:00"), topic="orders/updated")
    assert response.status_code == 200
    assert response.json()["created"] is False
    assert Order.objects.count() == 1
    assert Contact.objects.get().orders_count == 1
    assert not OrderConflict.objects.exists()


def test_an_update_with_other_content_keeps_the_first_and_records_the_difference(client):
    post_shopify(client, shopify_order())
    response = post_shopify(client, shopify_order(total_tax="12.94", total_price="410.94"), topic="orders/updated")
    assert response.status_code == 200
    assert {"field": "tax", "stored": "11.94", "received": "12.94"} in response.json()["differences"]
    assert Order.objects.get().total == Decimal("409.94")
    assert OrderConflict.objects.count() == 1


def test_paid_then_cancelled_move_the_order_and_cancelling_uncounts_it(client):
    post_shopify(client, shopify_order())
    paid = post_shopify(client, shopify_order(financial_status="paid"), topic="orders/paid")
    assert paid.json()["status"] == "paid"
    assert Order.objects.get().status == OrderStatus.PAID
    cancelled = post_shopify(
        client,
        shopify_order(financial_status="voided", cancelled_at="2008-01-11T10:00:00-05:00", cancel_reason="customer"),
        topic="orders/cancelled",
    )
    assert cancelled.json()["status"] == "cancelled"
    contact = Contact.objects.get()
    assert (contact.orders_count, contact.total_spent, contact.last_order_at) == (0, Decimal("0.00"), None)
    assert list(
        Activity.objects.filter(event="order_status_changed").order_by("pk").values_list("body", flat=True)
    ) == ["Order #1001 paid", "Order #1001 cancelled"]
    # Shops deliver out of order: a late "paid" does not bring a cancelled order back.
    post_shopify(client, shopify_order(financial_status="paid"), topic="orders/paid")
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Contact.objects.get().orders_count == 0


def test_an_order_first_seen_cancelled_is_stored_but_not_counted(client):
    post_shopify(client, shopify_order(cancelled_at="2008-01-11T10:00:00-05:00"), topic="orders/cancelled")
    order = Order.objects.get()
    assert order.status == OrderStatus.CANCELLED
    assert Contact.objects.get().orders_count == 0


def test_a_known_lead_is_promoted_and_its_details_synced(client):
    lead = ContactFactory(email="Bob.Norman@hostmail.com", first_name="Robert", stage=Stage.LEAD)
    post_shopify(client, shopify_order())
    lead.refresh_from_db()
    assert (lead.stage, lead.first_name, lead.city) == (Stage.CUSTOMER, "Bob", "Louisville")
    assert Contact.objects.count() == 1


def test_a_locked_contact_keeps_its_details_and_gets_suggestions(client):
    contact = ContactFactory(email="bob.norman@hostmail.com", first_name="Robert", details_locked=True)
    post_shopify(client, shopify_order())
    contact.refresh_from_db()
    assert contact.first_name == "Robert"
    assert SuggestedUpdate.objects.filter(contact=contact, field="first_name", value="Bob").exists()


def test_consent_given_at_checkout_is_recorded_with_shopifys_date(client):
    order = shopify_order()
    order["customer"]["email_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "single_opt_in",
        "consent_updated_at": "2008-01-09T08:30:00-05:00",
    }
    post_shopify(client, order)
    record = ConsentRecord.objects.get()
    assert (record.state, record.source) == (ConsentState.SUBSCRIBED, ConsentSource.CHECKOUT)
    assert record.given_at == datetime(2008, 1, 9, 13, 30, tzinfo=UTC)
    assert Contact.objects.get().marketing_consent == ConsentState.SUBSCRIBED


def test_the_older_buyer_accepts_marketing_is_recorded_at_the_orders_date(client):
    post_shopify(client, shopify_order(buyer_accepts_marketing=True))
    assert ConsentRecord.objects.get().given_at == datetime(2008, 1, 10, 16, 0, tzinfo=UTC)


def test_a_discount_is_taken_off_the_total(client):
    response = post_shopify(
        client, two_line_shopify_order(total_discounts="10.00", subtotal_price="388.00", total_price="399.94")
    )
    assert response.status_code == 200
    order = Order.objects.get()
    assert (order.discount, order.total) == (Decimal("10.00"), Decimal("399.94"))
    assert Contact.objects.get().total_spent == Decimal("399.94")


def test_prices_including_tax_are_not_taxed_twice(client):
    order = two_line_shopify_order(taxes_included=True, total_price="398.00", total_tax="60.00")
    response = post_shopify(client, order)
    assert response.status_code == 200
    stored = Order.objects.get()
    assert (stored.tax, stored.discount, stored.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("398.00"))


def test_charges_the_lines_do_not_explain_are_counted_with_shipping(client):
    # A tip of 5.00: the shop's total is more than its parts.
    response = post_shopify(client, two_line_shopify_order(total_price="414.94", total_tip_received="5.00"))
    assert response.status_code == 200
    stored = Order.objects.get()
    assert (stored.shipping, stored.discount, stored.total) == (Decimal("5.00"), Decimal("0.00"), Decimal("414.94"))


def test_an_unusable_phone_is_kept_on_the_order_and_the_order_stored(client):
    order = shopify_order(phone="call me maybe")
    response = post_shopify(client, order)
    assert response.status_code == 200
    stored = Order.objects.get()
    assert [detail["value"] for detail in stored.buyer_unread] == ["call me maybe"]
    assert Activity.objects.filter(event="order_details_unread").exists()


@pytest.mark.parametrize(
    ("body", "field", "error"),
    [
        (b"{not json", None, "not valid JSON: Expecting property name enclosed in double quotes at column 2"),
        (b"\xff\xfe", None, "The body is not UTF-8 text"),
        (json.dumps([1]).encode(), None, "the order must be a JSON object"),
        ("no line_items", "line_items", "line_items: is required"),
        ("bad quantity", "line_items[1].quantity", "line_items[1].quantity: must be a whole number of at least 1"),
        ("no email", "email", "email: is required"),
        ("total not an amount", "total_price", 'total_price: must be an amount such as "14.50"'),
        ("no id", "id", "id: is required"),
    ],
)
def test_a_body_that_cannot_be_an_order_is_refused_with_400_naming_shopifys_field(client, body, field, error):
    if isinstance(body, str):
        order = shopify_order()
        if body == "no line_items":
            del order["line_items"]
        elif body == "bad quantity":
            order["line_items"][1]["quantity"] = 0
        elif body == "no email":
            order["email"] = ""
            order["customer"]["email"] = None
        elif body == "total not an amount":
            order["total_price"] = "a lot"
        elif body == "no id":
            del order["id"]
        body = order
    response = post_shopify(client, body)
    assert response.status_code == 400
    assert response.json() == {"error": error} | ({"field": field} if field else {})
    assert_nothing_written()


def test_a_refused_delivery_is_not_remembered_so_its_retry_is_acted_on(client):
    order = shopify_order()
    order["line_items"][0]["quantity"] = 0
    assert post_shopify(client, order, webhook_id="same").status_code == 400
    assert post_shopify(client, shopify_order(), webhook_id="same").status_code == 200
    assert Order.objects.count() == 1


def test_a_missing_webhook_id_is_refused_with_400(client):
    response = post_shopify(client, shopify_order(), webhook_id=" ")
    assert response.status_code == 400
    assert response.json() == {"error": "The X-Shopify-Webhook-Id header is missing"}
    assert_nothing_written()


@pytest.mark.parametrize("topic", ["products/create", "orders/delete", "app/uninstalled", ""])
def test_a_topic_not_acted_on_is_answered_200_and_ignored(client, topic):
    response = post_shopify(client, shopify_order(), topic=topic)
    assert response.status_code == 200
    assert "ignored" in response.json()
    assert_nothing_written()


def test_a_database_busy_is_answered_503_and_nothing_kept(client, monkeypatch):
    def busy(**kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr("orders.shops.hooks.order_sync_placed", busy)
    response = post_shopify(client, shopify_order(), webhook_id="busy")
    assert response.status_code == 503
    assert not ShopDelivery.objects.exists()


def test_a_new_shopify_customer_is_a_lead_with_its_details(client):
    response = post_shopify(client, fixture("shopify-customer.json"), topic="customers/create")
    assert response.status_code == 200
    contact = Contact.objects.get()
    assert response.json() == {"contact": contact.pk}
    assert (contact.email, contact.first_name, contact.last_name, contact.city) == (
        "bob.norman@hostmail.com",
        "Bob",
        "Norman",
        "Louisville",
    )
    assert (contact.stage, contact.source) == (Stage.LEAD, Source.SHOP)
    assert not ConsentRecord.objects.exists()


def test_a_customer_update_with_changed_consent_appends_a_record_with_shopifys_date(client):
    customer = fixture("shopify-customer.json")["customer"]
    customer["email_marketing_consent"] = {
        "state": "subscribed",
        "opt_in_level": "confirmed_opt_in",
        "consent_updated_at": "2015-05-28T10:00:00-04:00",
    }
    post_shopify(client, shopify_order())
    post_shopify(client, customer, topic="customers/update")
    record = ConsentRecord.objects.get()
    assert (record.state, record.source, record.opt_in_level) == ("subscribed", "shop", "confirmed")
    assert record.given_at == datetime(2015, 5, 28, 14, 0, tzinfo=UTC)
    # The same consent again (another update of the account) adds nothing.
    post_shopify(client, customer, topic="customers/update")
    assert ConsentRecord.objects.count() == 1
    customer["email_marketing_consent"] = {
        "state": "unsubscribed",
        "opt_in_level": "confirmed_opt_in",
        "consent_updated_at": "2016-01-01T00:00:00Z",
    }
    post_shopify(client, customer, topic="customers/update")
    assert Contact.objects.get().marketing_consent == ConsentState.UNSUBSCRIBED
    assert Contact.objects.get().stage == Stage.CUSTOMER


def test_a_customer_without_email_is_refused_with_400(client):
    customer = fixture("shopify-customer.json")["customer"]
    customer["email"] = None
    response = post_shopify(client, customer, topic="customers/update")
    assert response.status_code == 400
    assert response.json() == {"error": "email: is required", "field": "email"}
    assert_nothing_written()


# --- WooCommerce -------------------------------------------------------------------------------------------


def test_woocommerces_published_order_creates_its_customer_and_order(client):
    response = post_woo(client, woo_order())
    assert response.status_code == 200, response.content
    order = Order.objects.get()
    contact = Contact.objects.get()
    assert response.json() == {"order": order.pk, "contact": contact.pk, "created": True, "status": "paid"}
    assert (order.shop_order_id, order.number, order.status) == ("woocommerce:727", "#727", OrderStatus.PAID)
    assert order.placed_at == datetime(2017, 3, 22, 19, 28, 2, tzinfo=UTC)
    assert [(line.name, line.sku, line.quantity, line.unit_price, line.total) for line in order.lines.all()] == [
        ("Woo Single #1", "", 2, Decimal("3.00"), Decimal("6.00")),
        ("Ship Your Idea – Color: Black, Size: M Test", "Bar3", 1, Decimal("12.00"), Decimal("12.00")),
    ]
    assert (order.subtotal, order.shipping, order.tax, order.discount, order.total) == (
        Decimal("18.00"),
        Decimal("10.00"),
        Decimal("1.35"),
        Decimal("0.00"),
        Decimal("29.35"),
    )
    assert (contact.email, contact.first_name, contact.last_name, contact.city, contact.country) == (
        "john.doe@example.com",
        "John",
        "Doe",
        "San Francisco",
        "US",
    )
    assert contact.stage == Stage.CUSTOMER
    assert ShopDelivery.objects.get().shop == "https://shop.example.com/"


def test_woocommerces_ping_is_answered_200_and_writes_nothing(client):
    response = client.post(WOO_URL, data=b"webhook_id=12", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert response.json() == {"ping": "received"}
    assert_nothing_written()


@pytest.mark.parametrize(
    ("sign", "expected"),
    [
        (None, "The X-WC-Webhook-Signature header is missing"),
        ("bm90IHRoZSBzaWduYXR1cmU=", "The X-WC-Webhook-Signature signature does not match the body"),
    ],
)
def test_an_unsigned_woocommerce_order_is_refused_with_401(client, sign, expected):
    response = post_woo(client, woo_order(), sign=sign)
    assert response.status_code == 401
    assert response.json() == {"error": expected}
    assert_nothing_written()


def test_an_unsigned_ping_with_more_in_it_is_no_ping(client):
    response = client.post(
        WOO_URL, data=b"webhook_id=12&email=a@b.example", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 401


def test_without_a_secret_every_woocommerce_delivery_is_refused_with_503(client, settings):
    settings.WOOCOMMERCE_WEBHOOK_SECRET = ""
    assert post_woo(client, woo_order(), sign="x").status_code == 503
    assert_nothing_written()


def test_a_woocommerce_redelivery_is_answered_200_and_changes_nothing(client):
    post_woo(client, woo_order(), delivery_id="77")
    again = post_woo(client, woo_order(), delivery_id="77")
    assert again.status_code == 200
    assert again.json() == {"duplicate": "Delivery 77 was received before"}
    assert Order.objects.count() == ShopDelivery.objects.count() == 1


def test_an_updated_woocommerce_order_moves_its_status(client):
    post_woo(client, woo_order())
    response = post_woo(client, woo_order(status="completed"), topic="order.updated")
    assert response.json()["status"] == "fulfilled"
    post_woo(client, woo_order(status="refunded"), topic="order.updated")
    assert Order.objects.get().status == OrderStatus.CANCELLED
    assert Contact.objects.get().orders_count == 0


def test_a_woocommerce_topic_not_acted_on_is_ignored(client):
    response = post_woo(client, {"id": 93, "name": "Woo Single #1"}, topic="product.created")
    assert response.status_code == 200
    assert "ignored" in response.json()
    assert_nothing_written()


def test_a_line_price_that_is_not_whole_cents_keeps_the_shops_total(client):
    order = woo_order()
    order["line_items"] = [dict(order["line_items"][0], quantity=3, subtotal="10.00", total="10.00")]
    order.update(total="21.35")
    response = post_woo(client, order)
    assert response.status_code == 200, response.content
    stored = Order.objects.get()
    line = stored.lines.get()
    assert (line.quantity, line.unit_price) == (3, Decimal("3.34"))
    assert (stored.discount, stored.total) == (Decimal("0.02"), Decimal("21.35"))


def test_a_coupon_and_a_fee_add_up_to_woocommerces_total(client):
    order = woo_order(discount_total="5.00", total="29.35")
    order["line_items"][1]["total"] = "7.00"
    order["fee_lines"] = [{"id": 1, "name": "Gift wrap", "total": "5.00", "total_tax": "0.00"}]
    response = post_woo(client, order)
    assert response.status_code == 200, response.content
    stored = Order.objects.get()
    assert (stored.shipping, stored.discount, stored.total) == (Decimal("15.00"), Decimal("5.00"), Decimal("29.35"))


@pytest.mark.parametrize(
    ("change", "field", "error"),
    [
        ({"total": "29,35"}, "total", 'total: must be an amount such as "14.50"'),
        ({"billing": {"first_name": "John"}}, "billing.email", "billing.email: is required"),
        ({"line_items": []}, "line_items", "line_items: must have at least one line"),
        ({"currency": "XXX"}, "currency", "currency: XXX is not a currency this shop accepts"),
        ({"shipping_total": "ten"}, "shipping_total", 'shipping_total: must be an amount such as "14.50"'),
    ],
)
def test_a_woocommerce_order_that_cannot_be_used_is_refused_with_400(client, change, field, error):
    response = post_woo(client, woo_order(**change))
    assert response.status_code == 400
    assert response.json() == {"error": error, "field": field}
    assert_nothing_written()


# --- Two connections at once (PostgreSQL) --------------------------------------------------------------------

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_one_delivery_arriving_twice_at_once_is_acted_on_once():
    raw = json.dumps(shopify_order()).encode()
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver():
        try:
            barrier.wait(timeout=30)
            statuses.append(post_shopify(Client(), raw, webhook_id="twice").status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200, 200]
    assert Order.objects.count() == ShopDelivery.objects.count() == 1
    assert Contact.objects.get().orders_count == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_order_and_its_customer_account_at_once_make_one_contact():
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def deliver(body, topic):
        try:
            barrier.wait(timeout=30)
            statuses.append(post_shopify(Client(), body, topic=topic).status_code)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=deliver, args=(shopify_order(), "orders/create")),
        threading.Thread(target=deliver, args=(fixture("shopify-customer.json"), "customers/create")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200, 200]
    contact = Contact.objects.get()
    assert (contact.stage, contact.orders_count) == (Stage.CUSTOMER, 1)


# --- Naughty strings in every field the translators read --------------------------------------------------

SHOPIFY_PATHS = [
    "id",
    "name",
    "email",
    "created_at",
    "processed_at",
    "currency",
    "financial_status",
    "fulfillment_status",
    "cancelled_at",
    "phone",
    "total_price",
    "total_tax",
    "total_discounts",
    "customer.first_name",
    "customer.last_name",
    "customer.email_marketing_consent.state",
    "customer.email_marketing_consent.consent_updated_at",
    "shipping_address.address1",
    "shipping_address.city",
    "shipping_address.zip",
    "shipping_address.country_code",
    "shipping_lines.0.price",
    "line_items.0.name",
    "line_items.0.sku",
    "line_items.0.price",
    "line_items.0.quantity",
]
WOO_PATHS = [
    "id",
    "number",
    "status",
    "currency",
    "date_created_gmt",
    "billing.email",
    "billing.first_name",
    "billing.phone",
    "shipping.address_1",
    "shipping.postcode",
    "shipping.country",
    "line_items.0.name",
    "line_items.0.subtotal",
    "line_items.0.quantity",
    "shipping_total",
    "discount_total",
    "total_tax",
    "total",
]


def with_value(order: dict, path: str, value) -> dict:
    order = copy.deepcopy(order)
    *parents, last = [int(part) if part.isdigit() else part for part in path.split(".")]
    target = order
    for key in parents:
        target = target.setdefault(key, {}) if isinstance(target, dict) else target[key]
    target[last] = value
    return order


def assert_answered_without_harm(response, counts_before):
    assert response.status_code in {200, 400}, response.content
    if response.status_code == 400:
        assert "error" in response.json()
        assert (Order.objects.count(), Contact.objects.count(), ShopDelivery.objects.count()) == counts_before


@pytest.mark.parametrize("path", SHOPIFY_PATHS)
def test_naughty_strings_in_a_shopify_order_get_a_200_or_a_400_naming_a_field(client, path):
    sample = shopify_order()
    sample["customer"]["email_marketing_consent"] = {"state": "subscribed", "consent_updated_at": None}
    for value in [*NAUGHTY_STRINGS, None, 12, -1, True, [], {}, "9" * 5000]:
        before = (Order.objects.count(), Contact.objects.count(), ShopDelivery.objects.count())
        response = post_shopify(client, with_value(sample, path, value), topic="orders/updated")
        assert_answered_without_harm(response, before)


@pytest.mark.parametrize("path", WOO_PATHS)
def test_naughty_strings_in_a_woocommerce_order_get_a_200_or_a_400_naming_a_field(client, path):
    for value in [*NAUGHTY_STRINGS, None, 12, -1, True, [], {}, "9" * 5000]:
        before = (Order.objects.count(), Contact.objects.count(), ShopDelivery.objects.count())
        response = post_woo(client, with_value(woo_order(), path, value), topic="order.updated")
        assert_answered_without_harm(response, before)


@pytest.mark.parametrize("header", ["X-Shopify-Webhook-Id", "X-Shopify-Topic", "X-Shopify-Shop-Domain"])
def test_naughty_strings_in_shopifys_headers_are_answered_without_an_error(client, header):
    for value in NAUGHTY_STRINGS:
        if "\n" in value or "\r" in value:
            continue
        response = post_shopify(client, shopify_order(), **{header: value})
        assert response.status_code in {200, 400, 401}, (value, response.content)


def test_an_unusable_order_name_is_kept_unread_and_the_order_shown_by_its_id(client):
    response = post_shopify(client, shopify_order(name="#" + "1" * 100))
    assert response.status_code == 200
    order = Order.objects.get()
    assert order.number == "#shopify:acme:450789469"
    assert [detail["field"] for detail in order.buyer_unread] == ["name"]


def test_the_daily_chore_forgets_deliveries_older_than_the_setting_and_keeps_their_orders(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from jobs.registry import chores
    from orders.services import shop_deliveries_forget

    settings.SHOP_DELIVERY_DAYS = 30
    post_shopify(client, shopify_order(), webhook_id="old")
    post_shopify(client, shopify_order(), shop="other.myshopify.com", webhook_id="new")
    ShopDelivery.objects.filter(delivery_id="old").update(received_at=timezone.now() - timedelta(days=31))
    assert shop_deliveries_forget() == 1
    assert list(ShopDelivery.objects.values_list("delivery_id", flat=True)) == ["new"]
    assert Order.objects.count() == 2
    assert "forget_shop_deliveries" in {chore.name for chore in chores()}
