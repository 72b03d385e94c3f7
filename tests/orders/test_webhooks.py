"""POST /hooks/shop/orders: signed, idempotent, and a 400 naming the field for anything else."""

import hashlib
import hmac
import json

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers.models import Activity, Contact, Stage
from orders.models import Order, OrderConflict, OrderLine
from orders.webhooks import MAX_BODY_BYTES
from tests.factories import ContactFactory
from tests.orders.test_payload import HUGE, REFUSED, changed, order_payload, with_number

pytestmark = pytest.mark.django_db

SECRET = "test-webhook-secret-0123456789"
URL = "/hooks/shop/orders"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.SHOP_WEBHOOK_SECRET = SECRET


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def post(client, body: bytes | dict | list, *, signature: str | None = "sign", **headers):
    """POST a body as the shop does: signed with the secret unless another signature (or None) is given."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if signature == "sign":
        signature = sign(raw)
    if signature is not None:
        headers["X-Shop-Signature"] = signature
    return client.post(URL, data=raw, content_type="application/json", headers=headers)


def assert_nothing_written():
    assert not Order.objects.exists()
    assert not OrderLine.objects.exists()
    assert not Contact.objects.exists()
    assert not Activity.objects.exists()


def test_the_url_is_named():
    assert reverse("shop_order_webhook") == URL


def test_a_signed_order_is_recorded_and_answered_201(client):
    response = post(client, order_payload())
    assert response.status_code == 201
    order = Order.objects.get()
    contact = Contact.objects.get()
    assert response.json() == {"order": order.pk, "contact": contact.pk, "created": True}
    assert (order.shop_order_id, order.total, order.lines.count()) == ("1001", order.subtotal + order.shipping, 2)
    assert (contact.email, contact.stage, contact.city) == ("Ann@Example.com", Stage.CUSTOMER, "York")


def test_an_anonymous_post_without_a_csrf_token_is_accepted():
    """The shop has neither a session nor a CSRF token; the signature is what lets it in."""
    response = post(Client(enforce_csrf_checks=True), order_payload())
    assert response.status_code == 201


def test_a_replay_answers_200_and_writes_nothing_more(client):
    first = post(client, order_payload())
    activities = Activity.objects.count()
    with CaptureQueriesContext(connection) as queries:
        again = post(client, order_payload(email="ann@example.COM", placed_at="2026-03-01T09:15:00Z"))
    assert again.status_code == 200
    assert again.json() == {**first.json(), "created": False}
    assert [query["sql"] for query in queries if query["sql"].startswith(("INSERT", "UPDATE", "DELETE"))] == []
    assert Order.objects.count() == 1
    assert OrderLine.objects.count() == 2
    assert Activity.objects.count() == activities
    assert not OrderConflict.objects.exists()
    assert Contact.objects.get().orders_count == 1


def resent_with_other_content() -> dict:
    """The stored order 1001 again, with another first name, city and second line, so another total."""
    payload = changed("lines.1.quantity", 2)
    payload["customer"]["first_name"] = "Anne"
    payload["shipping_address"]["city"] = "Leeds"
    return {**payload, "total": "45.95"}


def test_an_order_id_re_sent_with_other_content_answers_409_with_the_differences(client):
    first = post(client, order_payload()).json()
    order = Order.objects.get()
    stored = (order.buyer_first_name, order.city, order.total, list(order.lines.values_list("quantity", flat=True)))
    activities = Activity.objects.count()
    response = post(client, resent_with_other_content())
    assert response.status_code == 409
    assert response.json() == {
        "error": "Order 1001 was sent before with different content; the first version is kept",
        "order": first["order"],
        "contact": first["contact"],
        "created": False,
        "differences": [
            {"field": "customer.first_name", "stored": "Ann", "received": "Anne"},
            {"field": "shipping_address.city", "stored": "York", "received": "Leeds"},
            {"field": "lines[1].quantity", "stored": 1, "received": 2},
            {"field": "total", "stored": "39.45", "received": "45.95"},
        ],
    }
    order.refresh_from_db()
    assert (order.buyer_first_name, order.city, order.total, list(order.lines.values_list("quantity", flat=True))) == (
        stored
    )
    assert Contact.objects.get().first_name == "Ann"
    assert Activity.objects.count() == activities
    assert OrderConflict.objects.get().source == "webhook"


def test_the_same_conflicting_delivery_again_is_counted_not_added(client):
    post(client, order_payload())
    for _ in range(3):
        assert post(client, resent_with_other_content()).status_code == 409
    assert OrderConflict.objects.get().deliveries == 3


def test_the_order_page_shows_staff_that_a_later_delivery_differed(client, staff_user):
    post(client, order_payload())
    post(client, resent_with_other_content())
    post(client, resent_with_other_content())
    client.force_login(staff_user)
    response = client.get(Order.objects.get().get_absolute_url())
    assert response.status_code == 200
    html = " ".join(response.content.decode().split())
    assert "A later delivery of this order differed; the first version is kept" in html
    assert "Received through the webhook on " in html
    assert ", 2 times, the last on " in html
    assert '<th scope="col">Kept (first version)</th><th scope="col">Received later</th>' in html
    assert '<tr><th scope="row"><code>total</code></th><td>39.45</td><td>45.95</td></tr>' in html
    assert '<tr><th scope="row"><code>customer.first_name</code></th><td>Ann</td><td>Anne</td></tr>' in html


def test_the_order_page_says_nothing_of_deliveries_when_none_differed(client, staff_user):
    post(client, order_payload())
    post(client, order_payload())
    client.force_login(staff_user)
    response = client.get(Order.objects.get().get_absolute_url())
    assert "A later delivery" not in response.content.decode()


def test_orders_for_case_variants_of_an_email_go_to_one_contact(client):
    post(client, order_payload(id="1", email="Ann@X.com"))
    post(client, order_payload(id="2", email="ann@x.com "))
    contact = Contact.objects.get()
    assert contact.orders_count == 2
    assert Order.objects.filter(contact=contact).count() == 2


def test_a_missing_signature_is_refused_with_401(client):
    response = post(client, order_payload(), signature=None)
    assert response.status_code == 401
    assert response.json() == {"error": "The X-Shop-Signature header is missing"}
    assert "WWW-Authenticate" in response.headers
    assert_nothing_written()


@pytest.mark.parametrize(
    "signature",
    [
        sign(json.dumps(order_payload()).encode(), secret="another-secret"),
        sign(json.dumps(order_payload(total="0.01")).encode()),  # signed for another body
        sign(json.dumps(order_payload()).encode()).removeprefix("sha256="),
        "sha1=" + hmac.new(SECRET.encode(), json.dumps(order_payload()).encode(), hashlib.sha1).hexdigest(),
        "sha256=",
        "sha256=ünïcode",
    ],
    ids=["other secret", "other body", "no prefix", "sha1", "empty", "non-ascii"],
)
def test_a_bad_signature_is_refused_with_401(client, signature):
    response = post(client, order_payload(), signature=signature)
    assert response.status_code == 401
    assert response.json() == {"error": "The X-Shop-Signature signature does not match the body"}
    assert_nothing_written()


def test_the_signature_is_checked_before_the_body_is_read_as_json(client):
    response = post(client, b"{not json", signature=sign(b"{not json", secret="wrong"))
    assert response.status_code == 401


def test_a_signature_in_upper_case_hex_is_accepted(client):
    raw = json.dumps(order_payload()).encode()
    response = post(client, raw, signature="sha256=" + sign(raw).removeprefix("sha256=").upper())
    assert response.status_code == 201


def test_without_a_secret_every_delivery_is_refused_with_503(client, settings):
    """An empty secret would let anyone sign; it is the server's misconfiguration, so 503 and the shop retries."""
    settings.SHOP_WEBHOOK_SECRET = ""
    response = post(
        client, json.dumps(order_payload()).encode(), signature=sign(json.dumps(order_payload()).encode(), "")
    )
    assert response.status_code == 503
    assert response.json() == {"error": "This webhook is not configured"}
    assert_nothing_written()


@pytest.mark.parametrize("method", ["get", "put", "delete"])
def test_only_post_is_allowed(client, method):
    response = getattr(client, method)(URL)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json() == {"error": "Only POST is allowed"}


def test_a_body_over_the_limit_is_refused_with_413(client):
    raw = json.dumps(order_payload(note="x" * MAX_BODY_BYTES)).encode()
    response = post(client, raw)
    assert response.status_code == 413
    assert_nothing_written()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b'{"id": "1001", "email": ', "not valid JSON: Expecting value at column 25"),
        (
            b'{\n  "id": 1001,\n  "email": "a@example.com"\n',
            "not valid JSON: Expecting ',' delimiter at line 4, column 1",
        ),
        (b"", "not valid JSON: Expecting value at column 1"),
        (b'{"id": "1001", "total": NaN}', "not valid JSON: NaN is not a number"),
        (b"[" * 50_000 + b"]" * 50_000, "not valid JSON: nested too deeply"),
        ('{"email": "ann@example.com"}'.encode("utf-16"), "The body is not UTF-8 text"),
        (b'["an", "array"]', "the order must be a JSON object"),
    ],
    ids=["truncated", "multi-line", "empty", "NaN", "deep", "utf-16", "array"],
)
def test_a_body_that_is_not_a_json_object_is_refused_with_400(client, raw, error):
    response = post(client, raw)
    assert response.status_code == 400
    assert response.json() == {"error": error}
    assert_nothing_written()


WEBHOOK_CASES = [
    "missing email",
    "invalid email",
    "negative quantity",
    "quantity 1.5",
    "unknown currency",
    "lone surrogate",
    "total not adding up",
    "line total wrong",
    "bad date",
    "naive date",
    "too many lines",
    "negative price",
    "three decimals",
]


@pytest.mark.parametrize(
    ("payload", "field", "message"), [case[1:] for case in REFUSED if case[0] in WEBHOOK_CASES], ids=WEBHOOK_CASES
)
def test_an_invalid_order_is_refused_with_400_naming_the_field(client, payload, field, message):
    response = post(client, payload)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field
    assert body["error"].startswith(f"{field}: ")
    assert message in body["error"]
    assert_nothing_written()


def test_the_totals_error_says_what_the_total_should_be(client):
    response = post(client, changed("total", "12.00"))
    assert response.json() == {
        "error": "total: 12.00 does not add up to the lines, shipping and tax (39.45)",
        "field": "total",
    }


def test_a_json_escaped_nul_in_a_required_part_is_refused(client):
    raw = json.dumps(order_payload()).replace('"Tea towel"', '"Tea\\u0000towel"').encode()
    response = post(client, raw)
    assert response.status_code == 400
    assert response.json()["field"] == "lines[1].name"
    assert_nothing_written()


@pytest.mark.parametrize(
    ("payload", "field", "shown"),
    [
        (changed("customer.phone", "0123"), "customer.phone", "Phone '0123'"),
        (changed("customer.last_name", "L\x00ee"), "customer.last_name", "Last name 'L\\x00ee'"),
        (changed("shipping_address.country_code", "Britain"), "shipping_address.country_code", "Country 'Britain'"),
    ],
    ids=["phone too short", "NUL in a name", "country in words"],
)
def test_an_order_with_an_unusable_buyer_detail_is_stored_and_the_detail_kept_where_staff_see_it(
    client, staff_client, payload, field, shown
):
    """A paid sale is never refused for an optional detail: the order, the contact and the stage all happen."""
    lead = ContactFactory(email="ann@example.com", stage=Stage.LEAD, first_name="", last_name="")
    response = post(client, payload)
    assert response.status_code == 201
    order = Order.objects.get()
    assert [detail["field"] for detail in order.buyer_unread] == [field]
    contact = Contact.objects.get(pk=lead.pk)
    assert contact.stage == Stage.CUSTOMER
    assert contact.orders_count == 1
    unread = Activity.objects.get(contact=contact, event="order_details_unread")
    assert unread.body == f"{shown} from Order #1001 could not be read"
    if field == "customer.phone":
        assert not contact.phones.exists()
    page = staff_client.get(order.get_absolute_url()).content.decode()
    assert "Sent by the shop but not read" in page


def test_a_database_that_cannot_take_the_order_now_answers_503(client, monkeypatch):
    """A deadlock or lock timeout is the shop's cue to deliver again, which is safe; never a 500."""

    def busy(**kwargs):
        raise OperationalError("deadlock detected")

    monkeypatch.setattr("orders.webhooks.order_sync_placed", busy)
    response = post(client, order_payload())
    assert response.status_code == 503
    assert_nothing_written()


@pytest.mark.parametrize(
    ("path", "number", "error"),
    [
        ("id", HUGE, "id: must be at most 100 characters (it has 5,000)"),
        ("lines.0.quantity", HUGE, "lines[0].quantity: must be at most 1,000,000"),
        ("lines.0.quantity", f"-{HUGE}", "lines[0].quantity: must be a whole number of at least 1"),
        ("lines.1.unit_price", HUGE, "lines[1].unit_price: must be at most 9999999999.99"),
        ("total", HUGE, "total: must be at most 9999999999.99"),
        ("total", "1e99999999999999999999", "total: must be at most 9999999999.99"),
    ],
)
def test_a_huge_json_number_is_refused_with_400_naming_the_field(client, path, number, error):
    """Python refuses to read an int of over 4,300 digits; that is the order's fault, never a 500."""
    response = post(client, with_number(path, number).encode())
    assert response.status_code == 400
    assert response.json() == {"error": error, "field": error.partition(":")[0]}
    assert_nothing_written()


def test_a_huge_json_number_under_a_key_no_field_reads_is_ignored(client):
    response = post(client, with_number("note", f"[{HUGE}, -{HUGE}]").encode())
    assert response.status_code == 201
    assert Order.objects.get().shop_order_id == "1001"
