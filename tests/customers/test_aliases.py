"""An alias (the email of a contact merged away) finds its contact through every way in, and no other contact has it."""

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_core.actors import SHOP, SYSTEM
from customers.models import Contact, EmailAlias
from customers.selectors import contact_trashed_by_email
from customers.services import (
    AliasTaken,
    contact_create,
    contact_form_submit,
    contact_update,
    contacts_restore,
)
from imports.selectors import contacts_existing
from jobs.models import OutboxMail
from orders.payload import placed_order_from_payload
from orders.services import orders_sync_placed_batch
from tests.factories import ContactFactory
from tests.orders.test_payload import order_payload
from tests.tickets.support import mail
from tickets.services.intake import mail_receive
from tickets.services.portal import signin_link_send

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@work.example")
    EmailAlias.objects.create(contact=contact, email="Ann@Home.example")
    return contact


def test_a_mail_from_an_alias_opens_the_ticket_on_its_contact(ann):
    received = mail_receive(raw=mail(sender="Ann <ann@home.example>", subject="Hello").as_bytes())
    assert received.outcome == "opened"
    assert ann.tickets.count() == 1
    assert Contact.objects.count() == 1


def test_the_website_form_from_an_alias_lands_on_its_contact(ann):
    contact = contact_form_submit(name="Ann", email=" ANN@home.example", message="Hi", consent=False)
    assert contact.pk == ann.pk
    assert Contact.objects.count() == 1


def test_the_portal_sign_in_link_goes_to_the_alias_typed(ann, settings):
    assert signin_link_send(email="ann@HOME.example", base_url="http://x")
    assert OutboxMail.objects.get().to == "Ann@Home.example"


def test_an_order_file_with_the_email_and_the_alias_lands_on_one_contact(ann):
    datas = [
        placed_order_from_payload(order_payload(id="A1", email="ann@work.example")),
        placed_order_from_payload(order_payload(id="A2", email="ann@home.example")),
        placed_order_from_payload(order_payload(id="A3", email="new@example.com")),
    ]
    results = orders_sync_placed_batch(datas=datas, actor=SHOP)
    assert [result.contact.pk for result in results[:2]] == [ann.pk, ann.pk]
    assert Contact.objects.get(pk=ann.pk).orders_count == 2
    assert Contact.objects.count() == 2


def test_an_import_finds_a_contact_by_its_alias(ann):
    found = contacts_existing(emails=["ann@home.example", "ann@work.example"])
    assert found["ann@home.example"] is found["ann@work.example"]
    assert found["ann@home.example"].id == ann.pk


def test_no_new_contact_may_take_an_alias(ann):
    with pytest.raises(AliasTaken), transaction.atomic():
        contact_create(email=" ann@HOME.example ", actor=SYSTEM)
    assert Contact.objects.count() == 1


def test_an_edit_to_another_contacts_alias_is_refused_and_to_its_own_swaps(ann):
    other = ContactFactory(email="bob@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        contact_update(contact=other, actor=SYSTEM, email="ann@home.example")
    contact_update(contact=ann, actor=SYSTEM, email="ann@home.example")
    ann.refresh_from_db()
    assert ann.email == "ann@home.example"
    assert list(ann.aliases.values_list("email", flat=True)) == ["ann@work.example"]


def test_a_trashed_contact_whose_email_is_now_an_alias_stays_in_the_trash(ann):
    trashed = ContactFactory(email="old@example.com", deleted_at=timezone.now())
    EmailAlias.objects.create(contact=ann, email="old@example.com")
    restored = contacts_restore(contacts=Contact.objects.filter(pk=trashed.pk), actor=SYSTEM)
    assert (restored.count, restored.blocked) == (0, [(trashed.pk, ann.pk)])


def test_a_trashed_contacts_alias_is_found_among_the_trash(ann):
    Contact.objects.filter(pk=ann.pk).update(deleted_at=timezone.now())
    assert contact_trashed_by_email(email="ann@home.example") == ann
