"""orders_sync_placed_batch leaves the database as order_sync_placed does order by order, in fewer statements."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_core.actors import SHOP, SYSTEM
from customers.models import (
    Activity,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    PhoneNumber,
    Stage,
    SuggestedUpdate,
)
from customers.services import consent_record
from orders.models import DeliverySource, Order, OrderConflict, OrderLine
from orders.payload import placed_order_from_payload
from orders.services import order_sync_placed, orders_sync_placed_batch
from tests.factories import ContactFactory, PhoneNumberFactory
from tests.orders.test_payload import order_payload

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
EXPECTED_STATEMENTS = 14


def existing_people() -> None:
    """A lead, a locked customer, a customer with a phone and a later unsubscribe, and one stored order."""
    ContactFactory(email="lead@example.com", first_name="Lena", last_name="Lead", stage=Stage.LEAD, city="Leeds")
    ContactFactory(email="locked@example.com", first_name="Lou", last_name="Locked", details_locked=True)
    known = ContactFactory(email="Known@Example.com", first_name="Kim", last_name="Known", stage=Stage.CUSTOMER)
    PhoneNumberFactory(contact=known, number="+442071838750", position=0)
    consent_record(
        contact=known,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=START + timedelta(days=30),
        collected_how="Asked on the phone",
        actor=SYSTEM,
    )
    order_sync_placed(data=placed_order_from_payload(order_payload(id="stored-1", email="known@example.com")))


def orders() -> list:
    """Orders of every kind the rules tell apart, oldest first."""
    payloads = []
    for number in range(24):
        email = [
            "new@example.com",
            "NEW@example.com ",
            "lead@example.com",
            "locked@example.com",
            "known@example.com",
            f"fresh{number}@example.com",
        ][number % 6]
        payload = order_payload(
            id=f"B{number:03d}",
            email=email,
            placed_at=(START + timedelta(hours=number)).isoformat(),
            total=None,
        )
        payload["customer"] = {
            "first_name": ["Ann", "Anne", "Bo"][number % 3],
            "last_name": "Lee" if number % 4 else "Leigh",
            "phone": ["020 7183 8750", "020 7946 0000", "", "0123"][number % 4],
            "accepts_marketing": number % 5 == 0,
        }
        if number % 10 == 0:
            payload["customer"]["accepts_marketing_at"] = (START - timedelta(days=number)).isoformat()
        payload["shipping_address"] = {"city": ["York", "Leeds", ""][number % 3], "country_code": "GB"}
        if number % 7 == 3:
            payload["status"] = "cancelled"
        if number % 7 == 4:
            payload.update(status="paid", name=f"#{1000 + number}", discount="1.50")
        payloads.append(payload)
    # Stored before with the same content (a replay), and with other content (a conflict).
    payloads.append(order_payload(id="stored-1", email="known@example.com"))
    payloads.append(order_payload(id="stored-1", email="known@example.com", currency="GBP", total=None))
    return [placed_order_from_payload(payload) for payload in payloads]


def dump() -> dict:
    """Everything the orders wrote, by emails and order ids rather than database ids."""
    email_of = dict(Contact.objects.values_list("pk", "email_normalized"))
    order_of = dict(Order.objects.values_list("pk", "shop_order_id"))

    def without_ids(data: dict) -> dict:
        return {key: order_of.get(value) if key == "order" else value for key, value in data.items()}

    skip = {"id", "created_at", "updated_at", "contact", "search_document"}
    return {
        "contacts": {
            contact["email_normalized"]: {key: value for key, value in contact.items() if key not in skip}
            | {"document": contact["search_document"]}
            for contact in Contact.objects.values()
        },
        "phones": sorted((email_of[p.contact_id], p.number, p.position) for p in PhoneNumber.objects.all()),
        "orders": {
            order["shop_order_id"]: {
                key: value for key, value in order.items() if key not in {"id", "created_at", "updated_at"}
            }
            | {"contact_id": email_of.get(order["contact_id"])}
            for order in Order.objects.values()
        },
        "lines": sorted(
            (order_of[line.order_id], line.position, line.name, line.sku, line.quantity, line.unit_price, line.total)
            for line in OrderLine.objects.all()
        ),
        "timeline": {
            email: [
                (a.event, a.body, without_ids(a.data), a.actor_kind)
                for a in Activity.objects.filter(contact_id=pk).order_by("created_at", "id")
            ]
            for pk, email in email_of.items()
        },
        "consent": sorted(
            (email_of[r.contact_id], r.state, r.source, r.given_at, r.collected_how, r.opt_in_level)
            for r in ConsentRecord.objects.all()
        ),
        "suggestions": sorted(
            (email_of[s.contact_id], s.field, s.value, s.status, s.source_reference)
            for s in SuggestedUpdate.objects.all()
        ),
        "conflicts": sorted((order_of[c.order_id], str(c.differences)) for c in OrderConflict.objects.all()),
    }


def wipe() -> None:
    for model in (OrderConflict, OrderLine, Order, SuggestedUpdate, ConsentRecord, Activity, PhoneNumber, Contact):
        model.objects.all().delete()


def test_a_batch_leaves_what_the_orders_one_by_one_leave():
    existing_people()
    for data in orders():
        order_sync_placed(data=data, actor=SYSTEM, source=DeliverySource.IMPORT)
    one_by_one = dump()
    wipe()
    existing_people()
    results = orders_sync_placed_batch(datas=orders(), actor=SYSTEM, source=DeliverySource.IMPORT)
    batched = dump()
    for part in one_by_one:
        assert batched[part] == one_by_one[part], part
    assert [result.created for result in results] == [True] * 24 + [False, False]
    assert results[-1].conflict is not None
    assert {result.contact.email_normalized for result in results[:6]} == {
        "new@example.com",
        "lead@example.com",
        "locked@example.com",
        "known@example.com",
        "fresh5@example.com",
    }


def test_the_batch_keeps_the_rules_it_is_checked_against():
    """The comparison above is only worth something if the rules show in what it compares."""
    existing_people()
    versions = dict(Contact.objects.values_list("email_normalized", "updated_at"))
    orders_sync_placed_batch(datas=orders(), actor=SYSTEM)
    # Each contact an order wrote to has a new version, as order_sync_placed's writes give it.
    after = dict(Contact.objects.values_list("email_normalized", "updated_at"))
    assert [email for email, version in versions.items() if after[email] <= version] == []
    lead = Contact.objects.get(email="lead@example.com")
    assert lead.stage == Stage.CUSTOMER
    locked = Contact.objects.get(email="locked@example.com")
    assert (locked.first_name, locked.last_name) == ("Lou", "Locked")
    assert SuggestedUpdate.objects.filter(contact=locked).exists()
    new = Contact.objects.get(email_normalized="new@example.com")
    assert Contact.objects.filter(email_normalized="new@example.com").count() == 1
    counted = Order.objects.filter(contact=new).exclude(status="cancelled")
    assert new.orders_count == counted.count()
    assert new.total_spent == sum((order.total for order in counted), Decimal("0"))
    known = Contact.objects.get(email_normalized="known@example.com")
    # The staff's later unsubscribe stays current over the checkout ticks dated before it.
    assert known.marketing_consent == ConsentState.UNSUBSCRIBED
    assert Order.objects.get(shop_order_id="B004").number == "#1004"


def test_a_batch_of_known_buyers_costs_a_fixed_number_of_statements():
    existing_people()
    datas = [
        placed_order_from_payload(
            order_payload(
                id=f"Q{number}", email="known@example.com", placed_at=(START + timedelta(hours=number)).isoformat()
            )
        )
        for number in range(50)
    ]
    # The first brings the order's name, city and phone onto the contact; the next ones change no detail.
    orders_sync_placed_batch(datas=datas[:1], actor=SHOP)
    with CaptureQueriesContext(connection) as few:
        orders_sync_placed_batch(datas=datas[1:5], actor=SHOP)
    with CaptureQueriesContext(connection) as many:
        orders_sync_placed_batch(datas=datas[5:35], actor=SHOP)
    # Stored ids, buyers (locked), their phones, the contacts' update, orders, lines, the consent (latest
    # before, records, current), the timeline, the results' contacts, and the savepoint around it all. (30
    # orders: SQLite's bulk insert splits beyond about 999 parameters, PostgreSQL's never.)
    assert len(many) == len(few) == EXPECTED_STATEMENTS


on_postgresql = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL)")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_an_import_batch_racing_a_webhook_order_for_the_same_new_email_makes_one_contact():
    import threading

    from django.db import connections

    from orders.management.commands.import_orders import _batch_store

    batch = [
        (number, placed_order_from_payload(order_payload(id=f"R{number}", email="race@example.com")))
        for number in range(20)
    ]
    single = placed_order_from_payload(order_payload(id="W1", email="Race@example.com"))
    barrier = threading.Barrier(2)
    outcomes: list = []

    def run(work):
        try:
            barrier.wait(timeout=30)
            outcomes.append(work())
        except BaseException as error:  # reported by the test
            outcomes.append(error)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(lambda: _batch_store(batch),)),
        threading.Thread(target=run, args=(lambda: order_sync_placed(data=single),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
    contact = Contact.objects.get()
    assert Order.objects.filter(contact=contact).count() == 21
    contact.refresh_from_db()
    assert contact.orders_count == 21
