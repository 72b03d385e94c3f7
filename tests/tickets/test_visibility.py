"""The Customer Portal's visibility rule, through the portal's own pages: every link value × company default ×
kind of ticket × action, and a permission changed or a link removed taking effect on the next request."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from companies.models import CompanyAccess, Membership, MembershipAccess, effective_portal_access
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory
from tickets.models import Attachment, Message, attachment_storage
from tickets.selectors import portal_views_for_company, tickets_visible_to
from tickets.views.portal import SESSION_KEY

from .support import ticket_for

pytestmark = pytest.mark.django_db

KINDS = ("own", "colleague", "other_company", "second_company")
ACTIONS = ("list", "open", "reply", "attachment")


def sign_in(client, contact):
    session = client.session
    session[SESSION_KEY] = {"id": contact.pk, "email": contact.email_normalized}
    session.save()


def with_file(ticket):
    message = ticket.messages.get()
    name = attachment_storage().save(f"attachments/{ticket.pk}/f", ContentFile(b"secret"))
    return Attachment.objects.create(message=message, stored_name=name, name="f.txt", content_type="text/plain", size=6)


@pytest.fixture
def world():
    """Ann is in company A (the link and A's default vary) and in B (inheriting B's "personal only")."""

    def build(link: str, default: str):
        company_a = CompanyFactory(name="Acme", default_portal_access=default)
        company_b = CompanyFactory(name="Bolt", default_portal_access=CompanyAccess.PERSONAL)
        company_z = CompanyFactory(name="Zeta", default_portal_access=CompanyAccess.COMPANY)
        ann = ContactFactory(email="ann@acme.example")
        MembershipFactory(contact=ann, company=company_a, portal_access=link)
        MembershipFactory(contact=ann, company=company_b, portal_access=MembershipAccess.INHERIT)
        colleague = MembershipFactory(company=company_a).contact
        bolt_colleague = MembershipFactory(company=company_b).contact
        stranger = MembershipFactory(company=company_z).contact
        tickets = {
            "own": ticket_for(ann, company=company_a, subject="Subject-own"),
            "colleague": ticket_for(colleague, company=company_a, subject="Subject-colleague"),
            "other_company": ticket_for(stranger, company=company_z, subject="Subject-other_company"),
            "second_company": ticket_for(bolt_colleague, company=company_b, subject="Subject-second_company"),
        }
        files = {kind: with_file(ticket) for kind, ticket in tickets.items()}
        return ann, tickets, files

    return build


def expected_visible(kind: str, link: str, default: str) -> bool:
    if kind == "own":
        return True
    if kind == "colleague":
        return effective_portal_access(membership_access=link, company_default=default) == CompanyAccess.COMPANY
    # Another company's tickets, and a colleague's in a second company where Ann sees only her own.
    return False


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("default", CompanyAccess.values)
@pytest.mark.parametrize("link", MembershipAccess.values)
def test_the_portal_shows_and_answers_exactly_what_the_permission_allows(client, world, link, default, kind, action):
    ann, tickets, files = world(link, default)
    ticket = tickets[kind]
    visible = expected_visible(kind, link, default)
    sign_in(client, ann)
    if action == "list":
        response = client.get(reverse("portal:list"))
        assert response.status_code == 200
        assert (f"Subject-{kind}" in response.content.decode()) is visible
    elif action == "open":
        response = client.get(reverse("portal:detail", args=[ticket.pk]))
        assert response.status_code == (200 if visible else 404)
    elif action == "reply":
        before = ticket.messages.count()
        response = client.post(reverse("portal:detail", args=[ticket.pk]), {"body": "Any news?"})
        assert response.status_code == (302 if visible else 404)
        assert ticket.messages.count() == before + (1 if visible else 0)
    else:
        response = client.get(reverse("portal:attachment", args=[files[kind].pk]))
        assert response.status_code == (200 if visible else 404)
        if visible:
            assert b"".join(response.streaming_content) == b"secret"
    assert {t.pk for t in tickets_visible_to(ann)} >= ({ticket.pk} if visible else set())
    assert (ticket.pk in {t.pk for t in tickets_visible_to(ann)}) is visible


def test_a_changed_permission_and_a_removed_link_hold_from_the_next_request(client, world):
    ann, tickets, _ = world(MembershipAccess.COMPANY, CompanyAccess.PERSONAL)
    sign_in(client, ann)
    url = reverse("portal:detail", args=[tickets["colleague"].pk])
    assert client.get(url).status_code == 200
    link = Membership.objects.get(contact=ann, company__name="Acme")
    link.portal_access = MembershipAccess.PERSONAL
    link.save()
    assert client.get(url).status_code == 404
    link.portal_access = MembershipAccess.INHERIT
    link.save()
    link.company.default_portal_access = CompanyAccess.COMPANY
    link.company.save()
    assert client.get(url).status_code == 200
    link.delete()
    assert client.get(url).status_code == 404
    # Her own ticket stays hers after she left the company.
    assert client.get(reverse("portal:detail", args=[tickets["own"].pk])).status_code == 200


def test_internal_notes_and_recorded_changes_never_reach_the_portal(client, world):
    ann, tickets, _ = world(MembershipAccess.INHERIT, CompanyAccess.PERSONAL)
    Message.objects.create(ticket=tickets["own"], body="Staff only: refund approved", internal=True)
    Message.objects.create(ticket=tickets["own"], body="Status: Open → Pending", internal=True, event="status")
    note = Message.objects.create(ticket=tickets["own"], body="note with file", internal=True)
    name = attachment_storage().save("attachments/note", ContentFile(b"internal"))
    hidden = Attachment.objects.create(message=note, stored_name=name, name="n.txt", content_type="text/plain", size=8)
    sign_in(client, ann)
    page = client.get(reverse("portal:detail", args=[tickets["own"].pk])).content.decode()
    assert "Hello" in page
    assert "refund approved" not in page
    assert "Open → Pending" not in page
    assert client.get(reverse("portal:attachment", args=[hidden.pk])).status_code == 404


@pytest.mark.parametrize("link", MembershipAccess.values)
@pytest.mark.parametrize("default", CompanyAccess.values)
def test_the_company_page_says_what_each_member_sees_from_the_same_rule(world, link, default):
    ann, tickets, _ = world(link, default)
    company = tickets["own"].company
    members = list(company.memberships.values_list("contact_id", flat=True))
    views = portal_views_for_company(company_id=company.pk, contact_ids=members)
    wide = expected_visible("colleague", link, default)
    assert views[ann.pk].company_wide is wide
    assert views[ann.pk].tickets == (2 if wide else 1)
    assert views[ann.pk].tickets == tickets_visible_to(ann).filter(company=company).count()


def test_a_portal_session_of_a_contact_who_left_or_changed_email_is_over(client, world):
    ann, tickets, _ = world(MembershipAccess.INHERIT, CompanyAccess.PERSONAL)
    sign_in(client, ann)
    assert client.get(reverse("portal:list")).status_code == 200
    ann.email = "ann.new@acme.example"
    ann.save()
    response = client.get(reverse("portal:detail", args=[tickets["own"].pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:sign_in")
