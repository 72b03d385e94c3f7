"""The import's background work: the dry run and the import itself, each a job with a progress bar on the Jobs page."""

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma
from django.template.defaultfilters import pluralize
from django.urls import reverse

from imports.models import ImportRun, ImportStatus, RowAction
from imports.services import APPLY, CHECK, import_apply, import_check, import_rows_count, import_status_set
from jobs.outbox import mail_queue
from jobs.registry import JobKind, register
from jobs.services import JobFailed, JobRun

PERMISSION = "customers.add_contact"


def _run_of(job: JobRun) -> ImportRun:
    run = ImportRun.objects.filter(pk=job.params["import"]).first()
    if run is None:
        raise JobFailed("The import was removed before the job ran.")
    return run


def _rows(count: int) -> str:
    return f"{intcomma(count)} row{pluralize(count)}"


def check_run(job: JobRun) -> str:
    """Plan every row of the file and count what the import would do; write nothing to contacts."""
    job.asker()
    run = _run_of(job)
    import_status_set(run=run, status=ImportStatus.CHECKING, job_id=job.job.pk)
    job.begin(total=import_rows_count(run=run))
    counts = import_check(run=run, progress=lambda seen: job.step(processed=seen, cursor={}))
    return (
        f"Dry run of {run.file_name}: {intcomma(counts[RowAction.CREATE])} to create, "
        f"{intcomma(counts[RowAction.UPDATE])} to update, {intcomma(counts[RowAction.UNCHANGED])} unchanged, "
        f"{intcomma(counts[RowAction.SKIP])} skipped, {intcomma(counts[RowAction.ERROR])} with errors."
    )


def apply_run(job: JobRun) -> str:
    """Apply what the dry run showed, a committed batch at a time, and mail the person when a big import ends."""
    actor = job.asker()
    run = _run_of(job)
    import_status_set(run=run, status=ImportStatus.IMPORTING, job_id=job.job.pk)
    job.begin(total=run.rows)
    done = import_apply(
        run=run,
        actor=actor,
        after=job.cursor.get("after", 0),
        step=lambda processed, after: job.step(processed=processed, cursor={"after": after}),
    )
    not_imported = run.rows - done[RowAction.CREATE] - done[RowAction.UPDATE] - run.counts.get(RowAction.UNCHANGED, 0)
    summary = (
        f"Imported {run.file_name}: {intcomma(done[RowAction.CREATE])} created, "
        f"{intcomma(done[RowAction.UPDATE])} updated, {_rows(not_imported)} not imported."
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


def register_jobs() -> None:
    """Tell the jobs app about the import's kinds (called from ImportsConfig.ready)."""
    register(JobKind(CHECK, "Import contacts: dry run", PERMISSION, check_run))
    register(JobKind(APPLY, "Import contacts", PERMISSION, apply_run))
