"""Delete contacts that have been in the Trash longer than TRASH_DAYS days. Run it daily from cron:

    17 3 * * *  cd /srv/crm && .venv/bin/python manage.py purge_trash -v0

Orders are kept, unlinked from the person. Each batch of contacts commits on its own, so a long purge holds
its locks briefly and an interrupted one carries on where it stopped the next time it runs.
"""

import time

from django.apps import apps
from django.core.management.base import BaseCommand

from crm_core.actors import SYSTEM
from customers.models import Contact
from customers.services.trash import Purged, trash_cutoff, trash_purge_due


class Command(BaseCommand):
    help = "Delete contacts that have been in the Trash longer than TRASH_DAYS days; their orders are kept."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Say how many contacts are due, delete nothing.")

    def handle(self, *args, dry_run: bool, verbosity: int, **options) -> None:
        cutoff = trash_cutoff()
        due = Contact.objects.filter(deleted_at__lt=cutoff)
        since = f"in the Trash since before {cutoff:%Y-%m-%d %H:%M} UTC"
        if dry_run:
            count = due.count()
            self.stdout.write(f"{count:,} contact{'' if count == 1 else 's'} {since} would be deleted permanently.")
            return
        started = time.monotonic()
        total = trash_purge_due(
            actor=SYSTEM,
            on_batch=(lambda so_far: self.stdout.write(f"  {so_far.contacts:,} contacts deleted so far"))
            if verbosity > 1
            else None,
        )
        if verbosity:
            self.stdout.write(self._summary(total, since, time.monotonic() - started))

    def _summary(self, purged: Purged, since: str, seconds: float) -> str:
        if not purged.contacts:
            return f"Nothing to delete: no contacts {since}."
        rows = ", ".join(f"{count:,} {_plural(label)}" for label, count in sorted(purged.deleted.items()) if count)
        kept = ", ".join(f"{count:,} {_plural(label)}" for label, count in sorted(purged.unlinked.items()) if count)
        lines = [f"Deleted {purged.contacts:,} contacts {since} permanently in {seconds:.1f} s."]
        if rows:
            lines.append(f"With them: {rows}.")
        if kept:
            lines.append(f"Kept, no longer linked to a contact: {kept}.")
        return "\n".join(lines)


def _plural(label: str) -> str:
    return str(apps.get_model(label)._meta.verbose_name_plural)
