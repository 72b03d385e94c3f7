"""Finding contacts and acting on many at once, as a member of staff does it, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import Contact, Stage
from tests.factories import ContactFactory, LabelFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_search_finds_a_contact_by_part_of_its_email(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@shop.example")
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@other.example")
    page.reload()
    page.get_by_label("Search contacts").fill("lee@sho")
    expect(page.get_by_role("row", name="Bob Ray")).to_have_count(0)
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    expect(page.get_by_role("link", name="Search: lee@sho — remove this filter")).to_be_visible()
    assert "q=lee%40sho" in page.url
    # The results block is replaced, not filled with a second copy of itself.
    assert page.evaluate("document.querySelectorAll('[id=results]').length") == 1
    page.get_by_role("link", name="Ann Lee").click()
    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    page.go_back()
    expect(page.get_by_label("Search contacts")).to_have_value("lee@sho")
    expect(page.get_by_role("link", name="Bob Ray")).to_have_count(0)


def test_filtering_by_a_label_shows_only_labelled_contacts(live_server, signed_in: Page):
    page = signed_in
    vip = LabelFactory(name="VIP")
    ContactFactory(first_name="Ann", last_name="Lee").labels.add(vip)
    ContactFactory(first_name="Bob", last_name="Ray")
    page.reload()
    page.get_by_text("Filters", exact=True).click()
    page.get_by_role("group", name="Labels").get_by_label("VIP").check()
    expect(page.get_by_role("link", name="Label: VIP — remove this filter")).to_be_visible()
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    expect(page.get_by_role("link", name="Bob Ray")).to_have_count(0)
    page.get_by_role("link", name="Label: VIP — remove this filter").click()
    expect(page.get_by_role("link", name="Bob Ray")).to_be_visible()


def test_select_all_matching_then_add_label_labels_every_one_of_them(live_server, signed_in: Page, settings):
    settings.LIST_PAGE_SIZE = 3
    page = signed_in
    LabelFactory(name="Newsletter")
    for index in range(7):
        ContactFactory(first_name=f"Customer{index}", stage=Stage.CUSTOMER)
    ContactFactory(first_name="Just", last_name="Alead", stage=Stage.LEAD)
    page.goto(live_server.url + "/contacts/?stage=customer")
    expect(page.get_by_role("region", name="Bulk actions")).to_be_hidden()
    page.get_by_role("checkbox", name="Select all 3 contacts on this page").check()
    expect(page.get_by_text("3 selected", exact=True)).to_be_visible()
    page.get_by_role("checkbox", name="Select all 7 contacts that match").check()
    expect(page.get_by_text("All 7 matching contacts selected")).to_be_visible()
    # The upper-right Actions say they act on the whole match too.
    page.get_by_text("Actions", exact=True).click()
    expect(page.get_by_role("button", name="Export all 7 matching contacts")).to_be_visible()
    expect(page.get_by_role("button", name="Delete all 7 matching contacts")).to_be_visible()
    page.keyboard.press("Escape")
    page.get_by_label("Label", exact=True).select_option(label="Newsletter")
    page.get_by_role("button", name="Add label").click()
    expect(page.get_by_text("Label Newsletter added to 7 contacts.")).to_be_visible()
    labelled = Contact.objects.filter(labels__name="Newsletter")
    assert labelled.count() == 7
    assert not labelled.filter(stage=Stage.LEAD).exists()


def test_ticking_rows_and_removing_a_label(live_server, signed_in: Page):
    page = signed_in
    vip = LabelFactory(name="VIP")
    ann = ContactFactory(first_name="Ann", last_name="Lee")
    bob = ContactFactory(first_name="Bob", last_name="Ray")
    ann.labels.add(vip)
    bob.labels.add(vip)
    page.reload()
    page.get_by_role("checkbox", name="Select Ann Lee").check()
    expect(page.get_by_text("1 selected", exact=True)).to_be_visible()
    page.get_by_label("Label", exact=True).select_option(label="VIP")
    page.get_by_role("button", name="Remove label").click()
    expect(page.get_by_text("Label VIP removed from 1 contact.")).to_be_visible()
    assert list(vip.contacts.all()) == [bob]


def test_the_tab_counts_follow_the_search_as_it_is_typed(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee", stage=Stage.LEAD)
    ContactFactory(first_name="Anna", last_name="Ray", stage=Stage.CUSTOMER)
    ContactFactory(first_name="Bob", last_name="Ray", stage=Stage.CUSTOMER)
    page.reload()
    tabs = page.get_by_role("navigation", name="Contact stages")
    expect(tabs.get_by_role("link", name="All 3")).to_be_visible()
    page.get_by_label("Search contacts").fill("ann")
    expect(tabs.get_by_role("link", name="All 2")).to_be_visible()
    expect(tabs.get_by_role("link", name="Customers 1")).to_be_visible()
    tabs.get_by_role("link", name="Leads 1").click()
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    expect(page.get_by_role("link", name="Anna Ray")).to_have_count(0)
    expect(page.get_by_label("Search contacts")).to_have_value("ann")
