"""jobs.outbox: one mail per key, a fixed Message-ID, and a mail a dead worker left half-sent is failed, not resent."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import Activity
from customers.services.messaging import message_send
from jobs.models import MailStatus, OutboxMail
from jobs.outbox import GONE_REASON, LOST_REASON, mail_queue, mails_recover
from tests.factories import ContactFactory, UserFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def test_a_key_queued_twice_is_one_mail_with_a_fixed_message_id(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first, created = mail_queue(key="export-ready:1", to="ann@example.com", subject="Ready", body="Here")
        again, created_again = mail_queue(key="export-ready:1", to="ann@example.com", subject="Ready", body="Here")
    assert (created, created_again, again.pk) == (True, False, first.pk)
    run_queued()
    run_queued()
    [sent] = mail.outbox
    assert sent.extra_headers["Message-ID"] == first.message_id
    first.refresh_from_db()
    assert (first.status, first.attempts) == (MailStatus.SENT, 1)


def test_a_mail_left_sending_by_a_dead_worker_is_failed_and_its_timeline_says_so(
    settings, django_capture_on_commit_callbacks
):
    ann = ContactFactory(email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        activity = message_send(
            contact=ann, subject="Hi", body="Text", actor=Actor.staff(UserFactory(role="Staff")), key="a" * 32
        )
    # The worker claimed it and died before it could say how the server answered.
    silent = timezone.now() - timedelta(seconds=settings.JOBS_STALE_SECONDS + 1)
    OutboxMail.objects.update(status=MailStatus.SENDING, attempts=1, claimed_at=silent)
    assert mails_recover() == 1
    run_queued()
    assert mail.outbox == []
    outbox = OutboxMail.objects.get()
    assert (outbox.status, outbox.failure_reason) == (MailStatus.FAILED, LOST_REASON)
    entry = Activity.objects.get(pk=activity.pk)
    assert entry.data["status"] == "failed"
    assert entry.body.splitlines()[0] == f"Message to ann@example.com not sent: {LOST_REASON}"


def test_attached_files_are_read_when_the_mail_is_sent_and_a_missing_one_fails_it(django_capture_on_commit_callbacks):
    name = storages["attachments"].save("attachments/outbox-test", ContentFile(b"label"))
    attached = {"storage": "attachments", "name": name, "filename": "label.pdf", "content_type": "application/pdf"}
    with django_capture_on_commit_callbacks(execute=True):
        mail_queue(key="with-file", to="ann@example.com", subject="Label", body="Here", attachments=[attached])
        gone, _ = mail_queue(
            key="file-gone",
            to="ann@example.com",
            subject="Label",
            body="Here",
            attachments=[{**attached, "name": "attachments/never-stored"}],
        )
    run_queued()
    [sent] = mail.outbox
    assert sent.attachments == [("label.pdf", b"label", "application/pdf")]
    gone.refresh_from_db()
    assert (gone.status, gone.failure_reason, gone.attempts) == (MailStatus.FAILED, GONE_REASON, 1)
