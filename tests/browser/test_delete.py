"""Deleting contacts, the Trash and erasure, as a manager does it, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def trashed() -> set[str]:
    return set(Contact.objects.filter(deleted_at__isnull=False).values_list("first_name", flat=True))


def test_delete_two_ticked_contacts_after_the_confirmation_then_restore_one_from_the_trash(
    live_server, signed_in: Page
):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee")
    ContactFactory(first_name="Bob", last_name="Ray")
    ContactFactory(first_name="Carl", last_name="Poe")
    page.reload()
    page.get_by_role("checkbox", name="Select Ann Lee").check()
    page.get_by_role("checkbox", name="Select Bob Ray").check()
    expect(page.get_by_text("2 selected", exact=True)).to_be_visible()
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Delete 2 selected contacts").click()

    expect(page.get_by_role("heading", name="Delete 2 contacts?", level=1)).to_be_visible()
    expect(page.get_by_text("You can restore them from the Trash for 30 days", exact=False)).to_be_visible()
    assert trashed() == set()
    page.get_by_role("button", name="Delete contacts").click()

    expect(page.get_by_text("2 contacts moved to the Trash")).to_be_visible()
    expect(page.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.get_by_role("link", name="Ann Lee")).to_have_count(0)
    expect(page.get_by_role("link", name="Carl Poe")).to_be_visible()
    assert trashed() == {"Ann", "Bob"}

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.get_by_role("heading", name="Trash", level=1)).to_be_visible()
    expect(page.get_by_role("row", name="Bob Ray")).to_be_visible()
    page.get_by_role("button", name="Restore Ann Lee").click()
    expect(page.get_by_text("Ann Lee restored from the Trash.")).to_be_visible()
    page.get_by_role("link", name="Back to contacts").click()
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    expect(page.get_by_role("link", name="Bob Ray")).to_have_count(0)
    assert trashed() == {"Bob"}


def test_cancel_on_the_confirmation_deletes_nothing(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee")
    page.reload()
    page.get_by_role("checkbox", name="Select Ann Lee").check()
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Delete 1 selected contact").click()
    expect(page.get_by_role("heading", name="Delete Ann Lee?", level=1)).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    assert trashed() == set()


def test_undo_in_the_banner_brings_the_contacts_back(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee")
    ContactFactory(first_name="Bob", last_name="Ray")
    page.reload()
    page.get_by_role("checkbox", name="Select all 2 contacts on this page").check()
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Delete 2 selected contacts").click()
    page.get_by_role("button", name="Delete contacts").click()
    expect(page.get_by_text("2 contacts moved to the Trash")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_text("2 contacts restored.")).to_be_visible()
    expect(page.get_by_role("link", name="Ann Lee")).to_be_visible()
    assert trashed() == set()


def test_delete_from_the_contact_page_puts_it_in_the_trash(live_server, signed_in: Page):
    page = signed_in
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    page.goto(live_server.url + contact.get_absolute_url())
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("link", name="Delete contact").click()
    expect(page.get_by_role("heading", name="Delete Ann Lee?", level=1)).to_be_visible()
    page.get_by_role("button", name="Delete contact").click()
    expect(page.get_by_text("1 contact moved to the Trash")).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Trash").click()
    expect(page.get_by_role("row", name="Ann Lee")).to_be_visible()
    expect(page.get_by_role("row", name="Ann Lee")).to_contain_text("in 30 days")
    assert trashed() == {"Ann"}


def test_erase_personal_data_from_the_contact_page(live_server, signed_in: Page):
    page = signed_in
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    page.goto(live_server.url + contact.get_absolute_url())
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("link", name="Erase personal data").click()
    expect(page.get_by_role("heading", name="Erase personal data of Ann Lee?", level=1)).to_be_visible()
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_contain_text("Type the email address ann@example.com to confirm")
    page.get_by_label("Email address").fill("ann@example.com")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.get_by_text("Personal data erased.")).to_be_visible()
    expect(page.get_by_role("heading", name=f"erased-{contact.pk}@invalid", level=1)).to_be_visible()
    expect(page.get_by_text("Personal data erased on request")).to_be_visible()
