"""The outbox: every mail the app sends is queued here in the deciding transaction and sent by the worker.

Exactly one message per key: queueing a key again returns the mail already queued, a worker claims a mail
(queued → sending) before it talks to the server, and a mail left "sending" by a worker that died is
failed, not sent again, because nobody can know whether the server took it. A temporary refusal (4xx,
server out of reach) is tried again after OUTBOX_RETRY_SECONDS[n]; after the last pause, or at once for a
lasting refusal (5xx, a refused address), the mail is failed with a plain reason. Either end is announced
with the `mail_finished` signal, so the app that queued it (a contact's timeline) can say so.
"""

import logging
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import InvalidStorageError, storages
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone

from crm_core.mail import failure_reason, is_temporary
from jobs.models import MailStatus, OutboxMail

logger = logging.getLogger(__name__)

# Sent with `mail` (an OutboxMail) once it is sent or has finally failed.
mail_finished = Signal()

GONE_REASON = "a file attached to it is no longer stored"
LOST_REASON = "the worker stopped while handing it to the mail server, so it may or may not have gone out"


def _enqueue(mail_id: int, run_after: datetime | None = None) -> None:
    from jobs.tasks import send_mail

    (send_mail.using(run_after=run_after) if run_after else send_mail).enqueue(mail_id)


def mail_queue(
    *,
    key: str,
    to: str,
    subject: str,
    body: str,
    reply_to: str = "",
    topic: str = "",
    headers: dict[str, str] | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> tuple[OutboxMail, bool]:
    """Queue a mail under `key`, to go once the transaction commits; return it and whether it is new.

    A key already queued returns that mail and queues nothing, so a double click sends once. The mail's
    Message-ID is fixed here, so the caller can keep it (a ticket threads replies by it).
    """
    existing = OutboxMail.objects.filter(key=key).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            mail = OutboxMail.objects.create(
                key=key,
                topic=topic,
                to=to,
                from_email=settings.DEFAULT_FROM_EMAIL,
                reply_to=reply_to,
                subject=subject,
                body=body,
                message_id=make_msgid(domain=settings.OUTBOX_MESSAGE_ID_DOMAIN),
                headers=headers or {},
                attachments=attachments or [],
            )
    except IntegrityError:
        # The same key, queued by a concurrent request between our look and our insert.
        return OutboxMail.objects.get(key=key), False
    transaction.on_commit(partial(_enqueue, mail.pk))
    return mail, True


def _finish(mail: OutboxMail, **fields: object) -> None:
    OutboxMail.objects.filter(pk=mail.pk).update(**fields)
    mail.refresh_from_db()
    mail_finished.send(sender=OutboxMail, mail=mail)


def mail_send(mail_id: int) -> None:
    """Send one queued mail (the worker's task); a mail already sent, failed or being sent is left alone."""
    if not OutboxMail.objects.filter(pk=mail_id, status=MailStatus.QUEUED).update(
        status=MailStatus.SENDING, attempts=F("attempts") + 1, claimed_at=timezone.now()
    ):
        return
    mail = OutboxMail.objects.get(pk=mail_id)
    message = EmailMessage(
        subject=mail.subject,
        body=mail.body,
        from_email=mail.from_email,
        to=[mail.to],
        reply_to=[mail.reply_to] if mail.reply_to else None,
        # A fixed id, so a mail program can tell the same message from a new one.
        headers={**mail.headers, "Message-ID": mail.message_id},
    )
    try:
        for attached in mail.attachments:
            with storages[attached["storage"]].open(attached["name"], "rb") as handle:
                message.attach(attached["filename"], handle.read(), attached["content_type"])
    except (OSError, KeyError, SuspiciousFileOperation, InvalidStorageError):
        _finish(mail, status=MailStatus.FAILED, failure_reason=GONE_REASON, next_attempt_at=None)
        return
    try:
        message.send()
    except Exception as error:  # The mail server is the outside world: any failure is an outcome to record.
        logger.warning("Mail %s to %s was not sent (attempt %s)", mail.pk, mail.to, mail.attempts, exc_info=True)
        delays = settings.OUTBOX_RETRY_SECONDS
        reason = failure_reason(error)
        if is_temporary(error) and mail.attempts <= len(delays):
            run_after = timezone.now() + timedelta(seconds=delays[mail.attempts - 1])
            OutboxMail.objects.filter(pk=mail.pk).update(
                status=MailStatus.QUEUED, next_attempt_at=run_after, failure_reason=reason
            )
            transaction.on_commit(partial(_enqueue, mail.pk, run_after))
            return
        _finish(mail, status=MailStatus.FAILED, failure_reason=reason, next_attempt_at=None)
        return
    _finish(mail, status=MailStatus.SENT, sent_at=timezone.now(), failure_reason="", next_attempt_at=None)


def mails_recover(*, now: datetime | None = None) -> int:
    """Fail the mails a dead worker left half-sent, and queue again those whose retry was lost; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STALE_SECONDS)
    lost = 0
    for mail in OutboxMail.objects.filter(status=MailStatus.SENDING, claimed_at__lt=cutoff):
        _finish(mail, status=MailStatus.FAILED, failure_reason=LOST_REASON)
        lost += 1
    # A retry is an engine task; one lost with a crashed engine (RQ without persistence) is queued again.
    overdue = OutboxMail.objects.filter(status=MailStatus.QUEUED, next_attempt_at__lt=cutoff)
    for pk in overdue.values_list("pk", flat=True):
        _enqueue(pk)
    return lost
