"""Exporting contacts as a member of staff does it, in a real browser: the download is read back with csv."""

import csv
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


def test_export_the_one_ticked_contact_from_the_bulk_bar(live_server, signed_in: Page):
    page = signed_in
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@shop.example")
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@shop.example")
    page.reload()
    page.get_by_role("checkbox", name="Select Ann Lee").check()
    expect(page.get_by_text("1 selected")).to_be_visible()
    page.get_by_role("region", name="Bulk actions").get_by_role("button", name="Export contacts").click()

    expect(page.get_by_role("heading", name="Export contacts", level=1)).to_be_visible()
    page.get_by_label("The 1 selected contact").check()
    expect(page.get_by_label("Full")).to_be_checked()
    with page.expect_download() as info:
        page.get_by_role("button", name="Export", exact=True).click()
    download = info.value

    assert download.suggested_filename == f"contacts-{timezone.localdate().isoformat()}.csv"
    rows = read_csv(Path(download.path()))
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["Contact ID"], row["First name"], row["Last name"], row["Email"]) == (
        str(ann.pk),
        "Ann",
        "Lee",
        "ann.lee@shop.example",
    )
    log = ExportLog.objects.get()
    assert (log.scope, log.row_count, log.user.username) == ("selected", 1, "demo")


def test_export_what_the_list_shows_from_the_header_link(live_server, signed_in: Page):
    page = signed_in
    ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@shop.example")
    ContactFactory(first_name="Zoë", last_name="Leeds", email="zoe@shop.example")
    ContactFactory(first_name="Bob", last_name="Ray", email="bob.ray@other.example")
    page.reload()
    page.get_by_label("Search contacts").fill("lee")
    expect(page.get_by_role("link", name="Bob Ray")).to_have_count(0)
    # The header's link was swapped along with the results, so it carries the search.
    page.get_by_role("link", name="Export contacts").click()

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
