"""The orders app; when ready it hears of erasures and registers its chore."""

from django.apps import AppConfig


def _buyer_erase(sender, *, contact, **kwargs) -> None:
    from orders.services import orders_buyer_erase

    orders_buyer_erase(contact=contact)


class OrdersConfig(AppConfig):
    name = "orders"

    def ready(self) -> None:
        from customers.signals import contact_erased

        # An erased contact's orders keep their totals but lose the buyer's personal data, in the same transaction.
        contact_erased.connect(_buyer_erase, dispatch_uid="orders_buyer_erase")

        from orders.jobs import register_jobs

        register_jobs()
