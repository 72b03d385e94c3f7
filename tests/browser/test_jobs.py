"""A big export as staff meet it: it becomes a job, the Jobs page's bar fills to 100% as a real worker
process runs it, and the file downloads from there."""

import csv
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from jobs.models import Job
from tests.factories import ContactFactory
from tests.jobs.support import worker_process, worker_stop

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_export_above_the_threshold_runs_as_a_job_and_downloads_from_the_jobs_page(
    signed_in: Page, settings, export_files
):
    settings.EXPORT_BACKGROUND_THRESHOLD = 3
    for number in range(5):
        ContactFactory(first_name=f"Ann{number}", last_name="Lee", email=f"ann{number}@shop.example")
    page = signed_in
    page.reload()
    page.get_by_text("Actions", exact=True).click()
    page.get_by_role("button", name="Export contacts").click()

    choice = page.get_by_label("All contacts (prepared in the background)")
    expect(choice).to_be_checked()
    expect(page.get_by_role("main")).to_contain_text("Up to 3 contacts, it starts downloading at once")
    page.get_by_role("button", name="Export", exact=True).click()

    expect(page.get_by_role("heading", name="Jobs", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Your export of more than 3 contacts is being prepared")
    job = Job.objects.get()
    bar = page.get_by_role("progressbar", name=f"Progress of export contacts {job.pk}")
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("1 running")

    worker = worker_process(env={"EXPORT_ROOT": str(export_files)})
    try:
        # htmx polls the row every second; no reload.
        expect(bar).to_have_attribute("value", "100", timeout=30_000)
    finally:
        worker_stop(worker)
    row = page.get_by_role("row").filter(has=bar)
    expect(row).to_contain_text("Done")
    expect(row).to_contain_text("Exported 5 contacts")
    with page.expect_download() as info:
        row.get_by_role("link", name="Download").click()
    with Path(info.value.path()).open(encoding="utf-8", newline="") as file:
        rows = list(csv.reader(file))
    assert sorted(row[3] for row in rows[1:]) == [f"ann{number}@shop.example" for number in range(5)]
