"""Two real connections at once (threads, transaction=True), on PostgreSQL and on SQLite's test file: a job
claimed by two workers runs once, and two sends of one Send message form make one message."""

import threading
import uuid

import pytest
from django.core import mail
from django.db import connections

from crm_core.actors import Actor
from customers.models import Activity
from customers.services.background import LABEL_ADD
from customers.services.messaging import message_send
from jobs.models import Job, JobStatus, OutboxMail
from jobs.services import job_run
from tests.factories import ContactFactory, UserFactory
from tests.jobs.support import run_queued

pytestmark = pytest.mark.django_db(transaction=True)


def at_once(call, times: int = 2) -> list[BaseException]:
    barrier = threading.Barrier(times)
    errors: list[BaseException] = []

    def run():
        try:
            barrier.wait(timeout=30)
            call()
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_two_workers_taking_the_same_job_run_it_once(monkeypatch):
    job = Job.objects.create(kind=LABEL_ADD, user=UserFactory(role="Staff"), params={})
    runs = []

    class Kind:
        @staticmethod
        def run(run):
            runs.append(run.token)
            return "ran"

    monkeypatch.setattr("jobs.services.kind_of", lambda name: Kind)
    assert at_once(lambda: job_run(job.pk)) == []
    job.refresh_from_db()
    assert (len(runs), job.status, job.attempts) == (1, JobStatus.DONE, 1)


def test_two_sends_of_one_form_at_once_make_one_message(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    ann = ContactFactory(email="ann@example.com")
    sender = UserFactory(role="Staff")
    key = uuid.uuid4().hex

    def send():
        message_send(contact=ann, subject="Hi", body="Text", actor=Actor.staff(sender), key=key)

    assert at_once(send) == []
    assert Activity.objects.filter(event="message").count() == 1
    assert OutboxMail.objects.count() == 1
    run_queued()
    assert len(mail.outbox) == 1
