"""A privacy request's part in orders: the buyer's personal data leaves the orders, their totals stay."""

from django.db import transaction
from django.utils import timezone

from customers.models import Contact
from customers.services.trash import ERASED_EMAIL
from orders.models import Order, OrderConflict

# Erasure (orders_buyer_erase) leaves the contact's placeholder as the buyer's email. No order can bring in
# an address at this domain (an email needs a dotted one), so an order with one has had its buyer erased.
ERASED_DOMAIN = "@" + ERASED_EMAIL.partition("@")[2]


@transaction.atomic
def orders_buyer_erase(*, contact: Contact) -> int:
    """Remove the buyer's personal data from an erased contact's orders; return how many orders were kept.

    A privacy request (customers.services.trash.contact_erase): the name, phone and address of the snapshot go and
    the email becomes the contact's placeholder; number, status, lines, totals and dates stay for the accounts.
    Later deliveries that differed go: they hold the buyer's data as sent and as it was stored.
    """
    OrderConflict.objects.filter(order__contact=contact).delete()
    return Order.objects.filter(contact=contact).update(
        buyer_email=contact.email,
        buyer_first_name="",
        buyer_last_name="",
        buyer_phone="",
        buyer_unread=[],
        **dict.fromkeys(Order.ADDRESS_FIELDS, ""),
        updated_at=timezone.now(),
    )
