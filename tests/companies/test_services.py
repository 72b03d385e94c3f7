import pytest

from companies.models import CompanyAccess, Membership, MembershipAccess
from companies.services import company_update, membership_add, membership_set_access
from customers.services import SYSTEM
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory

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
