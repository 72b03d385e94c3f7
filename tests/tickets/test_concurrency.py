"""Mail and sign-in links at the same moment, each thread on its own database connection (SECURITY 26, 27).

On PostgreSQL the threads truly race; on SQLite (a test database file shared by the threads) writers queue.
"""

import threading

import pytest
from django.db import connections

from customers.models import Contact
from jobs.models import OutboxMail
from tests.orders.test_concurrency import DATABASES, racing
from tickets.models import Message, PortalSignIn, Ticket
from tickets.services.intake import mail_receive
from tickets.services.portal import signin_link_send, signin_link_use

from .support import mail

THREADS = 10


def at_once(work, arguments: list) -> tuple[list, list[BaseException]]:
    barrier = threading.Barrier(len(arguments))
    results, errors = [], []

    def run(argument):
        try:
            barrier.wait(timeout=30)
            results.append(work(argument))
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(argument,)) for argument in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_ten_first_mails_from_one_new_address_add_one_contact(database):
    raws = [
        mail(sender=f"Ann Lee <{'ANN' if i % 2 else 'ann'}@example.com>", subject=f"Q{i}").as_bytes()
        for i in range(THREADS)
    ]
    results, errors = at_once(lambda raw: mail_receive(raw=raw), raws)
    assert errors == []
    assert [r.outcome for r in results] == ["opened"] * THREADS
    contact = Contact.objects.live().get()
    assert Ticket.objects.filter(requester=contact).count() == THREADS


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_the_same_mail_delivered_ten_times_at_once_is_stored_once(database):
    raw = mail(message_id="<same@mail.example>").as_bytes()
    results, errors = at_once(lambda raw: mail_receive(raw=raw), [raw] * THREADS)
    assert errors == []
    assert sorted(r.outcome for r in results) == ["duplicate"] * (THREADS - 1) + ["opened"]
    assert (Ticket.objects.count(), Message.objects.count()) == (1, 1)


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_one_sign_in_link_used_ten_times_at_once_signs_in_once(database, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Contact.objects.create(email="ann@example.com")
    signin_link_send(email="ann@example.com", base_url="http://x")
    token = OutboxMail.objects.get().body.split("/portal/sign-in/")[1].split("/")[0]
    results, errors = at_once(lambda token: signin_link_use(token=token), [token] * THREADS)
    assert errors == []
    assert sum(result is not None for result in results) == 1
    assert PortalSignIn.objects.get().used_at is not None
