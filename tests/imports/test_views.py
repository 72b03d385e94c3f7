"""The import pages through the real views and jobs: upload, columns, dry run, Import, results and downloads."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact
from imports.models import ImportRun, ImportStatus
from imports.services import import_files_expire
from jobs.models import Job, JobStatus
from tests.factories import ContactFactory, UserFactory
from tests.imports.support import csv_bytes, dry_run
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db
START = reverse("imports:start")
SHOPIFY_HEADER = (
    (Path(__file__).parent.parent / "fixtures" / "shopify-customers-export-header.csv").read_text().strip().split(",")
)


@pytest.fixture
def staff(client):
    user = UserFactory(username="ann", role="Staff", email="ann@example.com")
    client.force_login(user)
    return client


def upload(client, content: bytes, name: str = "contacts.csv"):
    return client.post(START, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def columns_post(client, run: ImportRun, capture, **data):
    fields = {f"column_{index}": field for index, field in run.mapping.items()}
    with capture(execute=True):
        response = client.post(reverse("imports:columns", args=[run.pk]), {"mode": "update", **fields, **data})
    return response


def run_jobs(capture):
    with capture(execute=True):
        run_queued()


def test_the_contacts_list_offers_import_to_those_who_may_add_contacts(staff, client):
    assert 'href="/contacts/import/"' in staff.get(reverse("customers:list")).text
    client.force_login(UserFactory(username="viewer", role="Viewer"))
    assert 'href="/contacts/import/"' not in client.get(reverse("customers:list")).text


def test_a_person_uploads_chooses_columns_sees_the_dry_run_and_imports(staff, django_capture_on_commit_callbacks):
    ContactFactory(email="old@x.example", first_name="Old", last_name="Name")
    content = csv_bytes(
        [
            SHOPIFY_HEADER,
            [
                "'1",
                "Ann",
                "Lee",
                "ann@x.example",
                "yes",
                "",
                "1 High St",
                "",
                "York",
                "",
                "GB",
                "YO1",
                "",
                "'+447700900123",
                "no",
                "0.00",
                "0",
                "",
                "no",
                "",
            ],
            [
                "'2",
                "Old",
                "Newname",
                "old@x.example",
                "no",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "",
                "no",
                "0.00",
                "0",
                "",
                "no",
                "",
            ],
        ]
    )
    response = upload(staff, content)
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("imports:columns", args=[run.pk])
    page = staff.get(response["Location"]).text
    assert "Choose what each column holds" in page
    assert "UTF-8, separated by commas, 20 columns" in page
    assert '<option value="email" selected>Email</option>' in page
    assert "ann@x.example" in page  # first values shown

    response = columns_post(staff, run, django_capture_on_commit_callbacks)
    assert response["Location"] == reverse("imports:detail", args=[run.pk])
    run.refresh_from_db()
    assert run.status == ImportStatus.CHECKING
    assert "Dry run: checking every row" in staff.get(response["Location"]).text
    run_jobs(django_capture_on_commit_callbacks)
    page = staff.get(response["Location"]).text
    assert "<strong>1</strong> to create" in page
    assert "<strong>1</strong> to update" in page
    assert "Last name: <del>Name</del> → <ins>Newname</ins>" in page
    assert Contact.objects.count() == 1  # the dry run wrote nothing

    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("imports:apply", args=[run.pk]))
    run_jobs(django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert Contact.objects.get(email="old@x.example").last_name == "Newname"
    ann = Contact.objects.get(email="ann@x.example")
    assert (ann.city, ann.postal_code, ann.marketing_consent) == ("York", "YO1", "subscribed")
    page = staff.get(reverse("imports:detail", args=[run.pk])).text
    assert "<strong>1</strong> created" in page
    assert "Download rows not imported" in page
    job = Job.objects.filter(kind="contacts_import_apply").get()
    assert job.summary == "Imported contacts.csv: 1 created, 1 updated, 0 rows not imported."
    # A small import sends no mail.
    assert mail.outbox == []


def test_a_second_import_click_starts_nothing_more(staff, django_capture_on_commit_callbacks):
    upload(staff, csv_bytes([["Email"], ["a@x.example"]]))
    run = ImportRun.objects.get()
    columns_post(staff, run, django_capture_on_commit_callbacks)
    run_jobs(django_capture_on_commit_callbacks)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            staff.post(reverse("imports:apply", args=[run.pk]))
    assert Job.objects.filter(kind="contacts_import_apply").count() == 1


def test_a_big_import_mails_the_person_when_it_ends(staff, settings, django_capture_on_commit_callbacks):
    settings.IMPORT_MAIL_ROWS = 3
    upload(staff, csv_bytes([["Email"], *([f"p{n}@x.example"] for n in range(3))]))
    run = ImportRun.objects.get()
    columns_post(staff, run, django_capture_on_commit_callbacks)
    run_jobs(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("imports:apply", args=[run.pk]))
    run_jobs(django_capture_on_commit_callbacks)
    run_jobs(django_capture_on_commit_callbacks)
    assert [message.subject for message in mail.outbox] == ["Your import of contacts.csv has finished"]
    assert reverse("imports:detail", args=[run.pk]) in mail.outbox[0].body
    assert mail.outbox[0].to == ["ann@example.com"]


def test_the_rows_not_imported_download_with_why(staff, django_capture_on_commit_callbacks):
    content = csv_bytes(
        [
            ["Email", "First name", "Phone"],
            ["bad", "=1+1", ""],
            ["ok@x.example", "Ok", "12"],
            ["fine@x.example", "Fine", ""],
        ]
    )
    upload(staff, content)
    run = ImportRun.objects.get()
    columns_post(staff, run, django_capture_on_commit_callbacks)
    run_jobs(django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(reverse("imports:apply", args=[run.pk]))
    run_jobs(django_capture_on_commit_callbacks)
    response = staff.get(reverse("imports:not_imported", args=[run.pk]))
    assert response["Content-Disposition"] == f'attachment; filename="not-imported-{run.pk}.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["Email", "First name", "Phone", "Why not imported"],
        ["bad", "'=1+1", "", "Enter an email address like name@example.com"],
        [
            "ok@x.example",
            "Ok",
            "12",
            "Imported without: Phone 12 not imported: This number is too short. Enter it with its area code, "
            "like 07700 900123 or +44 7700 900123",
        ],
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "This file is empty; choose the CSV of your contacts"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file holds binary data, so it is not a CSV."),
        (b"Email\r\n", "The file has a header row but no contacts below it."),
    ],
)
def test_a_bad_file_is_refused_next_to_the_field_and_nothing_is_kept(staff, content, message, export_files):
    response = upload(staff, content)
    assert response.status_code == 400
    assert message in response.text
    assert 'id="id_file_error"' in response.text
    assert not ImportRun.objects.exists()
    assert not list(export_files.rglob("*.csv"))


def test_no_file_chosen_says_so(staff):
    response = staff.post(START, {})
    assert response.status_code == 400
    assert "Choose a CSV file to import" in response.text


def test_a_file_over_the_limit_is_refused_with_the_limit(staff, settings):
    settings.IMPORT_MAX_BYTES = 100
    content = csv_bytes([["Email"], *([f"p{n}@x.example"] for n in range(20))])
    response = upload(staff, content)
    assert response.status_code == 400
    assert f"This file is {len(content)}\xa0bytes; an import takes files of up to 100\xa0bytes." in response.text


def test_the_columns_page_refuses_a_mapping_without_email_or_with_a_field_twice_keeping_the_choices(
    staff, django_capture_on_commit_callbacks
):
    upload(staff, csv_bytes([["Mail", "Name", "Name"], ["a@x.example", "Ann", "Annie"]]))
    run = ImportRun.objects.get()
    page = staff.get(reverse("imports:columns", args=[run.pk])).text
    assert "Columns 2, 3 are all called “Name”; choose what each holds." in page
    response = columns_post(
        staff, run, django_capture_on_commit_callbacks, column_1="first_name", column_2="first_name"
    )
    assert response.status_code == 400
    assert "Choose the column that holds the email: it is how contacts are matched." in response.text
    assert "First name is chosen for column 2 (Name) and column 3 (Name); choose one." in response.text
    assert response.text.count('<option value="first_name" selected>') == 2
    run.refresh_from_db()
    assert run.status == ImportStatus.MAPPING
    assert not Job.objects.exists()


def test_duplicate_known_headers_are_named_on_the_columns_page(staff):
    upload(staff, csv_bytes([["Email", "Email"], ["a@x.example", "b@x.example"]]))
    run = ImportRun.objects.get()
    page = staff.get(reverse("imports:columns", args=[run.pk])).text
    assert "Columns 1, 2 are all called “Email”; only column 1 was chosen for you." in page
    assert run.mapping == {"0": "email"}


def test_a_role_that_may_add_but_not_change_contacts_can_only_add(client, django_capture_on_commit_callbacks):
    user = UserFactory(username="adder")
    user.user_permissions.add(Permission.objects.get(codename="add_contact"))
    client.force_login(user)
    upload(client, csv_bytes([["Email"], ["a@x.example"]]))
    run = ImportRun.objects.get()
    response = columns_post(client, run, django_capture_on_commit_callbacks)
    assert response.status_code == 400
    assert "Your role may add contacts but not change them; choose to only add new ones" in response.text
    response = columns_post(client, run, django_capture_on_commit_callbacks, mode="add")
    assert response.status_code == 302


class TestWhoMaySee:
    @pytest.fixture
    def run(self, staff, django_capture_on_commit_callbacks):
        upload(staff, csv_bytes([["Email"], ["a@x.example"]]))
        run = ImportRun.objects.get()
        columns_post(staff, run, django_capture_on_commit_callbacks)
        run_jobs(django_capture_on_commit_callbacks)
        return run

    def urls(self, run):
        return [
            reverse("imports:detail", args=[run.pk]),
            reverse("imports:columns", args=[run.pk]),
            reverse("imports:progress", args=[run.pk]),
            reverse("imports:not_imported", args=[run.pk]),
        ]

    def test_anonymous_visitors_are_sent_to_sign_in(self, run, client):
        client.logout()
        for url in [START, reverse("imports:list"), *self.urls(run)]:
            response = client.get(url)
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/")

    def test_a_viewer_gets_403(self, run, client):
        client.force_login(UserFactory(username="viewer", role="Viewer"))
        for url in [START, reverse("imports:list"), *self.urls(run)]:
            assert client.get(url).status_code == 403, url
        assert client.post(reverse("imports:apply", args=[run.pk])).status_code == 403

    def test_another_staff_member_who_may_not_export_gets_404_and_a_manager_sees_it(self, run, client):
        other = UserFactory(username="bob")
        other.user_permissions.set(Permission.objects.filter(codename__in=["add_contact", "change_contact"]))
        client.force_login(other)
        for url in self.urls(run):
            assert client.get(url).status_code == 404, url
        assert client.post(reverse("imports:apply", args=[run.pk])).status_code == 404
        assert "contacts.csv" not in client.get(reverse("imports:list")).text
        client.force_login(UserFactory(username="boss", role="Manager"))
        assert client.get(reverse("imports:detail", args=[run.pk])).status_code == 200
        assert "contacts.csv" in client.get(reverse("imports:list")).text


@pytest.mark.parametrize("rows", [5, 150])
def test_the_results_page_costs_the_same_queries_for_a_few_rows_or_a_full_page(staff, django_assert_num_queries, rows):
    run = dry_run(
        UserFactory(username="ann"),
        csv_bytes([["Email", "First name"], *([f"p{n}@x.example", "P"] for n in range(rows))]),
    )
    expected = [
        "session",
        "user",
        "the user's own permissions",
        "the user's group permissions",
        "the run with who ran it and its job",
        "one page of row results (one more than shown)",
    ]
    with django_assert_num_queries(len(expected)):
        response = staff.get(reverse("imports:detail", args=[run.pk]))
    assert response.status_code == 200
    assert response.text.count('class="badge badge--import-create"') == min(rows, 100)


def test_a_dry_run_that_stops_says_why_and_can_be_run_again(staff, django_capture_on_commit_callbacks, settings):
    upload(staff, csv_bytes([["Email"], ["a@x.example"]]))
    run = ImportRun.objects.get()
    # The file went (the chore removed it): the job fails with the reason, and the page offers a new dry run.
    ImportRun.objects.filter(pk=run.pk).update(stored_file="")
    columns_post(staff, run, django_capture_on_commit_callbacks)
    run_jobs(django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert run.status == ImportStatus.FAILED
    page = staff.get(reverse("imports:detail", args=[run.pk])).text
    assert f"The file was removed {settings.IMPORT_FILE_DAYS} days after its upload; upload it again" in page
    assert Job.objects.get().status == JobStatus.FAILED


def test_a_run_whose_job_died_can_be_checked_again(staff, django_capture_on_commit_callbacks):
    upload(staff, csv_bytes([["Email"], ["a@x.example"]]))
    run = ImportRun.objects.get()
    columns_post(staff, run, django_capture_on_commit_callbacks)
    # The worker gave up on the job without running it (jobs_recover after too many tries).
    Job.objects.update(status=JobStatus.FAILED, failure_reason="The worker stopped while running it, 3 times")
    page = staff.get(reverse("imports:detail", args=[run.pk])).text
    assert "The worker stopped while running it, 3 times" in page
    assert "Run the dry run again" in page
    response = columns_post(staff, run, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    run_jobs(django_capture_on_commit_callbacks)
    run.refresh_from_db()
    assert (run.status, run.counts["create"]) == (ImportStatus.CHECKED, 1)


def test_uploaded_files_are_removed_after_their_days_and_the_log_stays(staff, export_files, settings):
    upload(staff, csv_bytes([["Email"], ["a@x.example"]]))
    run = ImportRun.objects.get()
    assert import_files_expire() == 0
    assert import_files_expire(now=timezone.now() + timedelta(days=settings.IMPORT_FILE_DAYS, minutes=1)) == 1
    run.refresh_from_db()
    assert run.stored_file == ""
    assert not [path for path in export_files.rglob("*") if path.is_file()]
    assert staff.get(reverse("imports:list")).status_code == 200
