"""`manage.py worker`: run background jobs with whichever engine TASKS names, starting the chores and surviving outages.

On the database backend it runs django-tasks-db's worker loop; when the database goes away (restart,
failover) the loop's query raises, and this command waits and starts the loop again on a fresh
connection instead of exiting, so the worker recovers without a restart. On the RQ backend it runs
django-rq's worker with its scheduler (deferred tasks: mail retries, the chores tick). Either way it first
takes up jobs a killed worker left and starts the chores' chain of ticks (jobs.chores).
"""

import logging
import time
from typing import Any

from django.core.management import BaseCommand, call_command
from django.db import DatabaseError, InterfaceError, close_old_connections, connections, transaction
from django.utils.crypto import get_random_string

from crm_core.tasks import task_backends
from jobs.chores import chores_schedule
from jobs.services import jobs_recover

logger = logging.getLogger(__name__)

# Pauses between tries while the database is away: short at first, then every 10 seconds.
RETRY_PAUSES = (0.5, 1, 2, 5, 10)


class Command(BaseCommand):
    help = "Run the background worker (jobs, outbox mail, chores) on the engine set in TASKS."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--batch", action="store_true", help="Run what is queued, then exit (database backend).")
        parser.add_argument("--interval", type=float, default=1, help="Seconds between looks at an empty queue.")

    def handle(self, *args: Any, batch: bool, interval: float, **options: Any) -> None:
        backend = type(task_backends["default"]).__name__
        self._start()
        if backend == "RQBackend":
            # django-tasks-rq's Job class runs a django.tasks Task and records its result.
            call_command("rqworker", "default", with_scheduler=True, job_class="django_tasks_rq.backend.Job")
            return
        self._database_worker(batch=batch, interval=interval)

    def _start(self) -> None:
        for pause in (*RETRY_PAUSES, None):
            try:
                with transaction.atomic():
                    jobs_recover()
                    chores_schedule()
                return
            except (DatabaseError, InterfaceError):
                if pause is None:
                    raise
                logger.warning("The database is not answering; trying again in %s s", pause, exc_info=True)
                self._wait(pause)

    def _wait(self, pause: float) -> None:
        for connection in connections.all():
            connection.close()
        time.sleep(pause)

    def _database_worker(self, *, batch: bool, interval: float) -> None:
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(
            queue_names=["*"],
            interval=interval,
            batch=batch,
            backend_name="default",
            startup_delay=not batch,
            max_tasks=None,
            worker_id=get_random_string(32),
            excluded_queue_names=[],
        )
        worker.configure_signals()
        failures = 0
        while True:
            try:
                worker.run()
                return
            except (DatabaseError, InterfaceError):
                pause = RETRY_PAUSES[min(failures, len(RETRY_PAUSES) - 1)]
                failures += 1
                logger.warning("The database went away; the worker goes on in %s s", pause, exc_info=True)
                self._wait(pause)
                close_old_connections()
                if not worker.running:
                    return
