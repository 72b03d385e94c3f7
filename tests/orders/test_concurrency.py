"""Orders synced at the same moment (SECURITY 26, 27): one contact per email, every order once, no error;
two versions of one order id: one stored, the other answered 409 and recorded as a conflict.

Each thread has its own database connection, so these tests commit for real (transaction=True). On
PostgreSQL the threads truly race; SQLite's IMMEDIATE transactions make writers wait their turn, which
only a database file shared by the threads can show (the default in-memory test database cannot).
"""

import json
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, connections
from django.test import Client

from customers.models import Contact, PhoneNumber, Stage
from orders.models import Order, OrderConflict
from orders.payload import placed_order_from_payload
from orders.services import SyncResult, order_sync_placed
from tests.factories import ContactFactory
from tests.orders.test_payload import order_payload
from tests.orders.test_webhooks import SECRET, URL, sign

THREADS = 20

on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")
on_sqlite_file = pytest.mark.skipif(
    connection.vendor != "sqlite" or not settings.DATABASES["default"].get("TEST", {}).get("NAME"),
    reason="needs a SQLite test database in a file shared by the threads (the settings name one)",
)
racing = pytest.mark.django_db(transaction=True)


def sync_at_once(payloads: list[dict]) -> tuple[list[SyncResult], list[BaseException]]:
    """Sync each payload in a thread of its own, all released together; return the results and the errors."""
    inputs = [placed_order_from_payload(payload) for payload in payloads]
    barrier = threading.Barrier(len(inputs))
    results: list[SyncResult] = []
    errors: list[BaseException] = []

    def sync(data):
        try:
            barrier.wait(timeout=30)
            results.append(order_sync_placed(data=data))
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sync, args=(data,)) for data in inputs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


def case_variant_orders() -> list[dict]:
    """Twenty orders for one person, with the email typed two ways and the name, city and phone varying."""
    phones = ["020 7183 8750", "020 7946 0000", "0161 496 0000"]
    return [
        order_payload(
            id=f"20{number:02d}",
            email="Ann@X.com" if number % 2 else "ann@x.com",
            customer={"first_name": f"Ann{number % 3}", "last_name": "Lee", "phone": phones[number % 3]},
            shipping_address={"city": ["York", "Leeds"][number % 2], "country_code": "GB"},
            total=None,
        )
        for number in range(THREADS)
    ]


def assert_one_contact_with_every_order(results, errors):
    assert errors == []
    assert len(results) == THREADS
    contact = Contact.objects.live().get()
    assert contact.email.lower() == "ann@x.com"
    assert contact.stage == Stage.CUSTOMER
    assert Order.objects.filter(contact=contact).count() == THREADS
    assert {result.contact.pk for result in results} == {contact.pk}
    assert all(result.created for result in results)
    contact.refresh_from_db()
    assert contact.orders_count == THREADS
    assert contact.total_spent == sum((result.order.total for result in results), Decimal("0"))
    assert PhoneNumber.objects.filter(contact=contact).count() == 3


# Each test below runs once per database it can run on; `database` only carries the skip.
DATABASES = [pytest.param("postgresql", marks=on_postgresql), pytest.param("sqlite", marks=on_sqlite_file)]


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_twenty_threads_syncing_orders_for_case_variants_of_a_new_email(database):
    assert_one_contact_with_every_order(*sync_at_once(case_variant_orders()))


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_twenty_threads_syncing_orders_for_a_known_lead(database):
    """Every order promotes, syncs details and adds phones on the same row: they queue, none deadlocks."""
    ContactFactory(email="ANN@x.com", stage=Stage.LEAD)
    assert_one_contact_with_every_order(*sync_at_once(case_variant_orders()))


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_the_same_order_delivered_by_twenty_threads_is_stored_once(database):
    results, errors = sync_at_once([order_payload(id="3001")] * THREADS)
    assert errors == []
    assert sum(result.created for result in results) == 1
    assert len({result.order.pk for result in results}) == 1
    assert Order.objects.count() == 1
    assert Contact.objects.get().orders_count == 1


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_ten_orders_each_delivered_twice_at_once_are_each_stored_once(database):
    """A delivery can lose the race for the email, then a phone, then its order id; it still ends as a replay."""
    orders = case_variant_orders()[: THREADS // 2]
    results, errors = sync_at_once(orders + orders)
    assert errors == []
    assert sum(result.created for result in results) == THREADS // 2
    assert Order.objects.count() == THREADS // 2
    assert Contact.objects.get().orders_count == THREADS // 2


def _edit_form_data(response, **changes) -> dict:
    """The edit form as the page rendered it, with some fields typed over."""
    form = response.context["form"]
    data = {name: form[name].value() or "" for name in (*form.CONTACT_FIELDS, "version")}
    data |= {"phones-TOTAL_FORMS": "0", "phones-INITIAL_FORMS": "0"}
    data |= {"companies-TOTAL_FORMS": "0", "companies-INITIAL_FORMS": "0"}
    return data | changes


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_a_staff_edit_overlapping_an_order_keeps_the_orders_totals(database, monkeypatch, settings):
    """SECURITY 51: the order lands after the edit view read the contact and before it saves.

    The staff save must not write the totals it read back over the order's; the edit is refused as stale
    (the order gave the contact a new version), and saved when sent again, with both orders still counted.
    """
    import io

    from django.core.management import call_command
    from django.test import Client

    from customers.views import contacts as views
    from tests.factories import UserFactory
    from tests.orders.test_webhooks import SECRET, post

    settings.SHOP_WEBHOOK_SECRET = SECRET
    order_sync_placed(data=placed_order_from_payload(order_payload(id="1", email="ann@x.com", total=None)))
    contact = Contact.objects.get()
    staff = Client()
    staff.force_login(UserFactory(username="staffer", role="Staff"))
    page = staff.get(f"/contacts/{contact.pk}/edit/")
    assert page.status_code == 200
    read, ordered = threading.Event(), threading.Event()
    reading = views._live_or_404

    def read_then_wait(pk):
        found = reading(pk)
        read.set()
        assert ordered.wait(timeout=30)
        return found

    monkeypatch.setattr(views, "_live_or_404", read_then_wait)
    answers = {}

    def edit():
        try:
            answers["edit"] = staff.post(f"/contacts/{contact.pk}/edit/", _edit_form_data(page, first_name="Anne"))
        finally:
            connections.close_all()

    def order():
        try:
            assert read.wait(timeout=30)
            answers["order"] = post(Client(), order_payload(id="2", email="ANN@x.com", total=None))
        finally:
            ordered.set()
            connections.close_all()

    threads = [threading.Thread(target=edit), threading.Thread(target=order)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    monkeypatch.setattr(views, "_live_or_404", reading)

    assert answers["order"].status_code == 201
    assert answers["edit"].status_code == 200
    assert "changed since you opened it" in answers["edit"].content.decode()
    stored = Contact.objects.get()
    expected_total = sum((order.total for order in Order.objects.all()), Decimal("0"))
    assert (stored.orders_count, stored.total_spent) == (2, expected_total)

    again = staff.post(f"/contacts/{contact.pk}/edit/", _edit_form_data(answers["edit"], first_name="Anne"))
    assert again.status_code == 302
    stored = Contact.objects.get()
    assert (stored.first_name, stored.orders_count, stored.total_spent) == ("Anne", 2, expected_total)
    out = io.StringIO()
    call_command("check_contacts", stdout=out)
    assert out.getvalue() == "Checked 1 contact: nothing to repair.\n"


def post_at_once(payloads: list[dict]) -> list[tuple[dict, int, dict]]:
    """POST each payload to the webhook from a thread of its own, all released together; return what each got."""
    barrier = threading.Barrier(len(payloads))
    answers: list[tuple[dict, int, bytes]] = []

    def deliver(payload):
        raw = json.dumps(payload).encode()
        try:
            barrier.wait(timeout=30)
            response = Client(raise_request_exception=False).post(
                URL, data=raw, content_type="application/json", headers={"X-Shop-Signature": sign(raw)}
            )
            # Read in the test, so a 500's HTML page fails on its status, not here in the thread.
            answers.append((payload, response.status_code, response.content))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(payloads), "a delivery got no answer"
    return [(payload, status, json.loads(body) if status != 500 else {}) for payload, status, body in answers]


def two_versions(order_id: str) -> list[dict]:
    """The same new order id twice: as first sent, and with another name, quantity and so total."""
    second = order_payload(id=order_id, total=None)
    second["customer"] = {**second["customer"], "first_name": "Anne"}
    second["lines"] = [{**second["lines"][0], "quantity": 3, "total": "42.00"}, second["lines"][1]]
    return [order_payload(id=order_id), second]


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_two_versions_of_a_new_order_id_racing_store_one_and_answer_the_other_409(database, settings):
    settings.SHOP_WEBHOOK_SECRET = SECRET
    ids = [f"40{number:02d}" for number in range(THREADS // 2)]
    answers = post_at_once([version for order_id in ids for version in two_versions(order_id)])
    assert sorted(status for _, status, _ in answers) == [201] * len(ids) + [409] * len(ids)
    assert Order.objects.count() == len(ids)
    assert Contact.objects.get().orders_count == len(ids)
    for payload, status, body in answers:
        order = Order.objects.get(shop_order_id=payload["id"])
        if status == 201:
            # The stored order is the version that was answered 201, whole.
            assert (order.buyer_first_name, order.lines.first().quantity) == (
                payload["customer"]["first_name"],
                payload["lines"][0]["quantity"],
            )
        else:
            assert body["order"] == order.pk
            assert [item["field"] for item in body["differences"]] == [
                "customer.first_name",
                "lines[0].quantity",
                "total",
            ]
    assert OrderConflict.objects.count() == len(ids)
    assert set(OrderConflict.objects.values_list("deliveries", flat=True)) == {1}


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_one_conflicting_version_delivered_by_ten_threads_at_once_is_one_conflict(database, settings):
    settings.SHOP_WEBHOOK_SECRET = SECRET
    first, second = two_versions("4100")
    assert post_at_once([first])[0][1] == 201
    answers = post_at_once([second] * (THREADS // 2))
    assert [status for _, status, _ in answers] == [409] * (THREADS // 2)
    conflict = OrderConflict.objects.get()
    assert conflict.deliveries == THREADS // 2
    assert Order.objects.get().buyer_first_name == "Ann"
