"""Staff's helpdesk pages: the list, a ticket with reply, note, status and company, New ticket, and files."""

import re
import uuid

import pytest
from django.core import mail
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from companies.models import CompanyAccess
from customers.models import Contact, Source, Stage
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory
from tests.jobs.support import run_queued
from tickets.models import Attachment, Message, Ticket, TicketStatus, attachment_storage
from tickets.services.intake import mail_receive

from .support import mail as a_mail
from .support import ticket_for

pytestmark = pytest.mark.django_db
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = LOCMEM
    settings.HELPDESK_EMAIL = "Help <help@shop.example>"


def page_key(client, url) -> str:
    return re.search(r'name="send_key" value="(\w+)"', client.get(url).content.decode())[1]


def reply(client, ticket, body="We are on it.", **data):
    url = reverse("tickets:detail", args=[ticket.pk])
    key = data.pop("send_key", None) or page_key(client, url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(
            reverse("tickets:answer", args=[ticket.pk]), {"body": body, "send_key": key, "action": "reply", **data}
        )
    run_queued()
    return response


def test_a_staff_reply_is_mailed_with_the_reference_threading_headers_and_a_stable_message_id(staff_client):
    mail_receive(raw=a_mail(subject="Where is my parcel", message_id="<ann-1@mail.example>").as_bytes())
    ticket = Ticket.objects.get()
    response = reply(staff_client, ticket)
    assert response.status_code == 302
    [sent] = mail.outbox
    message = ticket.messages.filter(author_user__isnull=False, event="").get()
    assert sent.to == ["ann@example.com"]
    assert sent.subject == f"Re: [#{ticket.pk}] Where is my parcel"
    assert sent.reply_to == ["Help <help@shop.example>"]
    assert sent.extra_headers["Message-ID"] == message.message_id == message.mail.message_id
    assert sent.extra_headers["In-Reply-To"] == "<ann-1@mail.example>"
    assert sent.extra_headers["References"] == "<ann-1@mail.example>"
    assert "We are on it." in sent.body
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    # The customer's answer to that mail joins the ticket by its In-Reply-To.
    answer = a_mail(subject="Re: whatever", headers={"In-Reply-To": message.message_id})
    assert mail_receive(raw=answer.as_bytes()).ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_the_same_reply_form_sent_twice_sends_one_mail(staff_client):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    key = uuid.uuid4().hex
    reply(staff_client, ticket, send_key=key)
    reply(staff_client, ticket, send_key=key)
    assert len(mail.outbox) == 1
    assert ticket.messages.filter(author_user__isnull=False, event="").count() == 1


def test_an_internal_note_is_never_mailed(staff_client):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = staff_client.post(
            reverse("tickets:answer", args=[ticket.pk]), {"body": "Refund approved", "action": "note"}
        )
    run_queued()
    assert response.status_code == 302
    assert mail.outbox == []
    assert ticket.messages.get(body="Refund approved").internal is True


def test_an_empty_reply_is_refused_next_to_the_field_and_nothing_is_written(staff_client):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    response = reply(staff_client, ticket, body="   ")
    assert response.status_code == 400
    assert "Enter a reply or a note" in response.content.decode()
    assert ticket.messages.count() == 1


def test_status_and_company_changes_are_recorded_on_the_ticket(staff_client):
    acme, bolt, other = CompanyFactory(name="Acme"), CompanyFactory(name="Bolt"), CompanyFactory(name="Other")
    ann = ContactFactory(email="ann@example.com")
    MembershipFactory(contact=ann, company=acme)
    MembershipFactory(contact=ann, company=bolt)
    ticket = ticket_for(ann)
    staff_client.post(reverse("tickets:status", args=[ticket.pk]), {"status": "solved"})
    staff_client.post(reverse("tickets:company", args=[ticket.pk]), {"company": bolt.pk})
    refused = staff_client.post(reverse("tickets:company", args=[ticket.pk]), {"company": other.pk}, follow=True)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.company) == (TicketStatus.SOLVED, bolt)
    assert "Choose one of the requester" in refused.content.decode()
    events = list(ticket.messages.exclude(event="").values_list("event", "body", "internal"))
    assert [(e, internal) for e, _, internal in events] == [("status", True), ("company", True)]
    assert events[0][1].startswith("Status: Open → Solved")
    assert events[1][1].startswith("Company: no company → Bolt")


def test_new_ticket_to_an_unknown_address_adds_a_lead_and_mails_it(staff_client):
    url = reverse("tickets:create")
    key = page_key(staff_client, url)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = staff_client.post(
            url,
            {"email": "new@example.org", "name": "Nia Obi", "subject": "Your return", "body": "Hi", "send_key": key},
        )
    run_queued()
    ticket = Ticket.objects.get()
    assert response["Location"] == ticket.get_absolute_url()
    contact = Contact.objects.get(email="new@example.org")
    assert (contact.first_name, contact.last_name, contact.source, contact.stage) == (
        "Nia",
        "Obi",
        Source.TICKET,
        Stage.LEAD,
    )
    [sent] = mail.outbox
    assert sent.subject == f"[#{ticket.pk}] Your return"
    assert (ticket.channel, ticket.status) == ("staff", TicketStatus.PENDING)


def test_new_ticket_with_a_bad_address_keeps_what_was_typed(staff_client):
    response = staff_client.post(
        reverse("tickets:create"), {"email": "not-an-email", "subject": "Hello", "body": "Typed text", "send_key": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an email address like name@example.com" in page
    assert "Typed text" in page
    assert Ticket.objects.count() == 0


def test_a_subject_with_a_line_break_is_refused(staff_client):
    response = staff_client.post(
        reverse("tickets:create"),
        {"email": "a@example.com", "subject": "Hi\r\nBcc: x@evil.example", "body": "b", "send_key": uuid.uuid4().hex},
    )
    assert response.status_code == 400
    assert "The subject must be on one line" in response.content.decode()


def test_the_list_filters_by_status_and_searches_subject_requester_and_company(staff_client):
    acme = CompanyFactory(name="Acme Tools")
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    bo = ContactFactory(first_name="Bo", email="bo@example.com")
    first = ticket_for(ann, subject="Broken hinge", company=acme)
    second = ticket_for(bo, subject="Invoice copy")
    Ticket.objects.filter(pk=second.pk).update(status=TicketStatus.SOLVED)

    def shown(**query):
        return [t.pk for t in staff_client.get(reverse("tickets:list"), query).context["page"].rows]

    assert shown() == [second.pk, first.pk]
    assert shown(status="solved") == [second.pk]
    assert shown(q="hinge") == shown(q="Lee") == shown(q="acme") == [first.pk]
    assert shown(q=f"#{second.pk}") == [second.pk]
    assert shown(status="nonsense") == [second.pk, first.pk]


@pytest.mark.parametrize("rows", [1, 50])
def test_ticket_list_queries(staff_client, django_assert_num_queries, settings, rows):
    settings.LIST_PAGE_SIZE = rows
    company = CompanyFactory()
    for _ in range(51):
        ticket_for(MembershipFactory(company=company).contact, company=company)
    from django.db import connection

    expected = [
        "session",
        "user",
        "the user's own permissions",
        "the user's group permissions",
        "the page of tickets with requester and company (one more row than shown)",
        *(["the planner's estimate"] if connection.vendor == "postgresql" else []),
        "the count, up to the exact-count limit",
    ]
    with django_assert_num_queries(len(expected)):
        response = staff_client.get(reverse("tickets:list"))
    assert len(response.context["page"].rows) == rows


def test_a_viewer_reads_tickets_but_cannot_answer_or_open_them(client, viewer):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    client.force_login(viewer)
    page = client.get(ticket.get_absolute_url())
    assert page.status_code == 200
    assert "Send reply" not in page.content.decode()
    for name in ("tickets:answer", "tickets:status", "tickets:company"):
        assert client.post(reverse(name, args=[ticket.pk]), {"body": "x", "status": "closed"}).status_code == 403
    assert client.get(reverse("tickets:create")).status_code == 403
    assert ticket.messages.count() == 1


def test_attachments_download_as_files_never_as_pages(staff_client):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    name = attachment_storage().save("attachments/x", ContentFile(b"<script>alert(1)</script>"))
    file = Attachment.objects.create(
        message=ticket.messages.get(), stored_name=name, name="x.html", content_type="text/html", size=25
    )
    response = staff_client.get(reverse("tickets:attachment", args=[file.pk]))
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="x.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert staff_client.get(reverse("tickets:attachment", args=[file.pk + 1])).status_code == 404


def test_unprocessed_mail_is_listed_and_downloadable_whole(staff_client):
    raw = a_mail(headers={"Auto-Submitted": "auto-replied"}, subject="Out of office").as_bytes()
    kept = mail_receive(raw=raw).kept
    page = staff_client.get(reverse("tickets:unprocessed")).content.decode()
    assert "Out of office" in page
    assert "Auto-reply or bounce: Auto-Submitted: auto-replied" in page
    download = staff_client.get(reverse("tickets:unprocessed_download", args=[kept.pk]))
    assert b"".join(download.streaming_content) == raw


def test_the_company_default_decides_a_members_view_on_the_company_page(staff_client):
    company = CompanyFactory(name="Acme", default_portal_access=CompanyAccess.COMPANY)
    ann = MembershipFactory(company=company, contact=ContactFactory(first_name="Ann")).contact
    ticket_for(ann, company=company)
    ticket_for(MembershipFactory(company=company).contact, company=company)
    page = staff_client.get(company.get_absolute_url()).content.decode()
    assert "Sees in the portal: all 2 company tickets" in page


def test_the_contact_page_shows_their_tickets(staff_client):
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann, subject="Broken hinge")
    page = staff_client.get(ann.get_absolute_url()).content.decode()
    assert f"#{ticket.pk} Broken hinge" in page
    assert reverse("tickets:create") + f"?contact={ann.pk}" in page


def test_a_reply_to_a_requester_in_the_trash_is_refused(staff_client):
    from django.utils import timezone

    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    Contact.objects.filter(pk=ann.pk).update(deleted_at=timezone.now())
    response = reply(staff_client, ticket)
    assert response.status_code == 400
    assert "no longer a contact that can receive mail" in response.content.decode()
    assert Message.objects.filter(ticket=ticket).count() == 1


def test_a_reply_with_a_file_mails_it_and_keeps_it_on_the_ticket(staff_client):
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    photo = SimpleUploadedFile("../label.pdf", b"%PDF-1.4 label", content_type="application/pdf")
    response = reply(staff_client, ticket, body="The return label is attached.", file=photo)
    assert response.status_code == 302
    [sent] = mail.outbox
    assert sent.attachments == [("label.pdf", b"%PDF-1.4 label", "application/pdf")]
    stored = ticket.messages.get(body="The return label is attached.").attachments.get()
    assert (stored.name, stored.size) == ("label.pdf", 14)
    assert "label.pdf" in staff_client.get(ticket.get_absolute_url()).content.decode()


def test_a_reply_with_a_file_over_the_limit_is_refused_and_the_text_kept(staff_client, settings):
    settings.TICKET_UPLOAD_MAX_BYTES = 5
    ticket = ticket_for(ContactFactory(email="ann@example.com"))
    big = SimpleUploadedFile("big.bin", b"x" * 6)
    response = reply(staff_client, ticket, body="Typed reply", file=big)
    assert response.status_code == 400
    page = response.content.decode()
    assert "The file is larger than" in page
    assert "Typed reply" in page
    assert (mail.outbox, ticket.messages.count()) == ([], 1)
