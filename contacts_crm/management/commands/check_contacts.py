"""Check that every contact's derived columns (totals, consent, search) agree with their sources; --repair fixes them.

    .venv/bin/python manage.py check_contacts            # report; exit status 1 when anything disagrees
    .venv/bin/python manage.py check_contacts --repair   # and write the recomputed values

Contacts are checked in primary-key batches, each locked only while it is compared, so the command can run
beside the live app.
"""

from django.core.management.base import BaseCommand, CommandError

from contacts_crm.integrity import Drift, contacts_drift
from crm_core.batching import pk_batches
from customers.models import Contact

SHOWN = 20


class Command(BaseCommand):
    help = (
        "Recompute each contact's orders count, total spent, last order, consent and search document; report or repair."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--repair", action="store_true", help="Write the recomputed values where they differ.")

    def handle(self, *args, repair: bool, verbosity: int, **options) -> None:
        checked, drift = 0, []
        for batch in pk_batches(Contact.objects.all()):
            drift += contacts_drift(contact_ids=batch, repair=repair)
            checked += len(batch)
        contacts = len({item.contact_id for item in drift})
        if not drift:
            if verbosity:
                self.stdout.write(f"Checked {_count(checked, 'contact')}: nothing to repair.")
            return
        for item in drift[:SHOWN]:
            self.stdout.write(_described(item))
        if len(drift) > SHOWN:
            self.stdout.write(f"  … and {len(drift) - SHOWN:,} more")
        summary = (
            f"Checked {_count(checked, 'contact')}: {_count(contacts, 'contact')} had "
            f"{_count(len(drift), 'derived value')} out of step"
        )
        if repair:
            self.stdout.write(f"{summary}; repaired.")
            return
        raise CommandError(f"{summary}. Run with --repair to write the recomputed values.")


def _described(item: Drift) -> str:
    stored, computed = repr(item.stored), repr(item.computed)
    return f"  contact {item.contact_id}: {item.column} is {stored[:60]}, should be {computed[:60]}"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"
