"""Managing labels and labelling a contact, as a member of staff does it, in a real browser."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_rename_use_and_delete_a_label(live_server, signed_in: Page):
    page = signed_in
    contact = ContactFactory(first_name="Ann", last_name="Lee")
    nav = page.get_by_role("navigation", name="Main")
    main = page.get_by_role("main")

    nav.get_by_role("link", name="Labels", exact=True).click()
    expect(nav.get_by_role("link", name="Labels", exact=True)).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Create your first label")).to_be_visible()
    page.get_by_role("link", name="Add label").click()
    page.get_by_label("Name").fill("VIP")
    page.get_by_label("Purple").check()
    page.get_by_role("button", name="Create").click()
    expect(main).to_contain_text("Label VIP created.")
    expect(page.get_by_role("row", name="VIP Purple 0")).to_be_visible()

    page.get_by_role("link", name="Edit label VIP").click()
    expect(page.get_by_role("heading", name="Edit label “VIP”")).to_be_visible()
    page.get_by_label("Name").fill("Very important")
    page.get_by_role("button", name="Save").click()
    expect(main).to_contain_text("Label Very important saved.")

    page.goto(live_server.url + contact.get_absolute_url())
    labels_box = page.get_by_role("region", name="Labels")
    expect(labels_box).to_contain_text("No labels.")
    labels_box.get_by_label("Label", exact=True).fill("very important")
    labels_box.get_by_role("button", name="Add label").click()
    remove = labels_box.get_by_role("button", name="Remove label Very important")
    expect(remove).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Label Very important added.")
    expect(labels_box.get_by_label("Label", exact=True)).to_be_focused()

    remove.click()
    expect(labels_box).to_contain_text("No labels.")
    expect(page.get_by_role("status")).to_have_text("Label Very important removed.")

    nav.get_by_role("link", name="Labels", exact=True).click()
    page.get_by_role("link", name="Delete label Very important").click()
    expect(page.get_by_role("heading", name="Delete label “Very important”?")).to_be_visible()
    expect(main).to_contain_text("No contacts have this label.")
    page.get_by_role("button", name="Delete label").click()
    expect(main).to_contain_text("Label Very important deleted; removed from 0 contacts.")
    expect(page.get_by_role("heading", name="Create your first label")).to_be_visible()
