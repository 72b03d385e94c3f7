"""The contact import app: CSV files read, mapped, checked in a dry run and applied, above contacts and companies."""

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from imports.jobs import register_jobs

        register_jobs()
