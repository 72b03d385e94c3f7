"""A merge racing an order, a mail, an edit or a second merge, each on its own database connection.

The merge is held right after it has locked both contacts (its snapshot is read then) while the other write
starts; on PostgreSQL that write then waits on the lock for real, and must land on the survivor through the
alias once the merge commits. SQLite's IMMEDIATE transactions queue writers instead, so there the other write
simply runs after the merge; the outcome must be the same.
"""

import threading
from unittest import mock

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from crm_core.actors import SHOP
from customers.models import Contact, Stage
from merges.models import Merge
from merges.services import merge as merge_module
from merges.services.merge import MergeChoices, MergeRefused, contacts_merge
from orders.models import Order
from orders.payload import placed_order_from_payload
from orders.services import order_sync_placed, placed
from tests.factories import ContactFactory, UserFactory
from tests.orders.test_concurrency import DATABASES, _edit_form_data, racing
from tests.orders.test_payload import order_payload
from tests.tickets.support import mail
from tickets.models import Message
from tickets.services.intake import mail_receive

# How long the held merge waits before going on when nothing releases it: long enough for the other write to
# reach the lock it waits on (it cannot signal that it is waiting), short enough for the suite.
HOLD_SECONDS = 1.5


def _pair():
    survivor = ContactFactory(first_name="Ann", last_name="Lee", email="ann@work.example", stage=Stage.CUSTOMER)
    merged = ContactFactory(first_name="Ann", last_name="Lee", email="ann@home.example")
    return survivor, merged


def _merge(survivor: Contact, merged: Contact, versions: dict) -> Merge:
    return contacts_merge(
        survivor_id=survivor.pk, merged_id=merged.pk, choices=MergeChoices(), versions=versions, actor=SHOP
    )


def _held_merge_racing(survivor: Contact, merged: Contact, other_write) -> tuple[list, list[BaseException]]:
    """Run the merge, held after its locks, and `other_write` in a second thread once the merge holds them."""
    versions = {contact.pk: contact.updated_at for contact in Contact.objects.filter(pk__in=[survivor.pk, merged.pk])}
    locked = threading.Event()
    real_snapshot = merge_module.merge_snapshot

    def held_snapshot(**kwargs):
        locked.set()
        threading.Event().wait(HOLD_SECONDS)
        return real_snapshot(**kwargs)

    results, errors = [], []

    def run(work):
        try:
            results.append(work())
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    def other():
        locked.wait(timeout=30)
        run(other_write)

    with mock.patch.object(merge_module, "merge_snapshot", held_snapshot):
        threads = [
            threading.Thread(target=run, args=(lambda: _merge(survivor, merged, versions),)),
            threading.Thread(target=other),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return results, errors


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_an_order_for_the_merged_email_during_the_merge_lands_on_the_survivor(database):
    survivor, merged = _pair()
    order = placed_order_from_payload(order_payload(id="7001", email="ANN@home.example"))
    _, errors = _held_merge_racing(survivor, merged, lambda: order_sync_placed(data=order, actor=SHOP))
    assert errors == []
    assert Order.objects.get(shop_order_id="7001").contact_id == survivor.pk
    assert list(Contact.objects.values_list("pk", flat=True)) == [survivor.pk]
    assert Contact.objects.get(pk=survivor.pk).orders_count == 1


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_an_order_for_the_survivors_email_during_the_merge_is_counted(database):
    survivor, merged = _pair()
    order = placed_order_from_payload(order_payload(id="7002", email="ann@work.example"))
    _, errors = _held_merge_racing(survivor, merged, lambda: order_sync_placed(data=order, actor=SHOP))
    assert errors == []
    survivor = Contact.objects.get()
    assert (survivor.orders_count, Order.objects.get().contact_id) == (1, survivor.pk)


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_a_mail_from_the_merged_address_during_the_merge_lands_on_the_survivor(database):
    survivor, merged = _pair()
    raw = mail(sender="Ann Lee <ann@home.example>", subject="Where is my order?").as_bytes()
    _, errors = _held_merge_racing(survivor, merged, lambda: mail_receive(raw=raw))
    assert errors == []
    message = Message.objects.get()
    assert (message.author_contact_id, message.ticket.requester_id) == (survivor.pk, survivor.pk)
    assert Contact.objects.count() == 1


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_a_staff_edit_of_the_merged_contact_during_the_merge_saves_nothing_and_never_fails(database):
    survivor, merged = _pair()
    client = Client()
    client.force_login(UserFactory(username="staffer", role="Staff"))
    url = reverse("customers:update", args=[merged.pk])
    data = _edit_form_data(client.get(url), first_name="Annabel")
    answers, errors = _held_merge_racing(survivor, merged, lambda: client.post(url, data))
    assert errors == []
    assert sum(isinstance(answer, Merge) for answer in answers) == 1
    (response,) = [answer for answer in answers if not isinstance(answer, Merge)]
    # The edit waited on the merge's lock and found the contact merged (the page says so with what was typed),
    # or, on SQLite's queue, came after the merge and found no contact; never a 500 and never half of each.
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert "merged into another while you were editing" in response.content.decode()
        assert 'value="Annabel"' in response.content.decode()
    assert list(Contact.objects.values_list("first_name", flat=True)) == ["Ann"]


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_the_same_merge_twice_at_once_merges_once(database):
    survivor, merged = _pair()
    versions = {contact.pk: contact.updated_at for contact in Contact.objects.all()}
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def run():
        try:
            barrier.wait(timeout=30)
            outcomes.append(_merge(survivor, merged, versions))
        except MergeRefused as refused:
            outcomes.append(refused.message)
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(isinstance(outcome, Merge) for outcome in outcomes) == 1
    assert any("no longer exists" in outcome for outcome in outcomes if isinstance(outcome, str))
    assert (Contact.objects.count(), Merge.objects.count()) == (1, 1)


@racing
@pytest.mark.parametrize("database", DATABASES)
def test_an_order_holding_the_merged_contact_makes_the_merge_wait_then_refuse_as_stale(database):
    survivor, merged = _pair()
    versions = {contact.pk: contact.updated_at for contact in Contact.objects.all()}
    order = placed_order_from_payload(order_payload(id="7003", email="ann@home.example"))
    real_promote = placed.contact_promote_to_customer
    holding = threading.Event()

    def held_promote(**kwargs):
        holding.set()
        threading.Event().wait(HOLD_SECONDS)
        return real_promote(**kwargs)

    outcomes, errors = [], []

    def run(work):
        try:
            outcomes.append(work())
        except MergeRefused as refused:
            outcomes.append(refused)
        except BaseException as error:  # every failure, reported by the test
            errors.append(error)
        finally:
            connections.close_all()

    def merge_after_lock():
        holding.wait(timeout=30)
        run(lambda: _merge(survivor, merged, versions))

    with mock.patch.object(placed, "contact_promote_to_customer", held_promote):
        threads = [
            threading.Thread(target=run, args=(lambda: order_sync_placed(data=order, actor=SHOP),)),
            threading.Thread(target=merge_after_lock),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    (refused,) = [outcome for outcome in outcomes if isinstance(outcome, MergeRefused)]
    assert refused.stale
    # Nothing half merged: the order is on the contact it was placed for, both contacts still there.
    assert Order.objects.get().contact_id == merged.pk
    assert Contact.objects.count() == 2
    # Merged again from a fresh preview, the order moves with it.
    _merge(survivor, merged, {contact.pk: contact.updated_at for contact in Contact.objects.all()})
    assert Order.objects.get().contact_id == survivor.pk
