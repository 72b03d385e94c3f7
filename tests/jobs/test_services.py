"""jobs.services: a job is queued after commit, claimed once, stopped by Cancel, and taken up after a dead worker."""

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from customers.services.background import LABEL_ADD
from jobs.models import Job, JobStatus
from jobs.services import JobRun, JobStopped, job_cancel, job_files_expire, job_queue, job_run, jobs_recover
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _job(**fields):
    return Job.objects.create(kind=LABEL_ADD, user=UserFactory(role="Staff"), params={}, **fields)


def test_a_job_reaches_the_engine_only_when_its_transaction_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = job_queue(kind=LABEL_ADD, user=None, params={"label": 1})
    assert DBTaskResult.objects.count() == 0
    callbacks[0]()
    task = DBTaskResult.objects.get()
    assert task.task_path == "jobs.tasks.run_job"
    assert task.args_kwargs["args"] == [job.pk]


def test_an_unknown_kind_is_refused_when_queued():
    with pytest.raises(ValueError, match="No job kind"):
        job_queue(kind="no_such_kind", user=None, params={})


def test_a_job_is_claimed_once_so_a_second_run_does_nothing(monkeypatch):
    job = _job()
    calls = []
    monkeypatch.setattr(
        "jobs.services.kind_of", lambda name: type("K", (), {"run": lambda run: calls.append(1) or "ok"})
    )
    job_run(job.pk)
    job_run(job.pk)
    job.refresh_from_db()
    assert (calls, job.status, job.summary, job.attempts) == ([1], JobStatus.DONE, "ok", 1)


def test_a_cancelled_job_stops_at_its_next_step():
    job = _job(status=JobStatus.RUNNING, run_token="mine")
    run = JobRun(job, "mine")
    run.step(processed=1, cursor={"last": 1})
    assert job_cancel(job=job) is True
    with pytest.raises(JobStopped):
        run.step(processed=2, cursor={"last": 2})
    job.refresh_from_db()
    assert (job.status, job.processed, job.cursor) == (JobStatus.CANCELLED, 1, {"last": 1})
    assert job_cancel(job=job) is False


def test_a_job_whose_worker_fell_silent_is_queued_again_then_failed_after_the_last_attempt(
    settings, django_capture_on_commit_callbacks
):
    settings.JOBS_MAX_ATTEMPTS = 2
    silent = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 1)
    job = _job(status=JobStatus.RUNNING, run_token="dead", heartbeat_at=silent, attempts=1)
    alive = _job(status=JobStatus.RUNNING, run_token="alive", heartbeat_at=timezone.now(), attempts=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_recover() == 1
    job.refresh_from_db()
    assert (job.status, job.run_token) == (JobStatus.QUEUED, "")
    assert DBTaskResult.objects.get().args_kwargs["args"] == [job.pk]
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, heartbeat_at=silent, attempts=2)
    assert jobs_recover() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.failure_reason == "The worker stopped while running it, 2 times; what was done before is kept."
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING


def test_an_older_run_of_a_job_taken_up_again_cannot_write():
    job = _job(status=JobStatus.RUNNING, run_token="old")
    Job.objects.filter(pk=job.pk).update(run_token="new")
    with pytest.raises(JobStopped):
        JobRun(job, "old").step(processed=5, cursor={})


def test_expired_files_are_removed_and_the_job_keeps_its_expiry_date():
    storage = storages["exports"]
    old = _job(status=JobStatus.DONE, result_file=storage.save("old.csv", ContentFile(b"a")), expires_at=timezone.now())
    fresh = _job(
        status=JobStatus.DONE,
        result_file=storage.save("fresh.csv", ContentFile(b"b")),
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert job_files_expire() == "Removed 1 expired job files"
    old.refresh_from_db()
    assert (old.result_file, storage.exists("old.csv"), storage.exists(fresh.result_file)) == ("", False, True)
    assert old.expires_at is not None
