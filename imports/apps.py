"""The contact import app: CSV files read, mapped, checked in a dry run and applied, above contacts and companies."""

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "imports"
    verbose_name = "Imports"

    def ready(self) -> None:
        from customers.signals import contact_erased
        from imports.jobs import register_jobs
        from imports.services.erasure import imports_contact_erase

        register_jobs()
        # The person's rows in the import log go with them, in the erasure's transaction.
        contact_erased.connect(imports_contact_erase, dispatch_uid="imports_contact_erase")
