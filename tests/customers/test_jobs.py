"""customers/jobs.py through its entry points: the export page and the list's bulk actions queue jobs past the
threshold; the worker runs them; each is the same whether run once, twice, or taken up again mid-way."""

import pytest
from django.core import mail
from django.core.files.storage import storages
from django.urls import reverse

from customers.models import Activity, Contact, ExportLog
from jobs.models import Job, JobStatus, OutboxMail
from tests.customers.support.export import EXPORT, body_of, rows_of
from tests.factories import ContactFactory, LabelFactory, UserFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = UserFactory(username="ann", role="Staff", email="ann@example.com")
    client.force_login(user)
    return client


def _export(client, capture, **data):
    with capture(execute=True):
        return client.post(EXPORT, {"download": "1", "columns": "full", "scope": "all", **data})


class TestExportJob:
    def test_past_the_threshold_the_export_becomes_a_job_whose_file_matches_the_download(
        self, staff, settings, django_capture_on_commit_callbacks
    ):
        ContactFactory.create_batch(5)
        streamed = body_of(staff.post(EXPORT, {"download": "1", "columns": "full", "scope": "all"}))
        settings.EXPORT_BACKGROUND_THRESHOLD = 4
        response = _export(staff, django_capture_on_commit_callbacks)
        job = Job.objects.get()
        assert response.status_code == 302
        assert response["Location"] == reverse("jobs:list") + f"#job-{job.pk}"
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        job.refresh_from_db()
        assert (job.status, job.processed, job.total, job.percent) == (JobStatus.DONE, 5, 5, 100)
        assert job.summary == f"Exported 5 contacts to {job.result_name}."
        with storages["exports"].open(job.result_file) as file:
            assert rows_of(file.read().decode()) == rows_of(streamed)
        log = ExportLog.objects.order_by("-pk").first()
        assert (log.row_count, log.filters["finished"], log.filters["job"]) == (5, True, job.pk)
        followed = staff.get(reverse("jobs:list"))
        assert f"Download {job.result_name}" in followed.text
        download = staff.get(reverse("jobs:download", args=[job.pk]))
        assert download.status_code == 200
        assert rows_of(b"".join(download.streaming_content).decode()) == rows_of(streamed)
        # The worker sent the mail saying it is ready, with the link.
        assert [message.subject for message in mail.outbox] == ["Your export is ready"]
        assert reverse("jobs:download", args=[job.pk]) in mail.outbox[0].body

    def test_the_tick_sends_any_size_to_the_background(self, staff, django_capture_on_commit_callbacks):
        ContactFactory.create_batch(2)
        response = _export(staff, django_capture_on_commit_callbacks, background="on")
        assert response.status_code == 302
        assert Job.objects.get().total == 2

    def test_run_twice_one_file_one_mail(self, staff, settings, django_capture_on_commit_callbacks):
        ContactFactory.create_batch(3)
        _export(staff, django_capture_on_commit_callbacks, background="on")
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        job = Job.objects.get()
        first = storages["exports"].open(job.result_file).read()
        Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED)
        from jobs.services import job_run

        with django_capture_on_commit_callbacks(execute=True):
            job_run(job.pk)
            run_queued()
        job.refresh_from_db()
        assert storages["exports"].open(job.result_file).read() == first
        assert sorted(storages["exports"].listdir("")[1]) == [job.result_file]
        assert OutboxMail.objects.count() == 1
        assert len(mail.outbox) == 1

    def test_another_person_and_a_viewer_without_the_kind_get_no_file(
        self, staff, client, django_capture_on_commit_callbacks
    ):
        ContactFactory()
        _export(staff, django_capture_on_commit_callbacks, background="on")
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        job = Job.objects.get()
        client.force_login(UserFactory(username="bob", role="Manager"))
        assert client.get(reverse("jobs:download", args=[job.pk])).status_code == 404
        assert client.get(reverse("jobs:row", args=[job.pk])).status_code == 404
        assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == 404
        client.logout()
        response = client.get(reverse("jobs:download", args=[job.pk]))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def _bulk(client, capture, **data):
    with capture(execute=True):
        return client.post(reverse("customers:bulk"), {"scope": "matching", "query": "", **data})


class TestBulkJobs:
    def test_a_large_label_add_runs_as_a_job_and_a_rerun_from_its_cursor_adds_nothing_twice(
        self, staff, settings, django_capture_on_commit_callbacks
    ):
        settings.BULK_JOB_THRESHOLD = 3
        contacts = ContactFactory.create_batch(5)
        label = LabelFactory(name="VIP")
        response = _bulk(staff, django_capture_on_commit_callbacks, label=label.pk, action="add_label")
        assert response.status_code == 302
        assert not label.contacts.exists()
        job = Job.objects.get()
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        job.refresh_from_db()
        assert job.summary == "Label VIP added to 5 contacts."
        assert set(label.contacts.values_list("pk", flat=True)) == {contact.pk for contact in contacts}
        added = Activity.objects.filter(event="label_added").count()
        assert added == 5
        # Taken up again as if its worker died after the second contact: it goes on from its cursor.
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.QUEUED, cursor={"last": contacts[1].pk, "changed": 2, "processed": 2}
        )
        from jobs.services import job_run

        job_run(job.pk)
        assert Activity.objects.filter(event="label_added").count() == added
        assert label.contacts.count() == 5

    def test_a_small_label_add_still_happens_at_once(self, staff, django_capture_on_commit_callbacks):
        ContactFactory.create_batch(2)
        label = LabelFactory(name="VIP")
        _bulk(staff, django_capture_on_commit_callbacks, label=label.pk, action="add_label")
        assert label.contacts.count() == 2
        assert not Job.objects.exists()

    def test_a_job_acts_on_what_the_selection_means_when_it_runs_and_says_so(
        self, staff, settings, django_capture_on_commit_callbacks
    ):
        settings.BULK_JOB_THRESHOLD = 2
        contacts = ContactFactory.create_batch(3)
        label = LabelFactory(name="VIP")
        _bulk(staff, django_capture_on_commit_callbacks, label=label.pk, action="add_label")
        contacts[0].delete()
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        assert Job.objects.get().summary == (
            "Label VIP added to 2 contacts."
            " The selection matched 2 contacts when the job ran (3 when it was asked for)."
        )

    def test_a_large_delete_runs_as_a_job_under_one_moment(self, client, settings, django_capture_on_commit_callbacks):
        settings.BULK_JOB_THRESHOLD = 2
        client.force_login(UserFactory(role="Manager"))
        ContactFactory.create_batch(3)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("customers:bulk_delete"), {"scope": "matching", "query": "", "confirm": "1", "count": "3"}
            )
        assert response.status_code == 302
        assert Contact.objects.live().count() == 3
        with django_capture_on_commit_callbacks(execute=True):
            run_queued()
        assert Contact.objects.live().count() == 0
        assert Contact.objects.values("deleted_at").distinct().count() == 1
        assert Job.objects.get().summary == "3 contacts moved to the Trash."


class TestJobsThatCannotRun:
    def _queued_label_job(self, staff, settings, capture):
        settings.BULK_JOB_THRESHOLD = 1
        ContactFactory.create_batch(2)
        label = LabelFactory(name="VIP")
        _bulk(staff, capture, label=label.pk, action="remove_label")
        return label, Job.objects.get()

    def test_a_label_deleted_before_the_job_ran_fails_it_with_the_reason(
        self, staff, settings, django_capture_on_commit_callbacks
    ):
        label, job = self._queued_label_job(staff, settings, django_capture_on_commit_callbacks)
        label.delete()
        run_queued()
        job.refresh_from_db()
        assert (job.status, job.failure_reason) == (
            JobStatus.FAILED,
            "The label was deleted before the job ran, so no contact was changed.",
        )

    def test_a_job_whose_asker_left_is_not_run(self, staff, settings, django_capture_on_commit_callbacks):
        _label, job = self._queued_label_job(staff, settings, django_capture_on_commit_callbacks)
        type(job.user).objects.filter(pk=job.user_id).update(is_active=False)
        run_queued()
        job.refresh_from_db()
        assert job.failure_reason == "The person who asked for it no longer has an active account, so it was not run."
        assert not Activity.objects.filter(event="label_removed").exists()
