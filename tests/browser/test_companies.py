"""Adding a company and managing its members' Customer Portal permissions, as a manager does it, in a browser."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import CompanyFactory, ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_add_a_company_then_add_override_inherit_and_remove_members(live_server, signed_in: Page):
    page = signed_in
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@example.com")
    bob = ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@example.com")
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")

    nav.get_by_role("link", name="Companies", exact=True).click()
    expect(page.get_by_role("heading", name="Add your first company")).to_be_visible()
    page.get_by_role("link", name="Add company").first.click()
    page.get_by_label("Name").fill("Acme")
    page.get_by_label("Website or domain").fill("acme.example")
    page.get_by_label("Access all company's tickets").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Acme", level=1)).to_be_visible()
    expect(main).to_contain_text("Acme added.")
    expect(main).to_contain_text("No contacts belong to this company yet.")

    # Typing offers matching contacts in the field's suggestions.
    email_field = page.get_by_label("Email of the contact")
    email_field.press_sequentially("lee@")
    page.wait_for_function("el => el.list && el.list.options.length === 1", arg=email_field.element_handle())
    assert email_field.evaluate("el => [...el.list.options].map(o => [o.value, o.text])") == [
        ["ann.lee@example.com", "Ann Lee"]
    ]

    # Both contacts join, inheriting the company's permission.
    for contact in (ann, bob):
        page.get_by_label("Email of the contact").fill(contact.email)
        page.get_by_role("button", name="Add member").click()
        expect(main).to_contain_text(f"{contact.display_name} added to Acme.")
    ann_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Ann Lee"))
    bob_row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Bob Ray"))
    expect(ann_row).to_contain_text("As set in the Company Page: Access all company's tickets")
    expect(bob_row).to_contain_text("As set in the Company Page: Access all company's tickets")

    # Ann gets her own permission.
    page.get_by_label("Customer Portal permission for Ann Lee").select_option(label="Access personal tickets only")
    page.get_by_role("button", name="Save permission for Ann Lee").click()
    expect(main).to_contain_text("Customer Portal permission for Ann Lee saved.")
    expect(ann_row).to_contain_text("Overridden: Access personal tickets only")
    expect(page.get_by_label("Customer Portal permission for Ann Lee")).to_have_value("personal")

    # A new company default reaches Bob, who inherits, and not Ann, who has her own.
    page.get_by_role("link", name="Edit Acme").click()
    page.get_by_label("Access personal tickets only").check()
    page.get_by_role("button", name="Save").click()
    expect(main).to_contain_text("Acme saved.")
    expect(bob_row).to_contain_text("As set in the Company Page: Access personal tickets only")
    expect(ann_row).to_contain_text("Overridden: Access personal tickets only")
    page.get_by_role("link", name="Edit Acme").click()
    page.get_by_label("Access all company's tickets").check()
    page.get_by_role("button", name="Save").click()
    expect(bob_row).to_contain_text("As set in the Company Page: Access all company's tickets")
    expect(ann_row).to_contain_text("Overridden: Access personal tickets only")

    page.get_by_role("button", name="Remove Ann Lee from Acme").click()
    expect(main).to_contain_text("Ann Lee removed from Acme.")
    expect(page.get_by_role("link", name="Ann Lee")).to_have_count(0)
    expect(bob_row).to_be_visible()

    # Ann's timeline tells the whole story.
    page.goto(live_server.url + ann.get_absolute_url())
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Added to Acme: As set in the Company Page")
    expect(activity).to_contain_text("Acme: Access personal tickets only")
    expect(activity).to_contain_text("Removed from Acme")

    # The list counts Bob only, and finds Acme by its domain.
    nav.get_by_role("link", name="Companies", exact=True).click()
    page.get_by_label("Search companies").fill("ACME.EX")
    expect(page.get_by_role("row", name="Acme acme.example Access all company's tickets 1")).to_be_visible()
    page.get_by_label("Search companies").fill("nothing like it")
    expect(main).to_contain_text("No companies found — try changing the search term.")


def test_bad_add_member_input_shows_the_error_by_the_field(live_server, signed_in: Page):
    page = signed_in
    company = CompanyFactory(name="Acme")
    page.goto(live_server.url + company.get_absolute_url())
    page.get_by_label("Email of the contact").fill("nobody@example.com")
    page.get_by_label("Customer Portal permission", exact=True).select_option(label="Access all company's tickets")
    page.get_by_role("button", name="Add member").click()
    expect(page).to_have_title("Error: Acme · Contacts CRM")
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("No contact with this email. Add the contact first.")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Email of the contact")).to_have_value("nobody@example.com")
    expect(page.get_by_label("Email of the contact")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Customer Portal permission", exact=True)).to_have_value("company")
