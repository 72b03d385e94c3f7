"""The website's contact form service: a lead for a new email, a message on a known contact, consent as ticked."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from crm_core.actors import Actor, ActorKind
from customers.models import Activity, ConsentRecord, ConsentSource, ConsentState, Contact, OptInLevel, Source, Stage
from customers.services import consent_record, contacts_trash, website
from customers.services.website import contact_form_submit, name_split
from tests.factories import ContactFactory, UserFactory


def submit(**overrides) -> Contact:
    values = {"name": "Ann Lee", "email": "ann@example.com", "message": "Do you ship to Norway?", "consent": False}
    return contact_form_submit(**{**values, **overrides})


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Ann Lee", ("Ann", "Lee")),
        ("Ludwig van Beethoven", ("Ludwig van", "Beethoven")),
        ("Cher", ("Cher", "")),
        ("  Ann \t  Lee  ", ("Ann", "Lee")),
        ("", ("", "")),
    ],
)
def test_the_last_word_of_a_name_is_the_last_name(name, expected):
    assert name_split(name) == expected


@pytest.mark.django_db
def test_a_new_email_becomes_a_lead_from_the_contact_form_with_the_message_on_its_timeline():
    contact = submit(client="203.0.113.5")

    contact.refresh_from_db()
    assert (contact.first_name, contact.last_name, contact.email) == ("Ann", "Lee", "ann@example.com")
    assert contact.stage == Stage.LEAD
    assert contact.source == Source.CONTACT_FORM
    created, message = Activity.objects.filter(contact=contact).order_by("created_at", "id")
    assert (created.event, created.actor_kind, created.actor) == ("created", ActorKind.WEBSITE, None)
    assert (message.event, message.actor_kind, message.actor) == ("message_received", ActorKind.WEBSITE, None)
    assert message.body == "Message from Ann Lee through the website contact form:\nDo you ship to Norway?"
    assert message.data == {"name": "Ann Lee", "client_address": "203.0.113.5"}


@pytest.mark.django_db
def test_a_known_email_in_any_case_gets_the_message_and_keeps_its_name():
    known = ContactFactory(email="Ann.Lee@Example.com", first_name="Annabel", last_name="Lee-Smith")

    contact = submit(name="Someone Else", email="ann.lee@EXAMPLE.COM", message="Where is my order?")

    assert contact.pk == known.pk
    assert Contact.objects.count() == 1
    known.refresh_from_db()
    assert (known.first_name, known.last_name, known.email) == ("Annabel", "Lee-Smith", "Ann.Lee@Example.com")
    assert known.source == Source.MANUAL
    message = known.activities.get()
    assert message.event == "message_received"
    assert message.body.endswith("\nWhere is my order?")
    # The name typed is kept with the message, so staff can see who wrote.
    assert message.data["name"] == "Someone Else"


@pytest.mark.django_db
def test_a_customer_writing_in_stays_a_customer():
    known = ContactFactory(email="ann@example.com", stage=Stage.CUSTOMER)
    submit()
    known.refresh_from_db()
    assert known.stage == Stage.CUSTOMER


@pytest.mark.django_db
def test_a_ticked_consent_box_appends_a_single_opt_in_subscription_from_the_contact_form():
    before = timezone.now()
    contact = submit(consent=True)

    record = ConsentRecord.objects.get(contact=contact)
    assert record.state == ConsentState.SUBSCRIBED
    assert record.opt_in_level == OptInLevel.SINGLE
    assert record.source == ConsentSource.CONTACT_FORM
    assert record.actor is None
    assert record.collected_how == "Ticked the marketing box on the website contact form"
    assert before <= record.given_at <= timezone.now()
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.SUBSCRIBED
    consent_event = contact.activities.get(event="consent_changed")
    assert consent_event.actor_kind == ActorKind.WEBSITE


@pytest.mark.django_db
def test_an_unticked_box_records_no_consent():
    contact = submit(consent=False)
    assert not ConsentRecord.objects.exists()
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.NOT_SUBSCRIBED
    assert not contact.activities.filter(event="consent_changed").exists()


@pytest.mark.django_db
def test_an_unticked_box_leaves_an_earlier_unsubscribe_alone():
    known = ContactFactory(email="ann@example.com")
    consent_record(
        contact=known,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now() - timedelta(days=1),
        collected_how="Asked by phone",
        actor=Actor.staff(UserFactory()),
    )
    submit(consent=False)
    known.refresh_from_db()
    assert known.marketing_consent == ConsentState.UNSUBSCRIBED
    assert known.consent_records.count() == 1


@pytest.mark.django_db
def test_the_email_of_a_trashed_contact_starts_a_new_lead():
    trashed = ContactFactory(email="ann@example.com", first_name="Old", last_name="Name")
    contacts_trash(contacts=Contact.objects.filter(pk=trashed.pk), actor=Actor.staff(UserFactory()))

    contact = submit()

    assert contact.pk != trashed.pk
    assert (contact.first_name, contact.source, contact.stage) == ("Ann", Source.CONTACT_FORM, Stage.LEAD)
    assert not trashed.activities.filter(event="message_received").exists()
    trashed.refresh_from_db()
    assert trashed.in_trash


@pytest.mark.django_db
def test_losing_the_race_to_create_a_new_email_adds_the_message_to_the_winners_contact():
    """The other submission's contact appears between our read and our insert; the database refuses ours."""
    winner = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    real_lookup = website.contact_live_by_email_for_update
    # The first read misses the contact, as it would have a moment before the other submission committed.
    with mock.patch.object(
        website, "contact_live_by_email_for_update", side_effect=[None, real_lookup(email="ann@example.com")]
    ):
        contact = submit(message="Second message")

    assert contact.pk == winner.pk
    assert Contact.objects.count() == 1
    assert winner.activities.get(event="message_received").body.endswith("Second message")


# Each thread has its own connection, so these commit for real. PostgreSQL's threads truly race; SQLite's
# IMMEDIATE transactions make them wait their turn, which only a test database file shared by the threads
# can show (the default in-memory one cannot).
@pytest.mark.skipif(
    connection.vendor == "sqlite" and not settings.DATABASES["default"].get("TEST", {}).get("NAME"),
    reason="needs a SQLite test database in a file shared by the threads (the settings name one)",
)
@pytest.mark.django_db(transaction=True)
def test_simultaneous_first_messages_from_one_new_email_make_one_lead_with_every_message():
    threads_count = 8
    barrier = threading.Barrier(threads_count)
    errors: list[BaseException] = []

    def send(number: int) -> None:
        try:
            barrier.wait(timeout=30)
            submit(email="Ann@Example.com" if number % 2 else "ann@example.com", message=f"Message {number}")
        except BaseException as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(number,)) for number in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    contact = Contact.objects.get()
    assert contact.activities.filter(event="created").count() == 1
    assert contact.activities.filter(event="message_received").count() == threads_count
