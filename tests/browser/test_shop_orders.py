"""Orders from Shopify and WooCommerce delivered over HTTP to the running app, then read by staff on the pages."""

import base64
import hashlib
import hmac
import json
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "shops"


def deliver(url: str, body: dict, secret: str, headers: dict[str, str]) -> dict:
    """POST a body to the live server as the shop does, signed with the shop's base64 HMAC-SHA256."""
    raw = json.dumps(body).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), raw, hashlib.sha256).digest()).decode()
    name = "X-Shopify-Hmac-Sha256" if "X-Shopify-Topic" in headers else "X-WC-Webhook-Signature"
    request = urllib.request.Request(  # noqa: S310 -- the test's own live server
        url, data=raw, method="POST", headers={"Content-Type": "application/json", name: signature, **headers}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- the test's own live server
        assert response.status == 200
        return json.loads(response.read())


def test_a_shopify_order_paid_then_cancelled_shows_on_the_customers_page(live_server, signed_in: Page, settings):
    settings.SHOPIFY_WEBHOOK_SECRET = "shopify-secret"
    settings.SHOPIFY_SHOP_DOMAINS = ["acme.myshopify.com"]
    order = json.loads((FIXTURES / "shopify-order.json").read_text())["order"]
    headers = {"X-Shopify-Shop-Domain": "acme.myshopify.com"}
    url = f"{live_server.url}/hooks/shopify/"
    deliver(url, order, "shopify-secret", {**headers, "X-Shopify-Topic": "orders/create", "X-Shopify-Webhook-Id": "1"})
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="Bob Norman").click()
    expect(page.get_by_role("heading", name="Bob Norman", level=1)).to_be_visible()
    expect(page.get_by_text("Customer", exact=True)).to_be_visible()
    orders = page.get_by_role("region", name="Orders", exact=True)
    expect(orders.get_by_role("link", name="#1001")).to_be_visible()
    expect(page.get_by_role("region", name="Orders summary")).to_contain_text("409.94")

    order["cancelled_at"] = "2008-01-11T10:00:00-05:00"
    deliver(
        url, order, "shopify-secret", {**headers, "X-Shopify-Topic": "orders/cancelled", "X-Shopify-Webhook-Id": "2"}
    )
    page.reload()
    expect(orders).to_contain_text("Cancelled")
    expect(page.get_by_role("region", name="Activity")).to_contain_text("Order #1001 cancelled")
    orders.get_by_role("link", name="#1001").click()
    expect(page.get_by_role("heading", name="Order #1001", level=1)).to_be_visible()
    main = page.get_by_role("main")
    expect(main).to_contain_text("From Shopify (acme.myshopify.com)")
    expect(main).to_contain_text("IPod Nano - 8gb - green")
    expect(main).to_contain_text("Discount")
    expect(main).to_contain_text("199.00")
    expect(main).to_contain_text("409.94")


def test_a_woocommerce_order_shows_with_its_lines(live_server, signed_in: Page, settings):
    settings.WOOCOMMERCE_WEBHOOK_SECRET = "woo-secret"
    order = json.loads((FIXTURES / "woocommerce-order.json").read_text())
    headers = {"X-WC-Webhook-Topic": "order.created", "X-WC-Webhook-Delivery-ID": "1"}
    deliver(f"{live_server.url}/hooks/woocommerce/", order, "woo-secret", headers)
    page = signed_in
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name="John Doe").click()
    page.get_by_role("region", name="Orders", exact=True).get_by_role("link", name="#727").click()
    main = page.get_by_role("main")
    expect(main).to_contain_text("From WooCommerce")
    expect(main).to_contain_text("Ship Your Idea – Color: Black, Size: M Test")
    expect(main).to_contain_text("29.35")
