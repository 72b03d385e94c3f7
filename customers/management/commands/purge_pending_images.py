"""Remove contact images kept aside for a form that was never saved, once their tokens have expired.

Each newly kept image already clears the old ones; run this daily from cron as well, so a quiet day leaves
nothing behind either:

    23 3 * * *  cd /srv/crm && .venv/bin/python manage.py purge_pending_images -v0
"""

from django.core.management.base import BaseCommand

from customers.pending_images import TOKEN_MAX_AGE, pending_images_purge


class Command(BaseCommand):
    help = "Remove contact images kept aside for unsaved forms longer than a token lasts (an hour)."

    def handle(self, *args, verbosity: int, **options) -> None:
        removed = pending_images_purge(older_than=TOKEN_MAX_AGE)
        if verbosity:
            self.stdout.write(f"{removed:,} kept image file{'' if removed == 1 else 's'} removed.")
