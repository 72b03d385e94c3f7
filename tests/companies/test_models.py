import pytest
from django.db import IntegrityError, transaction

from companies.models import Company, CompanyAccess, Membership, MembershipAccess, effective_portal_access
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory


@pytest.mark.parametrize(
    ("membership_access", "company_default", "expected"),
    [
        (MembershipAccess.INHERIT, CompanyAccess.PERSONAL, CompanyAccess.PERSONAL),
        (MembershipAccess.INHERIT, CompanyAccess.COMPANY, CompanyAccess.COMPANY),
        (MembershipAccess.PERSONAL, CompanyAccess.PERSONAL, CompanyAccess.PERSONAL),
        (MembershipAccess.PERSONAL, CompanyAccess.COMPANY, CompanyAccess.PERSONAL),
        (MembershipAccess.COMPANY, CompanyAccess.PERSONAL, CompanyAccess.COMPANY),
        (MembershipAccess.COMPANY, CompanyAccess.COMPANY, CompanyAccess.COMPANY),
    ],
)
def test_effective_portal_access_for_every_combination(membership_access, company_default, expected):
    assert effective_portal_access(membership_access=membership_access, company_default=company_default) == expected


@pytest.mark.django_db
def test_an_inheriting_member_follows_the_company_default_at_once():
    membership = MembershipFactory(portal_access=MembershipAccess.INHERIT)
    assert membership.effective_portal_access == CompanyAccess.PERSONAL
    Company.objects.filter(pk=membership.company_id).update(default_portal_access=CompanyAccess.COMPANY)
    reloaded = Membership.objects.select_related("company").get(pk=membership.pk)
    assert reloaded.effective_portal_access == CompanyAccess.COMPANY


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("membership_access", "expected"),
    [
        (MembershipAccess.INHERIT, "As set in the Company Page: Access all company's tickets"),
        (MembershipAccess.PERSONAL, "Overridden: Access personal tickets only"),
        (MembershipAccess.COMPANY, "Overridden: Access all company's tickets"),
    ],
)
def test_the_reason_for_a_members_access_names_where_it_comes_from(membership_access, expected):
    membership = MembershipFactory(
        portal_access=membership_access, company=CompanyFactory(default_portal_access=CompanyAccess.COMPANY)
    )
    assert membership.portal_access_reason == expected


@pytest.mark.django_db
def test_a_contact_links_to_a_company_once():
    contact, company = ContactFactory(), CompanyFactory()
    MembershipFactory(contact=contact, company=company)
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(contact=contact, company=company)


@pytest.mark.django_db
def test_company_names_are_unique_ignoring_case():
    CompanyFactory(name="Acme Ltd")
    with pytest.raises(IntegrityError), transaction.atomic():
        CompanyFactory(name="ACME LTD")
