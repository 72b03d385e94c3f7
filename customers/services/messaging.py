"""Send a message to a contact by email, and keep what happened to it in the contact's activity log.

A message is one Activity, kind "event", event "message", actor the sender. It is recorded as queued in the
transaction, with its mail in the outbox (jobs.outbox); the worker sends it once that transaction has
committed, retrying a temporary refusal, and the outcome is written back to the same Activity. Its keys,
for anyone rendering or reading the log:

    data["status"]    "queued", "sent" or "failed" (MessageStatus). "queued" lasts until the worker has
                      the mail server's answer, or through the pauses between tries of a temporary refusal.
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

from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError
from django.core.validators import validate_email
from django.db import models, transaction

from crm_core.actors import Actor
from customers.models import Activity, Contact
from customers.services.records import activity_record
from jobs.models import MailStatus, OutboxMail
from jobs.outbox import mail_queue

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


TOPIC = "contact-message:"


class _AlreadyQueued(Exception):
    def __init__(self, mail: OutboxMail) -> None:
        super().__init__(mail.key)
        self.mail = mail


def _queued_activity(mail: OutboxMail) -> Activity | None:
    pk = mail.topic.removeprefix(TOPIC)
    return Activity.objects.filter(pk=int(pk)).first() if mail.topic.startswith(TOPIC) and pk.isdigit() else None


def message_send(*, contact: Contact, subject: str, body: str, actor: Actor, key: str) -> Activity | None:
    """Record a message to the contact as queued and put it in the outbox, which the worker sends from.

    Return the message's Activity, which says "queued" until the worker has heard from the mail server
    (message_outcome writes "sent" or "failed" onto it). `key` names this one message (the form's own
    token): sending again under the same key, as a double click does, records and sends nothing more and
    returns the first message's Activity (None if its contact has gone since). Refuse with BadHeaderError,
    recording and sending nothing, if the subject has a line break or the contact's email is not one valid
    address; the form tells people so before it gets here.
    """
    to = contact.email
    if has_line_break(subject) or address_problem(to):
        raise BadHeaderError("A message needs a one-line subject and one valid recipient address.")
    try:
        return _message_record(contact=contact, subject=subject, body=body, actor=actor, key=f"message:{key}")
    except _AlreadyQueued as queued:
        return _queued_activity(queued.mail)


@transaction.atomic
def _message_record(*, contact: Contact, subject: str, body: str, actor: Actor, key: str) -> Activity:
    reply_to = sender_address(actor.user)
    data = {
        "status": MessageStatus.QUEUED,
        "to": contact.email,
        "from": settings.DEFAULT_FROM_EMAIL,
        "reply_to": reply_to,
        "subject": subject,
    }
    activity = activity_record(contact=contact, event=EVENT, actor=actor, body=_body(data=data, text=body), data=data)
    mail, created = mail_queue(
        key=key, topic=f"{TOPIC}{activity.pk}", to=contact.email, subject=subject, body=body, reply_to=reply_to
    )
    if not created:
        # Rolls this second entry back; the first one stands for the message.
        raise _AlreadyQueued(mail)
    return activity


def message_outcome(*, mail: OutboxMail) -> None:
    """Write a sent or finally failed mail's outcome onto its message's Activity (the outbox's mail_finished).

    An update, not a save: if the contact was erased meanwhile there is no row left to write, and that is fine.
    """
    activity = _queued_activity(mail)
    if activity is None:
        return
    if mail.status == MailStatus.SENT:
        activity.data = {**activity.data, "status": MessageStatus.SENT}
    else:
        activity.data = {**activity.data, "status": MessageStatus.FAILED, "reason": mail.failure_reason}
    activity.body = _body(data=activity.data, text=message_text(activity))
    Activity.objects.filter(pk=activity.pk).update(data=activity.data, body=activity.body)


def on_mail_finished(sender: type, *, mail: OutboxMail, **kwargs: Any) -> None:
    """The outbox's mail_finished receiver (connected in CustomersConfig.ready)."""
    message_outcome(mail=mail)
