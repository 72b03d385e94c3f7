"""Before the import: upload the file, choose the columns and options, the dry run, and queueing both jobs.

The dry run reads the file a batch of rows at a time, compares each row with the contact as it is
(imports.planning) and stores the plan on an ImportRow; nothing else is written.
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.files.storage import storages
from django.db import transaction
from django.db.models import Count, Max, Q
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from companies.models import Company
from customers.models import Label
from imports.mapping import mapping_guess, mapping_problems
from imports.models import COUNTED, ImportMode, ImportRow, ImportRun, ImportStatus, RowAction
from imports.planning import Options, row_plan
from imports.reader import FileProblem, rows_read, shape_read
from imports.selectors import companies_existing, contacts_existing, labels_existing
from imports.values import row_values
from jobs.models import OPEN_STATUSES, Job
from jobs.services import job_queue

CHECK, APPLY = "contacts_import_check", "contacts_import_apply"
BATCH_SIZE = 1000


def _storage():
    return storages["exports"]


def import_upload(*, user: AbstractBaseUser, file: IO[bytes], name: str, size: int) -> ImportRun:
    """Keep an uploaded file privately and read its shape; raise FileProblem, keeping nothing, if it is not a CSV."""
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise FileProblem(
            f"This file is {filesizeformat(size)}; an import takes files of up to {filesizeformat(limit)}."
        )
    shape = shape_read(file)
    file.seek(0)
    stored = _storage().save(f"imports/{uuid.uuid4().hex}.csv", file)
    return ImportRun.objects.create(
        user=user,
        file_name=name[:255],
        stored_file=stored,
        size=size,
        encoding=shape.encoding,
        delimiter=shape.delimiter,
        header=shape.header,
        samples=shape.samples,
        mapping={str(index): field for index, field in mapping_guess(shape.header).items()},
    )


def import_options_set(*, run: ImportRun, mapping: dict[int, str], mode: str, create_missing: bool) -> list[str]:
    """Save the chosen columns and options; return the problems that keep the dry run from starting (none: saved)."""
    problems = mapping_problems(mapping, run.header)
    if problems:
        return problems
    run.mapping = {str(index): field for index, field in mapping.items() if field}
    run.mode, run.create_missing = mode, create_missing
    run.save(update_fields=["mapping", "mode", "create_missing"])
    return []


def _mapping(run: ImportRun) -> dict[int, str]:
    return {int(index): field for index, field in run.mapping.items()}


def _file_rows(run: ImportRun) -> Iterator:
    with _storage().open(run.stored_file, "rb") as file:
        yield from rows_read(file, encoding=run.encoding, delimiter=run.delimiter, columns=len(run.header))


def import_rows_count(*, run: ImportRun) -> int:
    return sum(1 for _ in _file_rows(run))


class _Lookups:
    """The labels and companies a run names, looked up once each for the whole run."""

    def __init__(self) -> None:
        self.labels: dict[str, Label | None] = {}
        self.companies: dict[str, Company | None] = {}

    def load(self, label_names: set[str], company_names: set[str]) -> None:
        wanted = {name.lower() for name in label_names} - self.labels.keys()
        found = labels_existing(names=wanted)
        self.labels.update({name: found.get(name) for name in wanted})
        wanted = {name.lower() for name in company_names} - self.companies.keys()
        found_companies = companies_existing(names=wanted)
        self.companies.update({name: found_companies.get(name) for name in wanted})

    def known(self) -> tuple[dict[str, Label], dict[str, Company]]:
        return (
            {name: label for name, label in self.labels.items() if label},
            {name: company for name, company in self.companies.items() if company},
        )


def _check_batch(run: ImportRun, batch: list, options: Options, lookups: _Lookups) -> None:
    mapping = _mapping(run)
    read = [(row, row_values(row.cells, mapping) if not row.problem else None) for row in batch]
    emails = {values.email.lower() for _, values in read if values and not values.error}
    existing = contacts_existing(emails=emails)
    lookups.load(
        {name for _, values in read if values for name in values.labels},
        {name for _, values in read if values for name, _ in values.companies},
    )
    labels, companies = lookups.known()
    results = []
    for row, values in read:
        if values is None:
            results.append(
                ImportRow(run=run, number=row.number, action=RowAction.ERROR, problems=[row.problem], cells=row.cells)
            )
            continue
        found = existing.get(values.email.lower())
        plan = row_plan(values=values, existing=found, labels=labels, companies=companies, options=options)
        results.append(
            ImportRow(
                run=run,
                number=row.number,
                email=values.email.lower(),
                action=plan.action,
                contact_id=found.id if found else None,
                version=found.version if found else None,
                plan=plan.plan,
                changes=plan.changes,
                problems=plan.problems,
                cells=row.cells,
            )
        )
    ImportRow.objects.bulk_create(results)


def _duplicates_mark(run: ImportRun) -> None:
    """An email the file holds more than once: the last row wins; each earlier one is skipped, naming it."""
    repeated = (
        ImportRow.objects.filter(run=run)
        .exclude(email="")
        .values("email")
        .annotate(rows=Count("id"), last=Max("number"))
        .filter(rows__gt=1)
    )
    for each in repeated.iterator():
        ImportRow.objects.filter(run=run, email=each["email"], number__lt=each["last"]).update(
            action=RowAction.SKIP,
            problems=[f"Row {each['last']} has the same email, and the last row with an email wins."],
            plan={},
        )


def import_counts(*, run: ImportRun, field: str = "action") -> dict[str, int]:
    counted = dict(ImportRow.objects.filter(run=run).values_list(field).annotate(n=Count("id")).values_list(field, "n"))
    return {action: counted.get(action, 0) for action in COUNTED}


def import_check(*, run: ImportRun, progress: Callable[[int], None]) -> dict[str, int]:
    """The dry run: plan every row and store the plans; write nothing else. Return the counts by action.

    Run again (the worker was restarted), it starts over: the rows of an earlier try are replaced.
    """
    ImportRow.objects.filter(run=run).delete()
    options = Options(mode=run.mode, create_missing=run.create_missing)
    lookups, batch, seen = _Lookups(), [], 0
    for row in _file_rows(run):
        batch.append(row)
        if len(batch) == BATCH_SIZE:
            _check_batch(run, batch, options, lookups)
            seen += len(batch)
            batch = []
            progress(seen)
    if batch:
        _check_batch(run, batch, options, lookups)
        seen += len(batch)
        progress(seen)
    _duplicates_mark(run)
    counts = import_counts(run=run)
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportStatus.CHECKED, rows=seen, counts=counts, checked_at=timezone.now()
    )
    return counts


@transaction.atomic
def import_check_queue(*, run: ImportRun, user: AbstractBaseUser) -> Job | None:
    """Start the dry run in the background; None if a job of the run is still going or the import has finished.

    After a job that stopped (failed, cancelled, or its worker gave up), a new dry run starts from the file and
    the contacts as they are then, so an import cut short is finished by checking and importing again.
    """
    ready = Q(status__in=(ImportStatus.MAPPING, ImportStatus.CHECKED, ImportStatus.FAILED))
    stopped = Q(status__in=(ImportStatus.CHECKING, ImportStatus.IMPORTING)) & ~Q(job__status__in=OPEN_STATUSES)
    if not ImportRun.objects.filter(ready | stopped, pk=run.pk).update(status=ImportStatus.CHECKING):
        return None
    job = job_queue(kind=CHECK, user=user, params={"import": run.pk})
    ImportRun.objects.filter(pk=run.pk).update(job=job, counts={}, failure_reason="")
    run.refresh_from_db()
    return job


@transaction.atomic
def import_apply_queue(*, run: ImportRun, user: AbstractBaseUser) -> Job | None:
    """Start the import of what the dry run showed; None unless a finished dry run is waiting (a second click)."""
    if not ImportRun.objects.filter(pk=run.pk, status=ImportStatus.CHECKED).update(status=ImportStatus.IMPORTING):
        return None
    job = job_queue(kind=APPLY, user=user, params={"import": run.pk})
    ImportRun.objects.filter(pk=run.pk).update(job=job)
    run.refresh_from_db()
    return job


def import_files_expire(*, now: datetime | None = None) -> int:
    """Delete uploaded files older than IMPORT_FILE_DAYS; the runs and their row results stay in the import log."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.IMPORT_FILE_DAYS)
    removed = 0
    for pk, name in (
        ImportRun.objects.filter(created_at__lt=cutoff).exclude(stored_file="").values_list("pk", "stored_file")
    ):
        _storage().delete(name)
        removed += ImportRun.objects.filter(pk=pk).update(stored_file="")
    return removed


def import_status_set(*, run: ImportRun, status: str, job_id: int | None = None, reason: str = "") -> None:
    fields: dict[str, Any] = {"status": status, "failure_reason": reason[:500]}
    if job_id is not None:
        fields["job_id"] = job_id
    ImportRun.objects.filter(pk=run.pk).update(**fields)
    run.refresh_from_db()


def import_mode_label(mode: str) -> str:
    return dict(ImportMode.choices)[mode]
