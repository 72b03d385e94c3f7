"""Exporting contacts as a member of staff does it, in a real browser: the download is read back with csv."""

import csv
import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import ExportLog
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db(transaction=True)


def read_csv(path: Path, *, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(newline="", encoding=encoding) as file:
        return list(csv.reader(file))


def export_controls(page: Page):
    """Every button or link on the page whose name says Export, whether or not its menu is open."""
    return page.get_by_role("button", name=EXPORT, include_hidden=True).or_(
        page.get_by_role("link", name=EXPORT, include_hidden=True)
    )


EXPORT = re.compile(r"\bExport\b")


def test_export_the_one_ticked_contact_from_the_upper_right_actions(live_server, signed_in: Page):
    """Help article 002: tick the box, Actions in the upper-right corner, choose selected, Export."""
    page = signed_in
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@shop.example")
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@shop.example")
    page.reload()
    page.get_by_role("checkbox", name="Select Ann Lee").check()
    expect(page.get_by_text("1 selected", exact=True)).to_be_visible()
    # One Export control on the page, the header's, and it says what it will act on.
    expect(export_controls(page)).to_have_count(1)
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Export 1 selected contact").click()

    expect(page.get_by_role("heading", name="Export contacts", level=1)).to_be_visible()
    expect(page.get_by_label("The 1 selected contact")).to_be_checked()
    expect(page.get_by_label("Full")).to_be_checked()
    downloads = []
    page.on("download", lambda download: downloads.append(download))
    export = page.get_by_role("button", name="Export", exact=True)
    with page.expect_download() as info:
        export.click()
        # A person's double click: the second press comes a moment later, once the first is on its way.
        # (Forced: the button now says it is disabled, but a mouse can still press it.)
        page.wait_for_timeout(250)
        export.click(force=True)
    download = info.value

    filename = f"contacts-{timezone.localdate().isoformat()}.csv"
    assert download.suggested_filename == filename
    expect(page.get_by_role("main").get_by_text(f"Your download has started: {filename}.")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Your download has started: {filename}.")
    rows = read_csv(Path(download.path()))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Contact ID"], row["First name"], row["Last name"], row["Email"]) == (
        str(ann.pk),
        "Ann",
        "Lee",
        "ann.lee@shop.example",
    )
    # The second click of the double click started nothing: give a second request time to arrive.
    page.wait_for_timeout(1500)
    assert len(downloads) == 1
    log = ExportLog.objects.get()
    assert (log.scope, log.row_count, log.user.username) == ("selected", 1, "demo")


def test_the_actions_menu_opens_from_the_keyboard_and_esc_closes_it(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee")
    page.reload()
    actions = page.get_by_text("Actions", exact=True)
    actions.focus()
    page.keyboard.press("Enter")
    export = page.get_by_role("button", name="Export contacts")
    expect(export).to_be_visible()
    page.keyboard.press("Tab")
    expect(export).to_be_focused()
    page.keyboard.press("Escape")
    expect(export).to_be_hidden()
    expect(actions).to_be_focused()


def test_with_nothing_ticked_the_actions_export_offers_what_the_list_shows(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@shop.example")
    ContactFactory(first_name="Zoë", last_name="Leeds", email="zoe@shop.example")
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@other.example")
    page.reload()
    page.get_by_label("Search contacts").fill("lee")
    expect(page.get_by_role("link", name="Bob Ray")).to_have_count(0)
    # The header's menu posts the selection form swapped in with the results, so it carries the search.
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Export contacts").click()

    expect(page.get_by_label("All 2 contacts that match")).to_be_checked()
    expect(page.get_by_role("list", name="Filters in use")).to_contain_text("Search: lee")
    page.get_by_label("Shopify-compatible").check()
    page.get_by_label("Add a byte-order mark (for Excel)").check()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export", exact=True).click()

    path = Path(info.value.path())
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(path, encoding="utf-8-sig")
    assert rows[0][:4] == ["Customer ID", "First Name", "Last Name", "Email"]
    assert sorted(row[3] for row in rows[1:]) == ["ann.lee@shop.example", "zoe@shop.example"]
    assert {row[1] for row in rows[1:]} == {"Ann", "Zoë"}

    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("Search contacts")).to_have_value("lee")
