"""Importing contacts as staff do it: a Shopify export of a few hundred rows uploaded, its columns checked, the dry
run read (counts, a row's changes), Import pressed, and the rows that did not go in downloaded; a real worker runs
both jobs."""

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from customers.models import Contact, Source
from tests.factories import ContactFactory
from tests.imports.support import csv_bytes
from tests.jobs.support import worker_process, worker_stop

pytestmark = pytest.mark.django_db(transaction=True)
FIXTURES = Path(__file__).parent.parent / "fixtures"
HEADER = (FIXTURES / "shopify-customers-export-header.csv").read_text().strip().split(",")


def shopify_row(number: int, email: str, first: str, last: str, phone: str = "", tags: str = "") -> list[str]:
    values = dict.fromkeys(HEADER, "")
    values.update(
        {
            "Customer ID": f"'{7000 + number}",
            "First Name": first,
            "Last Name": last,
            "Email": email,
            "Accepts Email Marketing": "yes" if number % 3 == 0 else "no",
            "Default Address City": "York",
            "Default Address Country Code": "GB",
            "Phone": phone,
            "Total Spent": "10.00",
            "Total Orders": "1",
            "Tax Exempt": "no",
            "Tags": tags,
        }
    )
    return list(values.values())


def test_a_shopify_export_is_checked_in_a_dry_run_imported_and_its_failed_rows_downloaded(
    signed_in: Page, tmp_path, export_files
):
    ContactFactory(email="existing@shop.example", first_name="Old", last_name="Surname")
    rows = [HEADER]
    rows += [shopify_row(n, f"buyer{n}@shop.example", f"Buyer{n}", "Lee", tags="vip") for n in range(297)]
    rows.append(shopify_row(297, "existing@shop.example", "Old", "Newsurname"))
    rows.append(shopify_row(298, "not-an-email", "No", "Email"))
    rows.append(shopify_row(299, "phone@shop.example", "Bad", "Phone", phone="12"))
    path = tmp_path / "customers_export.csv"
    path.write_bytes(csv_bytes(rows))

    page = signed_in
    worker = worker_process(env={"EXPORT_ROOT": str(export_files)})
    try:
        page.get_by_text("Actions", exact=True).click()
        page.get_by_role("link", name="Import contacts").click()
        expect(page.get_by_role("heading", name="Import contacts", level=1)).to_be_visible()
        page.get_by_label("CSV file").set_input_files(path)
        page.get_by_role("button", name="Upload and choose columns").click()

        expect(page.get_by_role("heading", name="Choose what each column holds")).to_be_visible()
        expect(page.get_by_label("Import Email as")).to_have_value("email")
        expect(page.get_by_label("Import Tags as")).to_have_value("labels")
        expect(page.get_by_label("Import Total Spent as")).to_have_value("")
        page.get_by_label("Update existing contacts").check()
        page.get_by_label("Create the labels and companies the file names that do not exist yet").check()
        page.get_by_role("button", name="Start dry run").click()

        # The page polls the job and reloads itself with the results.
        expect(page.get_by_role("main")).to_contain_text("300 rows", timeout=60_000)
        main = page.get_by_role("main")
        expect(main).to_contain_text("298 to create")
        expect(main).to_contain_text("1 to update")
        expect(main).to_contain_text("1 error")
        assert Contact.objects.count() == 1
        page.get_by_role("navigation", name="Rows by result").get_by_role("link", name="To update").click()
        table = page.get_by_role("table", name="Rows of customers_export.csv")
        expect(table).to_contain_text("existing@shop.example")
        expect(table).to_contain_text("Last name: Surname → Newsurname")

        page.get_by_role("button", name="Import", exact=True).click()
        expect(page.get_by_role("heading", name="Imported customers_export.csv")).to_be_visible(timeout=60_000)
        expect(main).to_contain_text("298 created")
        expect(main).to_contain_text("1 updated")
    finally:
        worker_stop(worker)

    assert Contact.objects.filter(source=Source.IMPORT).count() == 298
    assert Contact.objects.get(email="existing@shop.example").last_name == "Newsurname"
    with page.expect_download() as info:
        page.get_by_role("link", name="Download rows not imported").click()
    with Path(info.value.path()).open(encoding="utf-8", newline="") as file:
        failed = list(csv.reader(file))
    assert failed[0][-1] == "Why not imported"
    assert [(row[3], row[-1][:30]) for row in failed[1:]] == [
        ("not-an-email", "Enter an email address like na"),
        ("phone@shop.example", "Imported without: Phone 12 not"),
    ]
