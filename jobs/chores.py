"""Recurring chores run by the worker itself, no outside cron: a task does what is due, then queues itself again.

The `chores` task wakes every CHORES_TICK_SECONDS. Each registered chore (jobs.registry.register_chore) has
a ChoreClock row; a run claims a chore by moving its clock on in one UPDATE, so with two workers, or two
ticks queued by mistake, each chore still runs once per period. The tick has a clock of its own, which is
what keeps one chain of ticks alive: a tick that finds its clock already moved is a duplicate and ends
without queueing another. `chores_schedule()` (run by `manage.py worker` when it starts) starts the chain,
or starts it again when a killed worker broke it.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from crm_core.tasks import task_backends
from jobs.models import ChoreClock
from jobs.outbox import mails_recover
from jobs.registry import chores
from jobs.services import jobs_recover

logger = logging.getLogger(__name__)

TICK = "tick"


def _tick_every() -> timedelta:
    return timedelta(seconds=settings.CHORES_TICK_SECONDS)


def _claim(name: str, every: timedelta, now: datetime) -> bool:
    ChoreClock.objects.get_or_create(name=name, defaults={"next_run_at": now})
    return bool(
        ChoreClock.objects.filter(name=name, next_run_at__lte=now).update(next_run_at=now + every, last_run_at=now)
    )


def _queue_tick(run_after: datetime) -> None:
    from jobs.tasks import run_chores

    run_chores.using(run_after=run_after).enqueue()


def chores_run(*, now: datetime | None = None) -> list[str]:
    """Do every chore that is due, then queue the next tick; return what was done, for the log."""
    now = now or timezone.now()
    if not _claim(TICK, _tick_every(), now):
        return []
    done = []
    if recovered := jobs_recover(now=now):
        done.append(f"Took up {recovered} jobs left by a stopped worker")
    if lost := mails_recover(now=now):
        done.append(f"Failed {lost} mails a stopped worker left half-sent")
    for chore in chores():
        if _claim(chore.name, chore.every, now):
            try:
                done.append(chore.run())
            except Exception:
                # One broken chore must not stop the others, nor the chain of ticks.
                logger.exception("Chore %s failed", chore.name)
    transaction.on_commit(lambda: _queue_tick(now + _tick_every()))
    for line in done:
        logger.info("%s", line)
    return done


def task_results_prune() -> str:
    """Remove the task engine's own records of tasks finished over TASK_RESULTS_DAYS ago (database backend only).

    Jobs and mails keep their own records; these rows only say that a task ran.
    """
    if type(task_backends["default"]).__name__ != "DatabaseBackend":
        return "No task records to prune on this backend"
    call_command("prune_db_task_results", min_age_days=settings.TASK_RESULTS_DAYS, verbosity=0)
    return f"Pruned the task records finished over {settings.TASK_RESULTS_DAYS} days ago"


def chores_schedule(*, now: datetime | None = None) -> bool:
    """Start the chain of ticks unless one is alive (its clock not overdue); return whether one was started."""
    now = now or timezone.now()
    overdue = now - 2 * _tick_every()
    clock = ChoreClock.objects.filter(name=TICK).first()
    if clock is not None and clock.next_run_at >= overdue:
        return False
    ChoreClock.objects.update_or_create(name=TICK, defaults={"next_run_at": now})
    transaction.on_commit(lambda: _queue_tick(now))
    return True
