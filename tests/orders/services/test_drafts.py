"""orders.services.drafts: prefilled from the contact, totals from the lines, placed like a shop order."""

from decimal import Decimal

import pytest

from customers.models import Activity, Contact, Stage, SuggestedUpdate
from orders.models import Order, OrderStatus
from orders.services import (
    EmptyDraft,
    NotADraft,
    draft_order_create,
    draft_order_delete,
    draft_order_place,
    draft_order_update,
)
from tests.factories import OrderFactory
from tests.orders.support.drafts import MUG

pytestmark = pytest.mark.django_db


def test_a_draft_is_prefilled_with_the_contacts_email_name_first_phone_and_address(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    assert (order.status, order.buyer_email, order.buyer_name) == (OrderStatus.DRAFT, "ann@example.com", "Ann Lee")
    assert (order.buyer_phone, order.city, order.country) == ("+447400123456", "Leeds", "GB")
    assert order.number == f"Draft D{order.pk}"
    assert Activity.objects.get(contact=lead, event="order_drafted").actor == actor.user


def test_saving_a_draft_recomputes_the_totals_from_its_lines(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    order = draft_order_update(order=order, lines=[MUG, MUG], buyer={"city": "York"}, shipping=Decimal("4.95"))
    assert (order.subtotal, order.total, order.city) == (Decimal("50.00"), Decimal("54.95"), "York")
    assert order.lines.count() == 2


def test_marking_a_draft_placed_makes_the_lead_a_customer_with_the_order(lead, actor):
    order = draft_order_update(order=draft_order_create(contact=lead, actor=actor), lines=[MUG], buyer={})
    order = draft_order_place(order=order, actor=actor)
    lead.refresh_from_db()
    assert (order.status, order.number) == (OrderStatus.PLACED, f"#D{order.pk}")
    assert order.placed_at is not None
    assert (lead.stage, lead.orders_count, lead.total_spent) == (Stage.CUSTOMER, 1, Decimal("25.00"))
    events = list(Activity.objects.filter(contact=lead).values_list("event", flat=True))
    assert {"became_customer", "order_placed"} <= set(events)


def test_a_placed_draft_follows_the_lock_like_a_shop_order(lead, actor):
    Contact.objects.filter(pk=lead.pk).update(details_locked=True)
    lead.refresh_from_db()
    order = draft_order_update(order=draft_order_create(contact=lead, actor=actor), lines=[MUG], buyer={"city": "York"})
    draft_order_place(order=order, actor=actor)
    assert Contact.objects.get(pk=lead.pk).city == "Leeds"
    assert SuggestedUpdate.objects.get(contact=lead).value == "York"


def test_a_draft_without_items_cannot_be_placed(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    with pytest.raises(EmptyDraft):
        draft_order_place(order=order, actor=actor)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


def test_a_placed_order_is_no_longer_a_draft_to_edit_or_delete(actor):
    order = OrderFactory()
    with pytest.raises(NotADraft):
        draft_order_update(order=order, lines=[MUG], buyer={})
    with pytest.raises(NotADraft):
        draft_order_delete(order=order, actor=actor)
    assert Order.objects.filter(pk=order.pk).exists()


def test_deleting_a_draft_is_recorded_on_the_contact(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    draft_order_delete(order=order, actor=actor)
    assert not Order.objects.filter(pk=order.pk).exists()
    assert Activity.objects.filter(contact=lead, event="draft_deleted").exists()
