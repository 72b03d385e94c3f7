"""The activity log as staff use it (seed 001: "Write your text in the input field and click Add")."""

import pytest
from playwright.sync_api import Page, expect

from customers.models import Activity
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def open_contact(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True).click()
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name, level=1)).to_be_visible()


def test_add_a_note_then_filter_the_log_to_notes(signed_in: Page):
    contact = ContactFactory(first_name="Ann", last_name="Lee")
    Activity.objects.create(contact=contact, kind="event", event="edited", body="Edited details")
    page = signed_in
    open_contact(page, "Ann Lee")
    activity = page.get_by_role("region", name="Activity")
    activity.get_by_label("Note").fill("Called about the order.\nWill ring back on Monday.")
    activity.get_by_role("button", name="Add note").click()
    entry = activity.get_by_role("listitem").filter(has_text="Called about the order.")
    expect(entry).to_contain_text("Note by Dana Demo")
    expect(activity.get_by_label("Note")).to_have_value("")

    activity.get_by_role("link", name="Notes").click()
    expect(activity.get_by_role("link", name="Notes")).to_have_attribute("aria-current", "true")
    expect(activity.get_by_text("Edited details")).to_have_count(0)
    expect(activity.get_by_text("Will ring back on Monday.")).to_be_visible()


def test_a_note_with_a_script_tag_shows_as_text(signed_in: Page):
    ContactFactory(first_name="Ann", last_name="Lee")
    page = signed_in
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_contact(page, "Ann Lee")
    activity = page.get_by_role("region", name="Activity")
    activity.get_by_label("Note").fill('<script>alert("hi")</script><img src=x onerror=alert(1)>')
    activity.get_by_role("button", name="Add note").click()
    expect(activity.get_by_text('<script>alert("hi")</script><img src=x onerror=alert(1)>')).to_be_visible()
    page.reload()
    expect(activity.get_by_text('<script>alert("hi")</script>', exact=False)).to_be_visible()
    assert dialogs == []


def test_show_more_loads_older_entries(signed_in: Page):
    contact = ContactFactory(first_name="Ann", last_name="Lee")
    Activity.objects.bulk_create(Activity(contact=contact, kind="note", body=f"Entry {index}") for index in range(60))
    page = signed_in
    open_contact(page, "Ann Lee")
    activity = page.get_by_role("region", name="Activity")
    expect(activity.get_by_role("listitem").filter(has_text="Entry")).to_have_count(50)
    activity.get_by_role("link", name="Show more").click()
    expect(activity.get_by_role("listitem").filter(has_text="Entry")).to_have_count(60)
    expect(activity.get_by_role("link", name="Show more")).to_have_count(0)
