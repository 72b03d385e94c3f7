"""Send a message to a contact by email, and keep what happened to it in the contact's activity log.

A message is one Activity, kind "event", event "message", actor the sender. It is recorded as queued in the
transaction; the mail goes out only once that transaction has committed, and the outcome is written back to
the same Activity. Its keys, for anyone rendering or reading the log:

    data["status"]    "queued", "sent" or "failed" (MessageStatus). "queued" lasts only from the commit
                      until the mail server answers, unless the process died in between.
    data["to"]        the recipient address, the contact's email at the time of sending
    data["from"]      the From header used (settings.DEFAULT_FROM_EMAIL)
    data["reply_to"]  the sender's own email address, where replies go; "" when they have none
    data["subject"]   the subject, one line
    data["reason"]    failed only: why, in plain words staff can act on ("the mail server refused the
                      connection"); the technical detail goes to the server's log only, never to the history

Activity.body is what the log shows as text: a headline saying what happened ("Message sent to
ann@example.com"), "Subject: …", a blank line, then the message text exactly as sent. The headline and
subject lines never contain a line break, so message_text() can take the text back out.
"""

import logging
import smtplib
import socket
import ssl
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.core.validators import validate_email
from django.db import models, transaction

from crm_core.actors import Actor
from customers.models import Activity, Contact
from customers.services.records import activity_record

logger = logging.getLogger(__name__)

EVENT = "message"
SUBJECT_MAX_LENGTH = 200
BODY_MAX_LENGTH = 20_000
# Everything str.splitlines() breaks on. Django refuses only CR and LF in headers; the rest would still
# break a subject line in some mail programs, so none of them may reach a header either.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")


class MessageStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


def has_line_break(value: str) -> bool:
    """Return whether the text would span more than one line in a mail header."""
    return not LINE_BREAKS.isdisjoint(value)


def address_problem(address: str) -> str:
    """Return why a message cannot be sent to or from this address, or "" when it can."""
    if has_line_break(address):
        return "it contains a line break"
    try:
        validate_email(address)
    except ValidationError:
        return "it is not a valid email address"
    return ""


def message_text(activity: Activity) -> str:
    """Return the text of a message activity as it was sent, without the headline and subject lines."""
    return activity.body.partition("\n\n")[2]


def sender_address(user: AbstractBaseUser | None) -> str:
    """Return the sender's own email address for replies, or "" when they have none fit for a header."""
    address = getattr(user, "email", "") or ""
    return address if address and not address_problem(address) else ""


def _body(*, data: dict[str, Any], text: str) -> str:
    status, to = data["status"], data["to"]
    if status == MessageStatus.SENT:
        headline = f"Message sent to {to}"
    elif status == MessageStatus.FAILED:
        headline = f"Message to {to} not sent: {data['reason']}"
    else:
        headline = f"Message to {to} waiting to be sent"
    return f"{headline}\nSubject: {data['subject']}\n\n{text}"


def failure_reason(error: Exception) -> str:
    """Return, in plain words staff can act on, why the mail server did not take a message.

    Never the exception's own text: that can carry file paths, host names and library internals, which
    belong in the server's log (where _deliver writes them), not in a contact's history.
    """
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "the mail server refused the recipient's address"
    if isinstance(error, smtplib.SMTPSenderRefused):
        return "the mail server refused the sender's address"
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return "the mail server did not accept our login"
    if isinstance(error, smtplib.SMTPResponseException):
        if 400 <= error.smtp_code < 500:
            return f"the mail server is not taking messages just now (it answered {error.smtp_code})"
        return f"the mail server refused the message (it answered {error.smtp_code})"
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return "the mail server closed the connection"
    if isinstance(error, smtplib.SMTPException):
        return "the mail server could not take the message"
    if isinstance(error, ConnectionRefusedError):
        return "the mail server refused the connection"
    if isinstance(error, TimeoutError):
        return "the mail server did not answer in time"
    if isinstance(error, socket.gaierror):
        return "the mail server's address could not be found"
    if isinstance(error, ssl.SSLError):
        return "a secure connection to the mail server could not be made"
    if isinstance(error, OSError):
        return "the mail server could not be reached"
    return "the message could not be handed to the mail server"


def _deliver(activity: Activity, email: EmailMessage, text: str) -> None:
    """Hand the message to the mail server and write the outcome onto its activity; never raise."""
    try:
        email.send()
    except Exception as error:  # The mail server is the outside world: any failure is an outcome to record.
        logger.warning("Message %s to contact %s was not sent", activity.pk, activity.contact_id, exc_info=True)
        activity.data |= {"status": MessageStatus.FAILED, "reason": failure_reason(error)}
    else:
        activity.data["status"] = MessageStatus.SENT
    activity.body = _body(data=activity.data, text=text)
    # An update, not a save: if the contact was erased meanwhile there is no row left to write, and that is fine.
    Activity.objects.filter(pk=activity.pk).update(data=activity.data, body=activity.body)


@transaction.atomic
def message_send(*, contact: Contact, subject: str, body: str, actor: Actor) -> Activity:
    """Record a message to the contact as queued and send it by email once the transaction commits.

    Return the message's Activity. Called outside any transaction (as a view is), the mail has been handed
    to the server by the time this returns, and the Activity says "sent" or "failed"; inside an outer
    transaction it says "queued" until that commits. Refuse with BadHeaderError, recording and sending
    nothing, if the subject has a line break or the contact's email is not one valid address; the form
    tells people so before it gets here.
    """
    to, sender = contact.email, settings.DEFAULT_FROM_EMAIL
    if has_line_break(subject) or address_problem(to):
        raise BadHeaderError("A message needs a one-line subject and one valid recipient address.")
    reply_to = sender_address(actor.user)
    data = {
        "status": MessageStatus.QUEUED,
        "to": to,
        "from": sender,
        "reply_to": reply_to,
        "subject": subject,
    }
    activity = activity_record(contact=contact, event=EVENT, actor=actor, body=_body(data=data, text=body), data=data)
    email = EmailMessage(
        subject=subject, body=body, from_email=sender, to=[to], reply_to=[reply_to] if reply_to else None
    )
    transaction.on_commit(partial(_deliver, activity, email, body))
    return activity
