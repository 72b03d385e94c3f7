"""Import contacts from a CSV file from the shell: the same reading, mapping, dry run and import as the web pages.

    manage.py import_contacts contacts.csv --dry-run          # report what would change, write nothing
    manage.py import_contacts contacts.csv --update --user ann
    manage.py import_contacts export.csv --map "E-mail=email" --map "Notes=ignore"

Columns are mapped from their headers as on the web (this app's exports, Shopify, HubSpot); --map sets or
overrides one by its header. The run is in the import log like any other; the report gives the counts and
each row not imported with why, and --failed FILE writes those rows as CSV with the reason in a last column.
"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm_core.actors import SYSTEM, Actor
from imports import services
from imports.mapping import FIELDS_BY_NAME, IGNORE
from imports.models import ImportMode, RowAction
from imports.reader import FileProblem
from imports.results import WHY, not_imported_csv
from imports.selectors import import_rows_not_imported


class Command(BaseCommand):
    help = "Import contacts from a CSV file: a dry run first, then the import (unless --dry-run)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--dry-run", action="store_true", help="Report what would change; write nothing.")
        parser.add_argument("--update", action="store_true", help="Update existing contacts (default: only add).")
        parser.add_argument("--create-missing", action="store_true", help="Create labels and companies not found.")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="Map a column; FIELD 'ignore' leaves it out.",
        )
        parser.add_argument("--user", help="The staff username the import is recorded for.")
        parser.add_argument("--failed", type=Path, help="Write the rows not imported, with why, to this CSV file.")

    def handle(self, *args, **options):
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"No active user called {options['user']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No file at {path}.")
        with path.open("rb") as file:
            try:
                run = services.import_upload(user=user, file=file, name=path.name, size=path.stat().st_size)
            except FileProblem as problem:
                raise CommandError(str(problem)) from None
        mapping = {int(index): field for index, field in run.mapping.items()}
        for each in options["map"]:
            header, _, field = each.partition("=")
            field = IGNORE if field.strip() == "ignore" else field.strip()
            if field and field not in FIELDS_BY_NAME:
                raise CommandError(f"--map {each!r}: no field {field!r}; fields are {', '.join(FIELDS_BY_NAME)}.")
            columns = [index for index, name in enumerate(run.header) if name == header.strip()]
            if not columns:
                raise CommandError(f"--map {each!r}: the file has no column {header.strip()!r}.")
            mapping[columns[0]] = field
        mode = ImportMode.UPDATE if options["update"] else ImportMode.ADD
        problems = services.import_options_set(
            run=run, mapping=mapping, mode=mode, create_missing=options["create_missing"]
        )
        if problems:
            raise CommandError(" ".join(problems))
        counts = services.import_check(run=run, progress=lambda seen: None)
        run.refresh_from_db()
        self.stdout.write(
            f"Dry run of {run.reference}: {run.rows} rows; "
            + ", ".join(f"{counts[action]} {label.lower()}" for action, label in RowAction.choices)
        )
        if not options["dry_run"]:
            actor = Actor.staff(user) if user else SYSTEM
            done = services.import_apply(run=run, actor=actor, after=0, step=lambda processed, after: None)
            self.stdout.write(f"Imported: {done[RowAction.CREATE]} created, {done[RowAction.UPDATE]} updated.")
        run.refresh_from_db()
        for row in import_rows_not_imported(run=run).order_by("number")[:1000]:
            reason = row.outcome or " ".join(row.problems)
            self.stdout.write(f"  row {row.number} ({row.email or 'no email'}): {reason}")
        if options["failed"]:
            with options["failed"].open("w", encoding="utf-8", newline="") as out:
                out.writelines(not_imported_csv(run=run))
            self.stdout.write(f"Rows not imported, with a “{WHY}” column: {options['failed']}")
