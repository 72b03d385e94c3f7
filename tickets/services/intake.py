"""Mail in: the one service `manage.py receive_email` and the inbound webhook call with a received message."""

import dataclasses
import logging
import re
import uuid
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import Lower

from crm_core.actors import CUSTOMER
from customers.models import Contact, Source
from customers.selectors import contact_live_by_email
from customers.services import contact_live_get_or_create
from tickets.mailparse import ReceivedMail, UnreadableMail, headers_glance, mail_parse
from tickets.models import (
    Channel,
    Message,
    Ticket,
    TicketStatus,
    UnprocessedMail,
    UnprocessedReason,
    attachment_storage,
)
from tickets.selectors import tickets_visible_to
from tickets.services.tickets import customer_message_add, ticket_company_for, ticket_open_from_customer

logger = logging.getLogger(__name__)
SUBJECT_REFERENCE = r"\[#(\d{1,12})\]"


@dataclass(frozen=True)
class Received:
    """What became of a received mail: "opened", "replied", "duplicate" or "kept" (Unprocessed mail)."""

    outcome: str
    ticket: Ticket | None = None
    message: Message | None = None
    kept: UnprocessedMail | None = None


def _keep(raw: bytes, reason: UnprocessedReason, detail: str = "", sender: str = "", subject: str = "") -> Received:
    name = attachment_storage().save(f"unprocessed/{uuid.uuid4().hex}.eml", ContentFile(raw))
    kept = UnprocessedMail.objects.create(
        reason=reason, detail=detail[:300], sender=sender[:320], subject=subject[:300], size=len(raw), stored_name=name
    )
    logger.info("Received mail kept as unprocessed (%s): %s", reason, detail)
    return Received("kept", kept=kept)


def is_staff_address(address: str) -> bool:
    """Whether mail from this address claims to come from staff or from the helpdesk itself.

    A From header is written by the sender, so it proves nothing: such mail is never taken as a staff reply
    (staff answer in the app) and never answered, which would mail the helpdesk to itself.
    """
    normalized = address.strip().lower()
    if normalized == parseaddr(settings.HELPDESK_EMAIL)[1].lower():
        return True
    users = get_user_model().objects.annotate(email_lower=Lower("email"))
    return users.filter(email_lower=normalized, is_active=True).exists()


def _threaded(mail: ReceivedMail, contact: Contact) -> Ticket | None:
    """Return the ticket a mail answers, if the sender may see it and it is not closed; else None (a new one)."""
    candidates = tickets_visible_to(contact).exclude(status=TicketStatus.CLOSED)
    if mail.answers:
        ticket = candidates.filter(messages__message_id__in=mail.answers).order_by("-last_message_at").first()
        if ticket is not None:
            return ticket
    for number in re.findall(SUBJECT_REFERENCE, mail.subject):
        ticket = candidates.filter(pk=int(number)).first()
        if ticket is not None:
            return ticket
    return None


def _store(mail: ReceivedMail) -> Received:
    if mail.message_id:
        earlier = Message.objects.filter(message_id=mail.message_id).select_related("author_contact").first()
        if earlier is not None:
            author = earlier.author_contact
            if author is not None and contact_live_by_email(email=mail.from_address) == author:
                return Received("duplicate")
            # Someone else's id (or one of the app's own replies): stored, but never threaded by it.
            mail = dataclasses.replace(mail, message_id="")
    contact, _ = contact_live_get_or_create(
        name=mail.from_name, email=mail.from_address, source=Source.TICKET, actor=CUSTOMER
    )
    ticket = _threaded(mail, contact)
    if ticket is not None:
        message = customer_message_add(
            ticket=ticket,
            contact=contact,
            body=mail.text,
            author_name=mail.from_name,
            message_id=mail.message_id,
            files=mail.files,
        )
        return Received("replied", ticket=ticket, message=message)
    ticket, message = ticket_open_from_customer(
        requester=contact,
        subject=mail.subject,
        body=mail.text,
        channel=Channel.EMAIL,
        company=ticket_company_for(contact=contact, email=mail.from_address),
        author_name=mail.from_name,
        message_id=mail.message_id,
        files=mail.files,
    )
    return Received("opened", ticket=ticket, message=message)


def mail_receive(*, raw: bytes) -> Received:
    """Make a received mail a ticket message, or keep it whole as Unprocessed mail; nothing is ever dropped.

    A new mail from an unknown address adds its sender as a contact (a lead, source "Ticket") and opens a
    ticket; an answer joins its ticket by In-Reply-To / References, or by `[#123]` in the subject, when the
    sender may see that ticket (tickets_visible_to), and otherwise opens a new one for them. Auto-replies
    and bounces, mail claiming a staff sender and mail too large or unreadable are kept, not answered. The
    same Message-ID delivered again is stored once. A DatabaseError is raised: the mail system should retry.
    """
    if len(raw) > settings.TICKET_MAIL_MAX_BYTES:
        sender, subject = headers_glance(raw)
        limit = settings.TICKET_MAIL_MAX_BYTES // (1024 * 1024)
        return _keep(
            raw, UnprocessedReason.TOO_LARGE, f"{len(raw):,} bytes, over the limit of {limit} MB", sender, subject
        )
    try:
        mail = mail_parse(raw)
    except UnreadableMail as error:
        return _keep(raw, UnprocessedReason.UNREADABLE, str(error))
    if mail.automatic:
        return _keep(raw, UnprocessedReason.AUTOMATIC, mail.automatic, mail.from_address, mail.subject)
    if not mail.from_address:
        return _keep(raw, UnprocessedReason.NO_SENDER, "the From header has no valid address", "", mail.subject)
    if is_staff_address(mail.from_address):
        detail = "mail claiming a staff or helpdesk sender is not taken as a reply; staff answer in the app"
        return _keep(raw, UnprocessedReason.STAFF_SENDER, detail, mail.from_address, mail.subject)
    try:
        with transaction.atomic():
            return _store(mail)
    except IntegrityError:
        # The same Message-ID stored by a delivery running alongside this one.
        if mail.message_id and Message.objects.filter(message_id=mail.message_id).exists():
            return Received("duplicate")
        raise
    except DatabaseError:
        raise
    except Exception as error:  # Outside data: whatever breaks on it, the mail is kept for staff, not lost.
        logger.exception("Received mail could not be stored as a ticket message")
        return _keep(
            raw,
            UnprocessedReason.UNREADABLE,
            f"it could not be stored ({type(error).__name__})",
            mail.from_address,
            mail.subject,
        )
