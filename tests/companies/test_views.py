import pytest
from django.urls import reverse

from companies.models import Company, CompanyAccess, MembershipAccess
from tests.factories import CompanyFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_adding_a_company_opens_its_page(staff_client):
    response = staff_client.post(
        reverse("companies:create"), {"name": " Acme Ltd ", "domain": "acme.test", "default_portal_access": "company"}
    )
    company = Company.objects.get()
    assert response.url == reverse("companies:detail", args=[company.pk])
    assert (company.name, company.default_portal_access) == ("Acme Ltd", "company")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": "", "domain": "kept.test", "default_portal_access": "company"}, "name", "Enter the company"),
        ({"name": "ACME", "domain": "kept.test", "default_portal_access": "company"}, "name", "already exists"),
        ({"name": "New", "domain": "kept.test", "default_portal_access": "everyone"}, "default_portal_access", "valid"),
        ({"name": "Nul\x00", "domain": "kept.test", "default_portal_access": "company"}, "name", "Null characters"),
        ({"name": "x" * 10_000, "domain": "kept.test", "default_portal_access": "company"}, "name", "at most 200"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_keeps_what_was_typed_and_writes_nothing(
    staff_client, data, field, message
):
    CompanyFactory(name="Acme")
    response = staff_client.post(reverse("companies:create"), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    assert 'value="kept.test"' in response.content.decode()
    assert response.content.decode().count("There is a problem") == 1
    assert Company.objects.count() == 1


def test_the_company_and_contact_pages_show_each_members_access_and_why(manager_client):
    company = CompanyFactory(default_portal_access=CompanyAccess.COMPANY)
    inheriting = MembershipFactory(company=company, portal_access=MembershipAccess.INHERIT)
    MembershipFactory(company=company, portal_access=MembershipAccess.PERSONAL)
    page = manager_client.get(company.get_absolute_url()).content.decode()
    assert "As set in the Company Page: Access all company&#x27;s tickets" in page
    assert "Overridden: Access personal tickets only" in page
    contact_page = manager_client.get(inheriting.contact.get_absolute_url()).content.decode()
    assert "As set in the Company Page: Access all company&#x27;s tickets" in contact_page
