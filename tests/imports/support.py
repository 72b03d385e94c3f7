"""Helpers for the import tests: CSV files built in memory, and a whole import run through its services."""

import csv
import io

from crm_core.actors import Actor
from imports import services
from imports.models import ImportMode, ImportRun


def csv_bytes(rows: list[list[str]], *, encoding: str = "utf-8", delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return (b"\xef\xbb\xbf" if bom else b"") + buffer.getvalue().encode(encoding)


def upload(user, content: bytes, name: str = "contacts.csv") -> ImportRun:
    return services.import_upload(user=user, file=io.BytesIO(content), name=name, size=len(content))


def dry_run(
    user, content: bytes, *, mode: str = ImportMode.UPDATE, create_missing: bool = False, mapping=None
) -> ImportRun:
    """Upload a file, keep the recognised (or given) mapping and options, and run the dry run in this process."""
    run = upload(user, content)
    chosen = mapping if mapping is not None else {int(index): field for index, field in run.mapping.items()}
    assert services.import_options_set(run=run, mapping=chosen, mode=mode, create_missing=create_missing) == []
    services.import_check(run=run, progress=lambda seen: None)
    run.refresh_from_db()
    return run


def apply(run: ImportRun, user) -> ImportRun:
    services.import_apply(run=run, actor=Actor.staff(user), after=0, step=lambda processed, after: None)
    run.refresh_from_db()
    return run


def imported(user, content: bytes, **options) -> ImportRun:
    return apply(dry_run(user, content, **options), user)
