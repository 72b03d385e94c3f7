"""Writes to jobs: queue one, run it step by step with its progress, cancel it, and take up those a dead worker left.

A job is queued in the caller's transaction and handed to the task engine only once that commits, so a
rolled-back request leaves no job behind and the worker never looks for a row it cannot see yet.
"""

import logging
import uuid
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm_core.actors import Actor
from jobs.models import Job, JobStatus
from jobs.registry import kind_of

logger = logging.getLogger(__name__)


class JobStopped(Exception):
    """The run lost the job: it was cancelled, or taken up again by another run after this one fell silent."""


class JobFailed(Exception):
    """The job cannot go on; `reason` says why in words the person who asked can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _enqueue(job_id: int) -> None:
    # Imported here: the task module imports this one.
    from jobs.tasks import run_job

    run_job.enqueue(job_id)


def job_queue(*, kind: str, user: AbstractBaseUser | None, params: dict[str, Any], total: int | None = None) -> Job:
    """Record a job for the worker and hand it to the task engine once the surrounding transaction commits."""
    if kind_of(kind) is None:
        raise ValueError(f"No job kind {kind!r} is registered")
    job = Job.objects.create(kind=kind, user=user, params=params, total=total)
    transaction.on_commit(partial(_enqueue, job.pk))
    return job


def job_cancel(*, job: Job) -> bool:
    """Stop a queued or running job at its next step; return False when it had already ended.

    What the steps before did stays done (labels added stay added); the summary says how far it got.
    """
    now = timezone.now()
    cancelled = Job.objects.filter(pk=job.pk, status__in=(JobStatus.QUEUED, JobStatus.RUNNING)).update(
        status=JobStatus.CANCELLED, run_token="", finished_at=now
    )
    return bool(cancelled)


class JobRun:
    """One run of a job, handed to its kind's function: what it works on, where it got to, and how to report."""

    def __init__(self, job: Job, token: str) -> None:
        self.job = job
        self.token = token

    @property
    def params(self) -> dict[str, Any]:
        return self.job.params

    @property
    def cursor(self) -> dict[str, Any]:
        return self.job.cursor

    def asker(self) -> Actor:
        """Return the person the job acts for; fail the job if their account is gone or no longer active."""
        user = get_user_model().objects.filter(pk=self.job.user_id, is_active=True).first()
        if user is None:
            raise JobFailed("The person who asked for it no longer has an active account, so it was not run.")
        return Actor.staff(user)

    def _write(self, **fields: Any) -> None:
        written = Job.objects.filter(pk=self.job.pk, run_token=self.token, status=JobStatus.RUNNING).update(
            heartbeat_at=timezone.now(), **fields
        )
        if not written:
            raise JobStopped
        for name, value in fields.items():
            if not hasattr(value, "resolve_expression"):
                setattr(self.job, name, value)

    def begin(self, *, total: int) -> None:
        """Say how much there is to do, counted when the run starts (the selection may have changed since)."""
        self._write(total=total)

    def step(self, *, processed: int, cursor: dict[str, Any]) -> None:
        """Record progress; call it inside the transaction of the step's own work, so both commit or neither.

        Raises JobStopped, rolling the step back, when the job was cancelled or another run has it.
        """
        self._write(processed=processed, cursor=cursor)

    def heartbeat(self) -> None:
        """Say the run is alive during a long step that writes no progress (raises JobStopped like step)."""
        self._write()

    def result(self, *, file: str, name: str, expires_at: datetime) -> None:
        """Record the file the job made, the name it downloads under, and when it is removed."""
        self._write(result_file=file, result_name=name, expires_at=expires_at)


def _failed(job_id: int, token: str, reason: str) -> None:
    Job.objects.filter(pk=job_id, run_token=token).update(
        status=JobStatus.FAILED, failure_reason=reason[:500], finished_at=timezone.now()
    )


def job_run(job_id: int) -> None:
    """Run a queued job to its end: claim it, call its kind's function, and record how it ended.

    Only a queued job is claimed, so a job run twice (the engine retried the task, two workers took it)
    is done once; a new token makes every write of an older run of the same job fail (JobStopped).
    """
    token = uuid.uuid4().hex
    now = timezone.now()
    claimed = Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        run_token=token,
        started_at=Coalesce(F("started_at"), now),
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return
    job = Job.objects.get(pk=job_id)
    kind = kind_of(job.kind)
    if kind is None:
        _failed(job_id, token, "This kind of job is not known to this version of the app, so it was not run.")
        return
    try:
        summary = kind.run(JobRun(job, token))
    except JobStopped:
        return
    except JobFailed as failure:
        _failed(job_id, token, failure.reason)
        return
    except Exception:
        logger.exception("Job %s (%s) failed", job_id, job.kind)
        _failed(job_id, token, "Something unexpected stopped it; what was done before is kept. Try again.")
        return
    Job.objects.filter(pk=job_id, run_token=token, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, summary=summary[:500], finished_at=timezone.now(), heartbeat_at=timezone.now()
    )


def jobs_recover(*, now: datetime | None = None) -> int:
    """Take up again the running jobs whose worker fell silent, or fail them after too many tries; return how many.

    A worker writes progress at least every few seconds; one silent for JOBS_STALE_SECONDS died (killed,
    machine lost). Its job goes back to the queue and goes on from its cursor, so nothing is done twice;
    after JOBS_MAX_ATTEMPTS runs it is failed with the reason, so a job that kills its worker cannot loop.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    stale = Job.objects.filter(status=JobStatus.RUNNING, heartbeat_at__lt=cutoff)
    attempts = settings.JOBS_MAX_ATTEMPTS
    failed = stale.filter(attempts__gte=attempts).update(
        status=JobStatus.FAILED,
        run_token="",
        finished_at=now,
        failure_reason=f"The worker stopped while running it, {attempts} times; what was done before is kept.",
    )
    requeued = 0
    for pk in stale.filter(attempts__lt=attempts).values_list("pk", flat=True):
        with transaction.atomic():
            if Job.objects.filter(pk=pk, status=JobStatus.RUNNING, heartbeat_at__lt=cutoff).update(
                status=JobStatus.QUEUED, run_token=""
            ):
                transaction.on_commit(partial(_enqueue, pk))
                requeued += 1
    if failed or requeued:
        logger.warning("Jobs left by a stopped worker: %s queued again, %s failed", requeued, failed)
    return failed + requeued


def job_files_expire(*, now: datetime | None = None) -> str:
    """Remove the files of jobs past their expiry date; the job keeps saying when its file was removed."""
    now = now or timezone.now()
    storage = storages["exports"]
    removed = 0
    for pk, name in Job.objects.filter(expires_at__lte=now).exclude(result_file="").values_list("pk", "result_file"):
        storage.delete(name)
        removed += Job.objects.filter(pk=pk).update(result_file="")
    return f"Removed {removed} expired job files"
