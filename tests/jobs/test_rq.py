"""The RQ backend for more than one machine: a real redis-server, the export queued through it, and a real
`manage.py worker` (django-rq's worker with its scheduler) running it, all configured by the environment
alone (TASKS_BACKEND=rq, REDIS_URL), as the README says."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from jobs.models import Job, JobStatus
from tests.factories import ContactFactory, UserFactory
from tests.jobs.support import ROOT, database_url, worker_process, worker_stop

pytestmark = pytest.mark.django_db(transaction=True)

REDIS = shutil.which("redis-server")


@pytest.fixture
def redis_url(tmp_path):
    if not REDIS:
        # CI sets REQUIRE_REDIS=1 after installing it, so there this test runs or fails, never skips.
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail("REQUIRE_REDIS=1 but redis-server is missing (apt-get install redis-server)")
        pytest.skip("needs redis-server (apt-get install redis-server)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=10)


def test_an_export_queued_on_redis_is_run_by_a_real_rq_worker(redis_url, export_files):
    user = UserFactory(role="Staff", email="")
    ContactFactory.create_batch(3)
    env = {"TASKS_BACKEND": "rq", "REDIS_URL": redis_url, "EXPORT_ROOT": str(export_files)}
    queue = (
        "from customers.selection import ContactSelection; "
        "from customers.services.background import export_job_queue; "
        "from django.contrib.auth import get_user_model; "
        f"user = get_user_model().objects.get(pk={user.pk}); "
        "selection = ContactSelection.from_described({'filters': '', 'scope': 'matching'}); "
        "job = export_job_queue(user=user, selection=selection, scope='all', columns='full', bom=False, count=3); "
        "print(job.pk)"
    )
    queued = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", queue],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert queued.returncode == 0, queued.stderr
    job = Job.objects.get(pk=int(queued.stdout.split()[-1]))
    assert job.status == JobStatus.QUEUED
    worker = worker_process(env=env)
    try:
        deadline = time.monotonic() + 60
        while Job.objects.get(pk=job.pk).status != JobStatus.DONE:
            assert worker.poll() is None, worker.output()
            assert time.monotonic() < deadline, "The RQ worker did not finish the job"
            time.sleep(0.1)
    finally:
        worker_stop(worker)
    job.refresh_from_db()
    assert (job.processed, job.summary) == (3, f"Exported 3 contacts to {job.result_name}.")
    assert (export_files / job.result_file).read_bytes().count(b"\r\n") == 4
