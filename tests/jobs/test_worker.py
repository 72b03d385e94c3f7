"""The engine end to end: a real `manage.py worker` process on this test's database (SQLite or PostgreSQL).

It runs a queued export; killed with SIGKILL in the middle of a label job, a second worker takes the job up
from its last committed batch and leaves no duplicate label or timeline entry; on PostgreSQL it survives
its database connections being cut while it waits, as a database restart does.
"""

import signal
import time

import pytest
from django.core.files.storage import storages
from django.db import connection
from django.utils import timezone

from customers.models import Activity, Contact, Label
from customers.selection import ContactSelection
from customers.services.background import export_job_queue, label_job_queue
from jobs.models import Job, JobStatus
from tests.factories import ContactFactory, UserFactory
from tests.jobs.support import worker_process, worker_stop

pytestmark = pytest.mark.django_db(transaction=True)

ALL = ContactSelection.from_described({"filters": "", "scope": "matching"})


def _wait_for(predicate, *, seconds: float = 60, worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker is not None and worker.poll() is not None:
            pytest.fail(f"The worker exited ({worker.returncode}):\n{worker.output()}")
        time.sleep(0.05)
    pytest.fail("Timed out waiting for the worker")


def test_a_worker_process_runs_a_queued_export_to_a_file(export_files):
    user = UserFactory(role="Staff", email="")
    ContactFactory.create_batch(3)
    job = export_job_queue(user=user, selection=ALL, scope="all", columns="full", bom=False, count=3)
    worker = worker_process(env={"EXPORT_ROOT": str(export_files)})
    try:
        _wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, worker=worker)
    finally:
        worker_stop(worker)
    job.refresh_from_db()
    assert (job.processed, job.total, job.summary) == (3, 3, f"Exported 3 contacts to {job.result_name}.")
    assert storages["exports"].open(job.result_file).read().count(b"\r\n") == 4


def test_a_worker_killed_mid_job_is_taken_up_by_the_next_without_duplicates():
    user = UserFactory(role="Staff")
    now = timezone.now()
    Contact.objects.bulk_create(
        Contact(email=f"c{n}@example.com", first_name="C", created_at=now, updated_at=now) for n in range(20_000)
    )
    label = Label.objects.create(name="VIP")
    job = label_job_queue(user=user, selection=ALL, label=label, add=True, count=20_000)
    first = worker_process()
    try:
        _wait_for(lambda: Job.objects.get(pk=job.pk).processed > 0, worker=first)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    killed = Job.objects.get(pk=job.pk)
    assert killed.status == JobStatus.RUNNING
    assert 0 < killed.processed < 20_000
    # The next worker finds the job silent (JOBS_STALE_SECONDS=1 for it) and takes it up from its cursor.
    time.sleep(1.1)
    second = worker_process(env={"JOBS_STALE_SECONDS": "1"})
    try:
        _wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, worker=second)
    finally:
        worker_stop(second)
    job.refresh_from_db()
    assert (job.attempts, job.processed, job.summary) == (2, 20_000, "Label VIP added to 20,000 contacts.")
    assert label.contacts.count() == 20_000
    assert Activity.objects.filter(event="label_added").count() == 20_000
    assert Activity.objects.filter(event="label_added").values("contact").distinct().count() == 20_000


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="needs PostgreSQL (DATABASE_URL)")
def test_a_waiting_worker_survives_its_database_connections_being_cut():
    user = UserFactory(role="Staff", email="")
    ContactFactory()
    worker = worker_process(env={"CONN_MAX_AGE": "600"})
    try:
        # Wait until the worker is polling, then cut every other connection to the database, as a restart does.
        time.sleep(3)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        time.sleep(1.5)
        job = export_job_queue(user=user, selection=ALL, scope="all", columns="full", bom=False, count=1)
        _wait_for(lambda: Job.objects.get(pk=job.pk).status == JobStatus.DONE, worker=worker)
    finally:
        worker_stop(worker)
