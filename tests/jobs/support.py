"""Running queued tasks in a test: in this process (as the worker's own loop does), or in a real worker process."""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from django.test import TestCase
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parents[2]


def run_queued(*, limit: int = 100) -> int:
    """Run every task that is ready, and those they queue, as db_worker does (claim, run, record); return how many."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test",
        excluded_queue_names=[],
    )
    ran = 0
    while ran < limit and (result := DBTaskResult.objects.ready().order_by("enqueued_at").first()) is not None:
        result.claim(worker.worker_id)
        # The test's transaction never commits; what a task hands on after its commit (the next task) runs here.
        with TestCase.captureOnCommitCallbacks(execute=True):
            worker.run_task(result)
        ran += 1
    return ran


def database_url() -> str:
    """The URL of the database this test runs on, for a worker process to use the same one."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    user, password = quote(settings["USER"] or ""), quote(settings["PASSWORD"] or "")
    return f"postgres://{user}:{password}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def worker_process(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start `manage.py worker` as its own process on this test's database; `output()` reads what it logged.

    Its output goes to a file, not a pipe: a pipe nobody reads fills up and blocks the worker mid-log.
    """
    log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (it lives as long as the process it logs)
    process = subprocess.Popen(
        [sys.executable, "manage.py", "worker", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url(), "DEBUG": "true", **(env or {})},
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    process.output = lambda: (log.seek(0), log.read())[1]
    return process


def worker_stop(process: subprocess.Popen) -> None:
    """Stop a worker as a service manager does: SIGTERM, and SIGKILL if it has not gone after 30 seconds.

    A worker asked to stop finishes the task in hand first (RQ's warm shutdown); on a loaded machine that
    can take long, and how a worker ends is not what these tests are about.
    """
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)
