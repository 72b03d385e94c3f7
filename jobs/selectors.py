"""Reads of jobs, and the one rule of who may see a job and fetch its file."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import QuerySet

from jobs.models import OPEN_STATUSES, Job
from jobs.registry import kind_of, kinds


def jobs_visible(user: AbstractBaseUser) -> QuerySet[Job]:
    """Return the jobs this person may follow: the ones they asked for, of kinds their role still allows.

    Every page, poll and download asks this, so a role taken away takes the job's file away with it.
    """
    if not user.is_authenticated or not user.is_active:
        return Job.objects.none()
    allowed = [kind.name for kind in kinds() if user.has_perm(kind.permission)]
    return Job.objects.filter(user=user, kind__in=allowed)


def jobs_open(user: AbstractBaseUser) -> QuerySet[Job]:
    """Return this person's jobs still queued or running (the page header's indicator)."""
    return jobs_visible(user).filter(status__in=OPEN_STATUSES)


def job_title(job: Job) -> str:
    kind = kind_of(job.kind)
    return kind.title if kind else job.kind
