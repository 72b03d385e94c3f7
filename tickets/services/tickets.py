"""Writes to tickets: opening one, staff replies by mail, internal notes, status and company changes, and the
customer's own messages; each recorded on the ticket, the mail going through the outbox."""

import uuid
from collections.abc import Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from companies.models import Company, Membership
from crm_core.actors import CUSTOMER, Actor, ActorKind
from customers.models import Contact, Source
from customers.services import activity_record, contact_live_get_or_create
from jobs.outbox import mail_queue
from tickets.mailparse import FilePart, clean_text
from tickets.models import Attachment, Channel, Message, Ticket, TicketStatus, attachment_storage

# Threading headers name at most this many earlier messages, the newest ones (RFC 5322 allows trimming).
REFERENCES_KEPT = 20


class TicketRefused(ValueError):
    """The change cannot be made; the message says why, for the form."""


def company_domain(value: str) -> str:
    """Return the bare domain of what staff typed in a company's "Website or domain" field."""
    value = value.strip().lower()
    for prefix in ("https://", "http://"):
        value = value.removeprefix(prefix)
    value = value.split("/", 1)[0].split(":", 1)[0].removeprefix("www.")
    return value


def ticket_company_for(*, contact: Contact, email: str) -> Company | None:
    """Return the company a new ticket of `contact` belongs to.

    Their only company; with several, the one whose domain is the email's domain (or a parent of it); else
    none, until staff choose.
    """
    companies = [
        membership.company for membership in Membership.objects.filter(contact=contact).select_related("company")
    ]
    if len(companies) == 1:
        return companies[0]
    domain = email.rpartition("@")[2].lower()
    matching = [
        company
        for company in companies
        if (known := company_domain(company.domain)) and (domain == known or domain.endswith("." + known))
    ]
    return matching[0] if len(matching) == 1 else None


def attachments_store(*, message: Message, files: Sequence[FilePart]) -> list[Attachment]:
    """Store files of a message privately, under generated names; the sender's name is only shown."""
    stored = []
    for part in files:
        name = attachment_storage().save(
            f"attachments/{message.ticket_id}/{uuid.uuid4().hex}", ContentFile(part.content)
        )
        attachment = Attachment.objects.create(
            message=message,
            stored_name=name,
            name=part.name,
            content_type=part.content_type[:150],
            size=len(part.content),
        )
        stored.append(attachment)
    return stored


def _author_name(actor: Actor) -> str:
    user = actor.user
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username())[:200]


def _message_add(
    *,
    ticket: Ticket,
    body: str,
    author_contact: Contact | None = None,
    actor: Actor | None = None,
    author_name: str = "",
    internal: bool = False,
    event: str = "",
    message_id: str = "",
    files: Sequence[FilePart] = (),
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        author_contact=author_contact,
        author_user=actor.user if actor is not None and actor.kind == ActorKind.STAFF else None,
        author_name=author_name or (_author_name(actor) if actor is not None else ""),
        body=clean_text(body),
        internal=internal,
        event=event,
        message_id=message_id,
    )
    attachments_store(message=message, files=files)
    if not event:
        Ticket.objects.filter(pk=ticket.pk).update(last_message_at=message.created_at, updated_at=timezone.now())
        ticket.last_message_at = message.created_at
    return message


def _ticket_open(
    *, requester: Contact, subject: str, channel: Channel, company: Company | None, actor: Actor
) -> Ticket:
    ticket = Ticket.objects.create(
        subject=clean_text(subject, 300).strip() or "(no subject)",
        requester=requester,
        company=company,
        channel=channel,
        last_message_at=timezone.now(),
    )
    activity_record(
        contact=requester,
        event="ticket_opened",
        actor=actor,
        body=f"Ticket #{ticket.pk} opened ({ticket.get_channel_display()}): {ticket.subject}",
        data={"ticket": ticket.pk, "channel": channel},
    )
    return ticket


def ticket_open_from_customer(
    *,
    requester: Contact,
    subject: str,
    body: str,
    channel: Channel,
    company: Company | None,
    author_name: str = "",
    message_id: str = "",
    files: Sequence[FilePart] = (),
) -> tuple[Ticket, Message]:
    """Open a ticket with the customer's first message (a mail, or "New ticket" in the Customer Portal)."""
    ticket = _ticket_open(requester=requester, subject=subject, channel=channel, company=company, actor=CUSTOMER)
    message = _message_add(
        ticket=ticket,
        body=body,
        author_contact=requester,
        author_name=author_name or requester.display_name,
        message_id=message_id,
        files=files,
    )
    return ticket, message


def customer_message_add(
    *,
    ticket: Ticket,
    contact: Contact,
    body: str,
    author_name: str = "",
    message_id: str = "",
    files: Sequence[FilePart] = (),
) -> Message:
    """Add the customer's reply (by mail or in the portal); a ticket waiting on them, or solved, opens again."""
    message = _message_add(
        ticket=ticket,
        body=body,
        author_contact=contact,
        author_name=author_name or contact.display_name,
        message_id=message_id,
        files=files,
    )
    if ticket.status in (TicketStatus.PENDING, TicketStatus.SOLVED):
        _status_record(ticket=ticket, status=TicketStatus.OPEN, actor=CUSTOMER)
    return message


def _portal_link() -> str:
    return f"{settings.PORTAL_URL or settings.SITE_URL.rstrip('/')}/portal/"


def _outgoing_subject(ticket: Ticket, *, first: bool) -> str:
    subject = f"{ticket.reference} {ticket.subject}"
    return subject if first else f"Re: {subject}"


def _threading_headers(ticket: Ticket, *, before: Message) -> dict[str, str]:
    earlier = list(
        ticket.messages.exclude(message_id="")
        .exclude(pk=before.pk)
        .order_by("-created_at", "-id")
        .values_list("message_id", flat=True)[:REFERENCES_KEPT]
    )
    if not earlier:
        return {}
    return {"In-Reply-To": earlier[0], "References": " ".join(reversed(earlier))}


def _reply_mail(*, ticket: Ticket, message: Message, key: str, first: bool) -> None:
    requester = ticket.requester
    body = (
        f"{message.body}\n\n-- \n{message.author_name}\n\n"
        f"Reply to this email, or see the whole conversation in the Customer Portal: {_portal_link()}"
    )
    mail, _ = mail_queue(
        key=key,
        to=requester.email,
        subject=_outgoing_subject(ticket, first=first),
        body=body,
        reply_to=settings.HELPDESK_EMAIL,
        topic=f"ticket-message:{message.pk}",
        headers=_threading_headers(ticket, before=message),
        attachments=[
            {"storage": "attachments", "name": f.stored_name, "filename": f.name, "content_type": f.content_type}
            for f in message.attachments.order_by("id")
        ],
    )
    Message.objects.filter(pk=message.pk).update(mail=mail, message_id=mail.message_id)
    message.mail, message.message_id = mail, mail.message_id


def _replyable(ticket: Ticket) -> Contact:
    requester = ticket.requester
    if requester is None or requester.deleted_at is not None or requester.email.endswith("@invalid"):
        raise TicketRefused("The requester is no longer a contact that can receive mail, so no reply can be sent.")
    return requester


@transaction.atomic
def ticket_reply(
    *,
    ticket: Ticket,
    body: str,
    actor: Actor,
    key: str,
    status: str = TicketStatus.PENDING,
    files: Sequence[FilePart] = (),
) -> Message:
    """Send a staff reply to the requester by mail (through the outbox) and set the ticket's status.

    `key` names the form it came from, so a double click sends one reply.
    """
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("requester").get(pk=ticket.pk)
    _replyable(ticket)
    existing = Message.objects.filter(mail__key=key).first()
    if existing is not None:
        return existing
    message = _message_add(ticket=ticket, body=body, actor=actor, files=files)
    _reply_mail(ticket=ticket, message=message, key=key, first=False)
    if status != ticket.status and status in TicketStatus.values:
        _status_record(ticket=ticket, status=status, actor=actor)
    return message


@transaction.atomic
def ticket_open_by_staff(*, email: str, name: str = "", subject: str, body: str, actor: Actor, key: str) -> Ticket:
    """Start a ticket to any address: an unknown one is added as a contact (a lead, source "Ticket")."""
    requester, _ = contact_live_get_or_create(name=name, email=email, source=Source.TICKET, actor=actor)
    existing = Message.objects.filter(mail__key=key).select_related("ticket").first()
    if existing is not None:
        return existing.ticket
    company = ticket_company_for(contact=requester, email=requester.email)
    ticket = _ticket_open(requester=requester, subject=subject, channel=Channel.STAFF, company=company, actor=actor)
    message = _message_add(ticket=ticket, body=body, actor=actor)
    _reply_mail(ticket=ticket, message=message, key=key, first=True)
    Ticket.objects.filter(pk=ticket.pk).update(status=TicketStatus.PENDING)
    ticket.status = TicketStatus.PENDING
    return ticket


@transaction.atomic
def ticket_note_add(*, ticket: Ticket, body: str, actor: Actor, files: Sequence[FilePart] = ()) -> Message:
    """Add an internal note: staff only, never mailed, never in the portal."""
    return _message_add(ticket=ticket, body=body, actor=actor, internal=True, files=files)


def _status_record(*, ticket: Ticket, status: str, actor: Actor) -> None:
    before = ticket.get_status_display()
    Ticket.objects.filter(pk=ticket.pk).update(status=status, updated_at=timezone.now())
    ticket.status = status
    who = _author_name(actor) or actor.kind.label
    _message_add(
        ticket=ticket,
        body=f"Status: {before} → {ticket.get_status_display()} ({who})",
        actor=actor,
        author_name=who,
        internal=True,
        event="status",
    )


@transaction.atomic
def ticket_status_set(*, ticket: Ticket, status: str, actor: Actor) -> bool:
    """Set a ticket's status, recorded on it; False when it already had it."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if status not in TicketStatus.values:
        raise TicketRefused("Choose one of the statuses offered.")
    if ticket.status == status:
        return False
    _status_record(ticket=ticket, status=status, actor=actor)
    return True


def ticket_company_choices(*, ticket: Ticket) -> list[Company]:
    """Return the companies a ticket may belong to: the requester's."""
    if ticket.requester_id is None:
        return []
    return [m.company for m in Membership.objects.filter(contact_id=ticket.requester_id).select_related("company")]


@transaction.atomic
def ticket_company_set(*, ticket: Ticket, company: Company | None, actor: Actor) -> bool:
    """Put a ticket in one of its requester's companies, or in none; recorded on it. False when unchanged."""
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("company").get(pk=ticket.pk)
    if company is not None and company.pk not in {c.pk for c in ticket_company_choices(ticket=ticket)}:
        raise TicketRefused("The requester is not a member of that company.")
    if ticket.company_id == (company.pk if company else None):
        return False
    before = ticket.company.name if ticket.company else "no company"
    Ticket.objects.filter(pk=ticket.pk).update(company=company, updated_at=timezone.now())
    ticket.company = company
    who = _author_name(actor) or actor.kind.label
    _message_add(
        ticket=ticket,
        body=f"Company: {before} → {company.name if company else 'no company'} ({who})",
        actor=actor,
        internal=True,
        event="company",
    )
    return True
