"""Building tickets and real mail for the helpdesk tests."""

from email.message import EmailMessage
from email.utils import make_msgid

from django.utils import timezone

from customers.models import Contact
from tickets.models import Channel, Message, Ticket


def ticket_for(requester: Contact, *, company=None, subject: str = "Help", body: str = "Hello") -> Ticket:
    """A ticket with one message from its requester, as mail intake makes it."""
    ticket = Ticket.objects.create(
        subject=subject, requester=requester, company=company, channel=Channel.EMAIL, last_message_at=timezone.now()
    )
    Message.objects.create(ticket=ticket, author_contact=requester, author_name=requester.display_name, body=body)
    return ticket


def mail(
    *,
    sender: str = "Ann Lee <ann@example.com>",
    subject: str = "My order has not arrived",
    body: str = "Hello, where is my parcel?",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
) -> EmailMessage:
    """A plain-text mail as a mail program writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "help@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="mail.example")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message
