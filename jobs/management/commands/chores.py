"""`manage.py chores`: every recurring chore now, by hand, whatever their clocks say (the worker does them itself)."""

from typing import Any

from django.core.management import BaseCommand

from jobs.outbox import mails_recover
from jobs.registry import chores
from jobs.services import jobs_recover


class Command(BaseCommand):
    help = "Do every recurring chore now (Trash purge, expired export files, stopped jobs and mails)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Took up {jobs_recover()} jobs left by a stopped worker")
        self.stdout.write(f"Failed {mails_recover()} mails a stopped worker left half-sent")
        for chore in chores():
            self.stdout.write(chore.run())
