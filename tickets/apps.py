"""The helpdesk app: tickets by mail and in the Customer Portal; when ready it hears erasures and inbound mail."""

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from anymail.signals import inbound

        from customers.signals import contact_erased
        from tickets.services.erasure import tickets_contact_erase
        from tickets.webhooks import on_inbound

        # The person's own words and files go with them, in the erasure's transaction; staff replies stay.
        contact_erased.connect(tickets_contact_erase, dispatch_uid="tickets_contact_erase")
        inbound.connect(on_inbound, dispatch_uid="tickets_inbound")
