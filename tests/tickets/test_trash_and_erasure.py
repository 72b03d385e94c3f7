"""Tickets through the Trash, the purge and erasure: staff keep the tickets, the person's own words can go."""

import pytest
from django.core.files.base import ContentFile
from django.test import TestCase
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import Contact
from customers.services import contact_erase, contacts_purge, contacts_trash
from tests.factories import ContactFactory, UserFactory
from tickets.models import Attachment, Message, PortalSignIn, Ticket, attachment_storage

from .support import ticket_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation():
    ann = ContactFactory(email="ann@example.com", first_name="Ann")
    ticket = ticket_for(ann, subject="My address is 1 High St", body="Please send it to 1 High St")
    name = attachment_storage().save("attachments/id-scan", ContentFile(b"passport"))
    Attachment.objects.create(
        message=ticket.messages.get(), stored_name=name, name="passport.jpg", content_type="image/jpeg", size=8
    )
    Message.objects.create(ticket=ticket, body="Sent today.", author_name="Bo Staff")
    PortalSignIn.objects.create(
        token_hash="x" * 64, contact=ann, email_normalized="ann@example.com", expires_at=timezone.now()
    )
    return ann, ticket, name


def test_a_trashed_contacts_tickets_stay_for_staff(staff_client, conversation):
    ann, ticket, _ = conversation
    contacts_trash(contacts=Contact.objects.filter(pk=ann.pk), actor=Actor.staff(UserFactory()))
    page = staff_client.get(ticket.get_absolute_url())
    assert page.status_code == 200
    assert "In the Trash" in page.content.decode()


def test_purging_keeps_the_tickets_without_their_requester(conversation):
    ann, ticket, _ = conversation
    Contact.objects.filter(pk=ann.pk).update(deleted_at=timezone.now())
    purged = contacts_purge(contacts=Contact.objects.filter(pk=ann.pk), actor=Actor.staff(UserFactory()))
    assert purged.contacts == 1
    ticket.refresh_from_db()
    assert ticket.requester is None
    assert ticket.messages.filter(author_contact__isnull=True).count() == 2
    assert PortalSignIn.objects.count() == 0


def test_erasure_removes_the_persons_words_and_files_and_keeps_staff_replies(conversation):
    ann, ticket, name = conversation
    with TestCase.captureOnCommitCallbacks(execute=True):
        contact_erase(contact=ann, actor=Actor.staff(UserFactory()))
    ticket.refresh_from_db()
    assert ticket.subject == "(erased)"
    theirs = ticket.messages.get(author_contact=ann)
    assert (theirs.body, theirs.author_name, theirs.attachments.count()) == ("", "", 0)
    assert ticket.messages.get(author_name="Bo Staff").body == "Sent today."
    assert not attachment_storage().exists(name)
    assert PortalSignIn.objects.count() == 0
    assert Ticket.objects.filter(requester=ann).count() == 1
