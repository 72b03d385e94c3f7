"""The import's background work: the dry run and the import, jobs with a progress bar, and the uploads' expiry chore."""

from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import pluralize
from django.urls import reverse

from imports.models import ImportRun, ImportStatus, RowAction
from imports.services import (
    APPLY,
    CHECK,
    import_apply,
    import_check,
    import_files_expire,
    import_planned,
    import_rows_count,
    import_status_set,
)
from jobs.outbox import mail_queue
from jobs.registry import Chore, JobKind, register, register_chore
from jobs.services import JobFailed, JobRun

PERMISSION = "customers.add_contact"


def _run_of(job: JobRun) -> ImportRun:
    run = ImportRun.objects.filter(pk=job.params["import"]).first()
    if run is None:
        raise JobFailed("The import was removed before the job ran.")
    return run


def _rows(count: int) -> str:
    return f"{intcomma(count)} row{pluralize(count)}"


def _failing_marks_the_run(work: Callable[[JobRun], str]) -> Callable[[JobRun], str]:
    """Run a job's work; if it stops for any reason, mark the run failed, saying why, so a new dry run can start."""

    @wraps(work)
    def run(job: JobRun) -> str:
        try:
            return work(job)
        except JobFailed as failure:
            ImportRun.objects.filter(pk=job.params["import"]).update(
                status=ImportStatus.FAILED, failure_reason=failure.reason
            )
            raise
        except Exception:
            ImportRun.objects.filter(pk=job.params["import"]).update(
                status=ImportStatus.FAILED, failure_reason="The job stopped before it finished."
            )
            raise

    return run


@_failing_marks_the_run
def check_run(job: JobRun) -> str:
    """Plan every row of the file and count what the import would do; write nothing to contacts."""
    job.asker()
    run = _run_of(job)
    if not run.stored_file:
        raise JobFailed(
            f"The file was removed {settings.IMPORT_FILE_DAYS} days after its upload; upload it again to import it."
        )
    import_status_set(run=run, status=ImportStatus.CHECKING, job_id=job.job.pk)
    job.begin(total=import_rows_count(run=run))
    counts = import_check(run=run, progress=lambda seen: job.step(processed=seen, cursor={}))
    return (
        f"Dry run of {run.file_name}: {intcomma(counts[RowAction.CREATE])} to create, "
        f"{intcomma(counts[RowAction.UPDATE])} to update, {intcomma(counts[RowAction.UNCHANGED])} unchanged, "
        f"{intcomma(counts[RowAction.SKIP])} skipped, {intcomma(counts[RowAction.ERROR])} with errors."
    )


@_failing_marks_the_run
def apply_run(job: JobRun) -> str:
    """Apply what the dry run showed, a committed batch at a time, and mail the person when a big import ends."""
    actor = job.asker()
    run = _run_of(job)
    import_status_set(run=run, status=ImportStatus.IMPORTING, job_id=job.job.pk)
    job.begin(total=import_planned(run=run))
    done = import_apply(
        run=run,
        actor=actor,
        after=job.cursor.get("after", 0),
        processed=job.cursor.get("processed", 0),
        step=lambda processed, after: job.step(processed=processed, cursor={"after": after, "processed": processed}),
    )
    run.refresh_from_db()
    summary = (
        f"Imported {run.file_name}: {intcomma(done[RowAction.CREATE])} created, "
        f"{intcomma(done[RowAction.UPDATE])} updated, {_rows(run.not_imported)} not imported."
    )
    if run.rows >= settings.IMPORT_MAIL_ROWS and actor.user.email:
        link = settings.SITE_URL.rstrip("/") + reverse("imports:detail", args=[run.pk])
        mail_queue(
            key=f"import-done:{run.pk}",
            to=actor.user.email,
            subject=f"Your import of {run.file_name} has finished",
            body=f"{summary}\n\nSee what changed and download the rows that did not go in (sign in first): {link}",
        )
    return summary


def _files_expire() -> str:
    return f"Removed {import_files_expire()} uploaded import files"


def register_jobs() -> None:
    """Tell the jobs app about the import's kinds and chore (called from ImportsConfig.ready)."""
    register(JobKind(CHECK, "Import contacts: dry run", PERMISSION, check_run))
    register(JobKind(APPLY, "Import contacts", PERMISSION, apply_run))
    register_chore(Chore("expire_import_files", timedelta(days=1), _files_expire))
