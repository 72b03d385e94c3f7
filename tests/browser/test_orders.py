"""Draft orders and suggested updates, clicked through as staff use them (seeds 001 and 002)."""

import pytest
from playwright.sync_api import Page, expect

from crm_core.actors import SHOP
from customers.models import Stage
from customers.services import contact_sync_details
from orders.models import Order, OrderStatus
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_contact(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_a_draft_order_from_a_leads_page_marked_as_placed_makes_a_customer(signed_in: Page):
    ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee", city="Leeds", stage=Stage.LEAD)
    page = signed_in
    open_contact(page, "Ann Lee")
    expect(page.get_by_text("Lead", exact=True)).to_be_visible()
    page.get_by_role("button", name="Create new order").click()

    expect(page.get_by_role("heading", name="New order", level=1)).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Ann")
    expect(page.get_by_label("Town or city")).to_have_value("Leeds")
    page.get_by_label("Item for item 1").fill("Ceramic mug")
    page.get_by_label("Quantity for item 1").fill("2")
    page.get_by_label("Unit price for item 1").fill("12.50")
    page.get_by_role("button", name="Add item").click()
    expect(page.get_by_label("Item for item 2")).to_be_focused()
    page.get_by_label("Item for item 2").fill("Gift wrap")
    page.get_by_label("Unit price for item 2").fill("3")
    page.get_by_label("Shipping").fill("4.95")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("main")).to_contain_text("Draft saved.")
    expect(page.get_by_role("main")).to_contain_text("32.95")

    page.get_by_role("link", name="Edit draft").click()
    page.get_by_role("button", name="Mark as placed").click()

    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_text("Customer", exact=True)).to_be_visible()
    orders = page.get_by_role("region", name="Orders", exact=True)
    order = Order.objects.get()
    expect(orders.get_by_role("link", name=order.number)).to_be_visible()
    expect(orders).to_contain_text("Placed")
    expect(page.get_by_role("region", name="Orders summary")).to_contain_text("32.95")
    assert order.status == OrderStatus.PLACED


def test_accepting_a_suggested_update_changes_the_locked_detail(signed_in: Page):
    contact = ContactFactory(first_name="Ann", last_name="Lee", city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #1001", actor=SHOP)
    page = signed_in
    open_contact(page, "Ann Lee")
    suggestions = page.get_by_role("region", name="Suggested updates")
    expect(suggestions).to_contain_text("Town or city: Leeds → York")
    suggestions.get_by_role("button", name="Accept town or city York").click()

    expect(page.get_by_role("main")).to_contain_text("Town or city updated from Order #1001.")
    expect(page.get_by_role("region", name="Contact", exact=True)).to_contain_text("York")
    expect(page.get_by_role("region", name="Suggested updates")).to_have_count(0)
    expect(page.get_by_role("region", name="Activity")).to_contain_text("Accepted from Order #1001")
