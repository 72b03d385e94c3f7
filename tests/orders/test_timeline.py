"""A lead's first order on its timeline: one "Became a customer (Order #X)" and one "Order #X placed", on every path."""

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from customers.models import Stage
from orders.models import Order
from tests.factories import ContactFactory
from tests.orders.test_payload import order_payload
from tests.orders.test_webhooks import SECRET, post

pytestmark = pytest.mark.django_db


def by_webhook(lead, tmp_path, settings, staff_client) -> str:
    settings.SHOP_WEBHOOK_SECRET = SECRET
    assert post(Client(), order_payload(id="1001", email=lead.email)).status_code == 201
    return "#1001"


def by_import(lead, tmp_path, settings, staff_client) -> str:
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(order_payload(id="1001", email=lead.email)) + "\n")
    call_command("import_orders", str(path), stdout=io.StringIO())
    return "#1001"


def by_draft(lead, tmp_path, settings, staff_client) -> str:
    data = {
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-name": "Mug",
        "lines-0-quantity": "1",
        "lines-0-unit_price": "9.00",
        "place": "1",
    }
    assert staff_client.post(reverse("orders:draft_create", args=[lead.pk]), data).status_code == 302
    return Order.objects.get().number


@pytest.mark.parametrize("path", [by_webhook, by_import, by_draft], ids=["webhook", "import", "draft marked as placed"])
def test_a_leads_first_order_says_once_that_it_became_a_customer_and_once_that_the_order_was_placed(
    path, tmp_path, settings, staff_client
):
    lead = ContactFactory(email="ann@example.com", stage=Stage.LEAD)
    number = path(lead, tmp_path, settings, staff_client)
    timeline = list(lead.activities.order_by("id").values_list("event", "body"))
    assert [body for event, body in timeline if event == "became_customer"] == [f"Became a customer (Order {number})"]
    assert [body for event, body in timeline if event == "order_placed"] == [f"Order {number} placed"]
    assert sum(f"Order {number} placed" in body for _, body in timeline) == 1
    staff_client.get(lead.get_absolute_url())  # shows, and so clears, any "Order … placed." banner
    page = staff_client.get(lead.get_absolute_url()).content.decode()
    assert page.count(f"Order {number} placed") == 1
    assert page.count(f"Became a customer (Order {number})") == 1
