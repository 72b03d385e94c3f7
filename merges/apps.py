"""The merges app, on top of contacts, companies, orders and tickets; when ready it registers the finder's job."""

from django.apps import AppConfig


class MergesConfig(AppConfig):
    name = "merges"
    verbose_name = "Merges"

    def ready(self) -> None:
        from merges.jobs import register_jobs

        register_jobs()
