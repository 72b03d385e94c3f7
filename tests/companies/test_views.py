import pytest
from django.urls import reverse

from companies.models import Company
from tests.factories import CompanyFactory

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
