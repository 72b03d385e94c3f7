"""What erasing a person removes from the helpdesk: their own words, names and files; staff replies stay."""

from typing import Any

from django.db import transaction

from customers.models import Contact
from tickets.models import Attachment, Message, Ticket, attachment_storage

ERASED_SUBJECT = "(erased)"


def tickets_contact_erase(sender: type, *, contact: Contact, **kwargs: Any) -> None:
    """Blank the messages the contact wrote and the subjects of their tickets; delete their attachments.

    Called on customers' contact_erased signal, inside the erasure's transaction. The tickets stay (a company
    keeps its history, staff keep their replies), linked to the anonymous shell the contact became.
    """
    messages = Message.objects.filter(author_contact=contact)
    attachments = Attachment.objects.filter(message__in=messages)
    names = list(attachments.values_list("stored_name", flat=True))
    attachments.delete()
    messages.update(body="", author_name="", message_id="")
    Ticket.objects.filter(requester=contact).update(subject=ERASED_SUBJECT)
    storage = attachment_storage()
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
