"""The contacts app; when ready it registers its jobs and chores, and hears how its messages' mail went."""

from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Contacts"

    def ready(self) -> None:
        from customers.jobs import register_jobs
        from customers.services.messaging import on_mail_finished
        from jobs.outbox import mail_finished

        register_jobs()
        mail_finished.connect(on_mail_finished, dispatch_uid="customers.message_outcome")
