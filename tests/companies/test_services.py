import pytest

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from companies.services import (
    CompanyLink,
    company_update,
    contact_memberships_set,
    membership_add,
    membership_set_access,
)
from crm_core.actors import SYSTEM, Actor
from customers.models import Activity
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_changing_the_company_default_is_recorded_on_every_inheriting_member_only():
    company = CompanyFactory(default_portal_access=CompanyAccess.PERSONAL)
    inheriting = MembershipFactory(company=company, portal_access=MembershipAccess.INHERIT)
    overridden = MembershipFactory(company=company, portal_access=MembershipAccess.PERSONAL)
    company_update(company=company, actor=SYSTEM, name=company.name, domain="", default_portal_access="company")
    reloaded = Membership.objects.select_related("company").get(pk=inheriting.pk)
    assert reloaded.effective_portal_access == CompanyAccess.COMPANY
    assert inheriting.contact.activities.filter(event="portal_access_changed").count() == 1
    assert not overridden.contact.activities.exists()


def test_membership_changes_are_recorded_on_the_contact():
    contact, company = ContactFactory(), CompanyFactory(name="Acme")
    membership = membership_add(contact=contact, company=company, actor=SYSTEM)
    membership_set_access(membership=membership, portal_access=MembershipAccess.COMPANY, actor=SYSTEM)
    events = list(contact.activities.order_by("id").values_list("event", "body"))
    assert events == [
        ("company_added", "Added to Acme: As set in the Company Page"),
        ("portal_access_changed", "Acme: Access all company's tickets"),
    ]


def test_setting_a_contacts_companies_adds_changes_removes_and_creates_each_on_the_timeline():
    actor = Actor.staff(UserFactory())
    contact = ContactFactory()
    kept = MembershipFactory(contact=contact, company__name="Acme")
    dropped = MembershipFactory(contact=contact, company__name="Dropped Ltd")
    contact_memberships_set(
        contact=contact,
        links=[
            CompanyLink(name="ACME ", portal_access=MembershipAccess.COMPANY),
            CompanyLink(name="Brand New Co", portal_access=MembershipAccess.INHERIT, create=True),
        ],
        actor=actor,
    )
    links = dict(Membership.objects.filter(contact=contact).values_list("company__name", "portal_access"))
    assert links == {"Acme": MembershipAccess.COMPANY, "Brand New Co": MembershipAccess.INHERIT}
    assert Company.objects.filter(name="Brand New Co").exists()
    assert not Membership.objects.filter(pk=dropped.pk).exists()
    assert Membership.objects.get(pk=kept.pk).portal_access == MembershipAccess.COMPANY
    events = sorted(Activity.objects.filter(contact=contact).values_list("event", flat=True))
    assert events == ["company_added", "company_removed", "portal_access_changed"]
