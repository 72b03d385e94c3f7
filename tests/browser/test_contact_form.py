"""Adding and editing a customer as staff do it (seed 000), in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from companies.models import Company
from customers.models import Contact, Stage
from tests.factories import CompanyFactory
from tests.images import png_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def open_add_customer(page: Page) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    # The empty list offers the same link again in its first-use state; the header one is first.
    page.get_by_role("link", name="Add customer").first.click()
    expect(page.get_by_role("heading", name="Add customer", level=1)).to_be_visible()


def test_seed_000_add_a_customer_with_an_image_a_company_and_two_numbers(signed_in: Page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    CompanyFactory(name="Acme Trading")
    photo = tmp_path / "ann.png"
    photo.write_bytes(png_bytes(size=(400, 300)))
    page = signed_in
    open_add_customer(page)
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email").fill("ann@example.com")
    # "Click + Add under Contact Image", then "Upload new image".
    page.get_by_role("group", name="Contact image").get_by_text("+ Add", exact=True).click()
    page.get_by_label("Upload new image").set_input_files(photo)
    # "Click + Add Company and select the relevant company", then set its Customer Portal permission.
    page.get_by_role("button", name="+ Add company").click()
    # The combobox role comes once htmx has taken the new row in, so typing now fetches suggestions.
    company = page.get_by_role("combobox", name="Company 1", exact=True)
    expect(company).to_be_focused()
    company.press_sequentially("Acme")
    page.get_by_role("option", name="Acme Trading").click()
    expect(company).to_have_value("Acme Trading")
    permission = page.get_by_label("Customer Portal permission for company 1")
    expect(permission).to_have_value("inherit")
    permission.select_option(label="Access all company's tickets")
    page.get_by_label("Phone number 1", exact=True).fill("07400 123456")
    page.get_by_label("Label for phone number 1").fill("mobile")
    page.get_by_role("button", name="Add Another Number").click()
    expect(page.get_by_label("Phone number 2", exact=True)).to_be_focused()
    expect(page.get_by_label("Phone number 1", exact=True)).to_have_value("07400 123456")
    # Adding rows swaps only those rows, so the chosen company and image are still there.
    expect(company).to_have_value("Acme Trading")
    page.get_by_label("Phone number 2", exact=True).fill("(020) 7183-8750")
    page.get_by_label("Label for phone number 2").fill("work")
    page.get_by_label("Address line 1").fill("1 High Street")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_label("Postcode").fill("LS1 1AA")
    page.get_by_label("Country").fill("GB")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    image = page.get_by_role("img", name="Image of Ann Lee")
    expect(image).to_be_visible()
    # Visible comes before loaded: wait for the picture itself, then check it decoded.
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => img.naturalWidth") > 0
    details = page.get_by_role("region", name="Contact", exact=True)
    expect(details.get_by_role("link", name="+44 7400 123456")).to_have_attribute("href", "tel:+447400123456")
    expect(details.get_by_role("link", name="+44 20 7183 8750")).to_have_attribute("href", "tel:+442071838750")
    expect(details).to_contain_text("1 High Street")
    expect(details).to_contain_text("Leeds LS1 1AA")
    companies = page.get_by_role("region", name="Companies")
    expect(companies.get_by_role("link", name="Acme Trading")).to_be_visible()
    expect(companies).to_contain_text("Overridden: Access all company's tickets")
    contact = Contact.objects.get(email="ann@example.com")
    assert contact.image
    assert contact.phones.count() == 2


def test_a_new_company_chosen_to_be_created_is_created_and_can_be_removed_again(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    page.get_by_label("Email").fill("bob@example.com")
    page.get_by_role("button", name="+ Add company").click()
    page.get_by_role("combobox", name="Company 1", exact=True).press_sequentially("Brand New Ltd")
    page.get_by_role("option", name="Create company “Brand New Ltd”").click()
    expect(page.locator("#companies")).to_contain_text("A new company “Brand New Ltd” will be created when you save.")
    page.get_by_role("button", name="+ Add company").click()
    page.get_by_label("Company 2", exact=True).fill("Second Co")
    page.get_by_role("button", name="Remove company 2").click()
    expect(page.get_by_label("Company 2", exact=True)).to_have_count(0)
    expect(page.get_by_label("Company 1", exact=True)).to_have_value("Brand New Ltd")
    page.get_by_role("button", name="Create").click()
    companies = page.get_by_role("region", name="Companies")
    expect(companies).to_contain_text("As set in the Company Page: Access personal tickets only")
    expect(companies.get_by_role("link", name="Brand New Ltd")).to_be_visible()


def test_an_email_is_enough_and_makes_a_lead(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    page.get_by_label("Email").fill("only@example.com")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="only@example.com", level=1)).to_be_visible()
    expect(page.get_by_text("Lead", exact=True)).to_be_visible()
    assert Contact.objects.get(email="only@example.com").stage == Stage.LEAD


def test_a_bad_phone_number_keeps_everything_typed(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_label("Phone number 1", exact=True).fill("call me")
    page.get_by_label("Town or city").fill("Leeds")
    page.get_by_role("button", name="Create").click()

    expect(page).to_have_title("Error: Add customer · Contacts CRM")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    summary.get_by_role("link", name="Enter a phone number like 07700 900123 or +44 7700 900123").click()
    expect(page.get_by_label("Phone number 1", exact=True)).to_be_focused()
    expect(page.get_by_label("Phone number 1", exact=True)).to_have_value("call me")
    expect(page.get_by_label("First name")).to_have_value("Ann")
    expect(page.get_by_label("Town or city")).to_have_value("Leeds")
    assert not Contact.objects.exists()


def test_edit_locks_the_details_and_staff_can_unlock_them(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Last name").fill("Lee")
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_role("button", name="Create").click()

    page.get_by_role("link", name="Edit Ann Lee").click()
    expect(page.get_by_role("heading", name="Edit Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Ann")
    page.get_by_label("Last name").fill("Smith")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", name="Ann Smith", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Changes saved.")
    expect(page.get_by_text("Details locked", exact=True)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Later orders will not overwrite the name, address or phones")
    page.get_by_role("button", name="Unlock details").click()
    expect(page.get_by_role("main")).to_contain_text("Details unlocked.")
    expect(page.get_by_text("Details locked", exact=True)).to_have_count(0)


def open_company_row(page: Page):
    page.get_by_role("button", name="+ Add company").click()
    return page.get_by_role("combobox", name="Company 1", exact=True)


def test_typing_a_company_name_and_pressing_enter_neither_submits_nor_creates(signed_in: Page):
    CompanyFactory(name="Newton PLC")
    page = signed_in
    open_add_customer(page)
    page.get_by_label("Email").fill("ann@example.com")
    company = open_company_row(page)
    company.press_sequentially("Newton")
    listbox = page.get_by_role("listbox", name="Companies for company 1")
    expect(listbox.get_by_role("option")).to_have_text(["Newton PLC", "Create company “Newton”"])
    expect(company).to_have_attribute("aria-expanded", "true")
    company.press("Enter")
    # Nothing highlighted: Enter does nothing at all.
    expect(page.get_by_role("heading", name="Add customer", level=1)).to_be_visible()
    expect(company).to_have_value("Newton")
    expect(page.locator("#error-summary")).to_have_count(0)
    assert not Contact.objects.exists()
    assert list(Company.objects.values_list("name", flat=True)) == ["Newton PLC"]

    # The arrow keys move through the suggestions, announced through aria-activedescendant.
    company.press("ArrowDown")
    first = listbox.get_by_role("option", name="Newton PLC")
    expect(first).to_have_attribute("aria-selected", "true")
    expect(company).to_have_attribute("aria-activedescendant", first.get_attribute("id"))
    company.press("ArrowDown")
    expect(listbox.get_by_role("option", name="Create company “Newton”")).to_have_attribute("aria-selected", "true")
    company.press("ArrowUp")
    company.press("Enter")
    expect(company).to_have_value("Newton PLC")
    expect(company).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_role("heading", name="Add customer", level=1)).to_be_visible()
    assert not Contact.objects.exists()

    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="ann@example.com", level=1)).to_be_visible()
    assert list(Company.objects.values_list("name", flat=True)) == ["Newton PLC"]
    assert Contact.objects.get().companies.get().name == "Newton PLC"


def test_an_exact_name_in_another_case_picks_the_existing_company(signed_in: Page):
    CompanyFactory(name="Newton PLC")
    page = signed_in
    open_add_customer(page)
    page.get_by_label("Email").fill("ann@example.com")
    company = open_company_row(page)
    company.fill("newton plc")
    page.get_by_role("button", name="Create").click()
    companies = page.get_by_role("region", name="Companies")
    expect(companies.get_by_role("link", name="Newton PLC")).to_be_visible()
    assert Company.objects.count() == 1


def test_an_unknown_name_offers_the_closest_and_only_choosing_create_makes_it(signed_in: Page):
    CompanyFactory(name="Newton PLC")
    page = signed_in
    open_add_customer(page)
    page.get_by_label("Email").fill("ann@example.com")
    company = open_company_row(page)
    company.fill("Newton")
    page.get_by_role("button", name="Create").click()

    expect(page).to_have_title("Error: Add customer · Contacts CRM")
    message = "No company called “Newton”. Choose one of: Newton PLC or choose Create company “Newton”"
    expect(page.get_by_role("alert")).to_contain_text(message)
    expect(company).to_have_value("Newton")
    offer = page.get_by_role("group", name="Choose a company for company 1")
    expect(offer.get_by_role("radio")).to_have_count(2)
    assert not Contact.objects.exists()
    offer.get_by_label("Create company “Newton”").check()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="ann@example.com", level=1)).to_be_visible()
    assert sorted(Company.objects.values_list("name", flat=True)) == ["Newton", "Newton PLC"]


def test_the_add_form_opens_with_the_cursor_in_first_name(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    expect(page.get_by_label("First name")).to_be_focused()


def test_a_long_first_name_is_not_cut_by_the_browser_and_the_server_names_the_limit(signed_in: Page):
    page = signed_in
    open_add_customer(page)
    # fill() types as a paste does; a maxlength attribute would have cut it to 150.
    page.get_by_label("First name").fill("A" * 200)
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("alert")).to_contain_text("First name must be 150 characters or fewer (it has 200)")
    expect(page.get_by_label("First name")).to_have_value("A" * 200)
    assert not Contact.objects.exists()


def test_a_chosen_image_survives_an_error_and_is_saved_with_the_contact(signed_in: Page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    photo = tmp_path / "ann.png"
    photo.write_bytes(png_bytes(size=(400, 300)))
    page = signed_in
    open_add_customer(page)
    page.get_by_label("First name").fill("Ann")
    page.get_by_label("Email").fill("not an email")
    page.get_by_role("group", name="Contact image").get_by_text("+ Add", exact=True).click()
    page.get_by_label("Upload new image").set_input_files(photo)
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("alert")).to_contain_text("Enter an email address like name@example.com")
    image = page.get_by_role("group", name="Contact image")
    expect(image).to_contain_text("Image chosen: kept — it will be saved with the contact")
    expect(image.get_by_label("Remove the chosen image")).not_to_be_checked()
    page.get_by_label("Email").fill("ann@example.com")
    page.get_by_role("button", name="Create").click()

    expect(page.get_by_role("heading", name="Ann", level=1)).to_be_visible()
    shown = page.get_by_role("img", name="Image of Ann")
    expect(shown).to_be_visible()
    expect(shown).to_have_js_property("complete", True)
    assert shown.evaluate("img => img.naturalWidth") > 0
    assert Contact.objects.get().image
    assert not list((tmp_path / "media" / "pending-images").iterdir())
