"""Marketing consent clicked through as staff use it (seed 001: "Manage marketing consent")."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import ConsentState, Contact
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_contact(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_subscribe_then_unsubscribe_and_see_both_in_the_history(signed_in: Page):
    contact = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    page = signed_in
    open_contact(page, "Ann Lee")
    box = page.get_by_role("region", name="Marketing consent")
    expect(box).to_contain_text("No consent recorded")

    box.get_by_role("link", name="Change consent").click()
    expect(page.get_by_role("heading", name="Change marketing consent for Ann Lee", level=1)).to_be_visible()
    page.get_by_role("radio", name="Subscribed", exact=True).check()
    page.get_by_role("radio", name="Single opt-in").check()
    page.get_by_label("How was consent collected?").fill("Asked at the counter")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("main")).to_contain_text("Consent recorded. Email marketing: Subscribed.")
    expect(box.get_by_text("Subscribed", exact=True).first).to_be_visible()
    expect(box).to_contain_text("Collected: Asked at the counter (Staff, single opt-in)")

    box.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("main")).to_contain_text("Ann Lee unsubscribed from email marketing.")
    expect(box).to_contain_text("Email marketing: Unsubscribed")
    expect(box.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    assert Contact.objects.get(pk=contact.pk).marketing_consent == ConsentState.UNSUBSCRIBED

    box.get_by_role("link", name="View consent history").click()
    expect(page.get_by_role("heading", name="Consent history of Ann Lee", level=1)).to_be_visible()
    rows = page.get_by_role("list", name="Consent history of Ann Lee").get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Unsubscribed")
    expect(rows.nth(0)).to_contain_text("Unsubscribed by Dana Demo from the contact page")
    expect(rows.nth(1)).to_contain_text("Subscribed")
    expect(rows.nth(1)).to_contain_text("Asked at the counter")


def test_a_date_in_the_future_is_refused_and_the_note_kept(signed_in: Page):
    ContactFactory(email="bob@example.com", first_name="Bob", last_name="Ng")
    page = signed_in
    open_contact(page, "Bob Ng")
    page.get_by_role("link", name="Change consent").click()
    page.get_by_role("radio", name="Pending").check()
    page.get_by_role("radio", name="Confirmed opt-in").check()
    page.get_by_label("Given or withdrawn at").fill("2099-01-01T10:00")
    page.get_by_label("How was consent collected?").fill("Signed up at the fair")
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    expect(page).to_have_title("Error: Change marketing consent for Bob Ng · Contacts CRM")
    expect(page.get_by_label("How was consent collected?")).to_have_value("Signed up at the fair")
    summary.get_by_role("link", name="The date can't be in the future").click()
    expect(page.get_by_label("Given or withdrawn at")).to_be_focused()
