"""The Customer Portal: sign-in by one-time link, its separation from staff sessions, and its own pages."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from companies.models import CompanyAccess
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory
from tests.jobs.support import run_queued
from tickets.models import PortalSignIn, Ticket
from tickets.views.portal import SESSION_KEY

from .support import ticket_for
from .test_visibility import sign_in

pytestmark = pytest.mark.django_db
LINK = re.compile(r"https?://[^/\s]+/portal/sign-in/([\w-]+)/")


@pytest.fixture(autouse=True)
def _locmem(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_URL = ""


def ask_link(client, email, **extra):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(reverse("portal:sign_in"), {"email": email}, **extra)
    run_queued()
    return response


def test_a_customer_signs_in_with_the_emailed_link_once(client, settings):
    settings.ALLOWED_HOSTS = ["help.shop.example", "testserver"]
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann, subject="Broken hinge")
    response = ask_link(client, "ANN@example.com", HTTP_HOST="help.shop.example")
    assert "a sign-in link is on its way" in response.content.decode()
    [sent] = mail.outbox
    assert sent.to == ["ann@example.com"]
    assert sent.extra_headers["Auto-Submitted"] == "auto-generated"
    # The link points at the address the customer asked from.
    url = LINK.search(sent.body)
    assert url[0].startswith("http://help.shop.example/portal/sign-in/")
    path = reverse("portal:sign_in_link", args=[url[1]])
    # Opening the link (as a mail scanner does) does not use it up; the button does.
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 200
    assert client.post(path)["Location"] == reverse("portal:list")
    assert "Broken hinge" in client.get(reverse("portal:list")).content.decode()
    assert ticket.pk
    client.post(reverse("portal:sign_out"))
    assert client.get(reverse("portal:list"))["Location"] == reverse("portal:sign_in")
    reused = client.post(path)
    assert reused.status_code == 410
    assert "no longer works" in reused.content.decode()


def test_a_configured_portal_url_wins_over_the_request_host(client, settings):
    settings.PORTAL_URL = "https://help.example.com"
    settings.ALLOWED_HOSTS = ["internal.example"]
    ContactFactory(email="ann@example.com")
    ask_link(client, "ann@example.com", HTTP_HOST="internal.example")
    assert "https://help.example.com/portal/sign-in/" in mail.outbox[0].body


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client):
    ContactFactory(email="ann@example.com")

    def page(email):
        text = ask_link(client, email).content.decode().replace(email, "X")
        return re.sub(r'"X-CSRFToken": "\w+"|name="csrfmiddlewaretoken" value="\w+"', "token", text)

    assert page("ann@example.com") == page("nobody@example.com")
    assert len(mail.outbox) == 1
    assert PortalSignIn.objects.count() == 1


def test_a_link_expires_after_15_minutes(client):
    ContactFactory(email="ann@example.com")
    ask_link(client, "ann@example.com")
    token = LINK.search(mail.outbox[0].body)[1]
    PortalSignIn.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post(reverse("portal:sign_in_link", args=[token])).status_code == 410
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("token", ["x", "A" * 43, "../../admin", "%00", "a" * 5000])
def test_a_tampered_link_signs_nobody_in(client, token):
    ContactFactory(email="ann@example.com")
    ask_link(client, "ann@example.com")
    assert client.post(f"/portal/sign-in/{token}/").status_code in (404, 410)
    assert SESSION_KEY not in client.session


def test_a_link_is_bound_to_the_email_it_was_sent_to(client):
    ann = ContactFactory(email="ann@example.com")
    ask_link(client, "ann@example.com")
    token = LINK.search(mail.outbox[0].body)[1]
    ann.email = "ann@elsewhere.example"
    ann.save()
    assert client.post(reverse("portal:sign_in_link", args=[token])).status_code == 410


def test_asking_for_links_is_limited_per_address_and_per_client(client, settings):
    settings.PORTAL_SIGNIN_LIMIT_PER_EMAIL = 2
    settings.PORTAL_SIGNIN_LIMIT_PER_CLIENT = 3
    ContactFactory(email="ann@example.com")
    assert [ask_link(client, "ann@example.com").status_code for _ in range(3)] == [200, 200, 429]
    assert len(mail.outbox) == 2
    # A fourth address from the same client is refused too, known or not.
    assert ask_link(client, "bo@example.com").status_code == 429
    assert "Too many sign-in links" in ask_link(client, "cy@example.com").content.decode()


def test_a_bad_email_is_refused_next_to_the_field_and_kept(client):
    response = client.post(reverse("portal:sign_in"), {"email": "ann@@example"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter an email address like name@example.com" in page
    assert 'value="ann@@example"' in page


def test_a_staff_session_never_grants_the_portal_and_a_portal_session_never_grants_staff_pages(client, staff_user):
    ann = ContactFactory(email="ann@example.com")
    client.force_login(staff_user)
    assert client.get(reverse("portal:list"))["Location"] == reverse("portal:sign_in")
    client.logout()
    sign_in(client, ann)
    for name in ("customers:list", "tickets:list"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_a_trashed_contact_cannot_ask_for_a_link_or_keep_a_session(client):
    ann = ContactFactory(email="ann@example.com")
    sign_in(client, ann)
    ann.deleted_at = timezone.now()
    ann.save()
    assert client.get(reverse("portal:list")).status_code == 302
    ask_link(client, "ann@example.com")
    assert mail.outbox == []


def test_new_ticket_in_the_portal_chooses_among_the_customers_companies(client):
    acme, bolt, other = CompanyFactory(name="Acme"), CompanyFactory(name="Bolt"), CompanyFactory(name="Other")
    ann = ContactFactory(email="ann@example.com")
    MembershipFactory(contact=ann, company=acme)
    MembershipFactory(contact=ann, company=bolt)
    sign_in(client, ann)
    page = client.get(reverse("portal:create")).content.decode()
    assert ("Acme" in page, "Bolt" in page, "Other" in page) == (True, True, False)
    refused = client.post(reverse("portal:create"), {"subject": "Hi", "body": "x", "company": other.pk})
    assert refused.status_code == 400
    assert Ticket.objects.count() == 0
    done = client.post(reverse("portal:create"), {"subject": "Hinge", "body": "It broke", "company": bolt.pk})
    ticket = Ticket.objects.get()
    assert done["Location"] == reverse("portal:detail", args=[ticket.pk])
    assert (ticket.company, ticket.channel, ticket.requester) == (bolt, "portal", ann)


def test_a_portal_upload_is_size_limited_and_named_safely(client, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.TICKET_UPLOAD_MAX_BYTES = 10
    ann = ContactFactory(email="ann@example.com")
    ticket = ticket_for(ann)
    sign_in(client, ann)
    big = SimpleUploadedFile("big.bin", b"x" * 11)
    refused = client.post(reverse("portal:detail", args=[ticket.pk]), {"body": "see file", "file": big})
    assert refused.status_code == 400
    assert "The file is larger than" in refused.content.decode()
    assert "see file" in refused.content.decode()
    ok = SimpleUploadedFile("../../etc/passwd", b"small")
    client.post(reverse("portal:detail", args=[ticket.pk]), {"body": "see file", "file": ok})
    assert ticket.messages.last().attachments.get().name == "passwd"


@pytest.mark.parametrize("rows", [1, 50])
def test_portal_list_queries(client, django_assert_num_queries, settings, rows):
    settings.LIST_PAGE_SIZE = rows
    company = CompanyFactory(default_portal_access=CompanyAccess.COMPANY)
    ann = MembershipFactory(company=company).contact
    for _ in range(51):
        ticket_for(MembershipFactory(company=company).contact, company=company)
    sign_in(client, ann)
    expected = [
        "session",
        "the signed-in contact, still live and with the same email",
        "the companies whose tickets they may all see",
        "the page of visible tickets with requester and company (one more row than shown)",
    ]
    with django_assert_num_queries(len(expected)):
        response = client.get(reverse("portal:list"))
    assert len(response.context["page"].rows) == rows
