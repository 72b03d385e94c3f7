"""orders.services.placed: a placed order finds or creates its buyer by email and follows the lock."""

from decimal import Decimal

import pytest

from customers.models import Contact, Source, Stage, SuggestedUpdate
from orders.services import order_sync_placed
from tests.factories import ContactFactory
from tests.orders.support.services import placed

pytestmark = pytest.mark.django_db


def test_a_new_email_creates_a_customer_with_the_order():
    result = order_sync_placed(data=placed())
    contact = result.contact
    assert (contact.stage, contact.source, contact.orders_count) == (Stage.CUSTOMER, Source.ORDER, 1)
    assert result.order.total == Decimal("32.95")
    assert Contact.objects.get(pk=contact.pk).total_spent == Decimal("32.95")


def test_a_case_variant_of_a_known_email_updates_the_same_contact():
    first = order_sync_placed(data=placed("1", email="Ann@Example.com"))
    second = order_sync_placed(data=placed("2", email=" ann@example.com", address={"city": "York"}))
    assert first.contact.pk == second.contact.pk
    assert Contact.objects.get().city == "York"


def test_an_order_promotes_a_lead_to_customer():
    lead = ContactFactory(email="ann@example.com", stage=Stage.LEAD)
    order_sync_placed(data=placed())
    lead.refresh_from_db()
    assert lead.stage == Stage.CUSTOMER
    assert lead.activities.filter(event="became_customer").exists()


def test_locked_details_are_kept_and_the_order_becomes_suggestions():
    ContactFactory(email="ann@example.com", first_name="Annie", details_locked=True)
    order_sync_placed(data=placed(first_name="Ann"))
    contact = Contact.objects.get()
    assert contact.first_name == "Annie"
    assert list(SuggestedUpdate.objects.order_by("field").values_list("field", "value")) == [
        ("first_name", "Ann"),
        ("last_name", "Lee"),
    ]


def test_an_order_from_a_known_customer_updates_the_contact_row_once():
    """Was 18 statements, with three UPDATEs of the contact for its totals and one for a promotion to nothing."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.payload import placed_order_from_payload
    from tests.orders.test_payload import order_payload

    first = order_payload(id="Q1", total=None)
    first["customer"]["accepts_marketing"] = False
    order_sync_placed(data=placed_order_from_payload(first))
    again = placed_order_from_payload({**first, "id": "Q2"})
    with CaptureQueriesContext(connection) as captured:
        order_sync_placed(data=again)
    statements = [query["sql"] for query in captured]
    contact_updates = [sql for sql in statements if sql.startswith('UPDATE "customers_contact"')]
    # The transaction's savepoint and its release, the stored id, the buyer by email locked in the same read,
    # the details' savepoint, release and whether the phone is known, the order and its lines, the one UPDATE
    # of the totals and its read back, the timeline.
    assert len(statements) == 12
    assert len(contact_updates) == 1
    replay = placed_order_from_payload({**first, "id": "Q2"})
    with CaptureQueriesContext(connection) as captured:
        order_sync_placed(data=replay)
    assert len(captured) == 4
