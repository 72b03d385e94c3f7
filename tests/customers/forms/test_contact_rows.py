"""The contact form's company rows never make a company by accident: an exact name picks it, an unknown name
offers the closest companies and "Create company …", and only that choice (with add_company) creates one."""

import re

import pytest
from django.urls import reverse

from companies.models import Company, Membership
from customers.forms import contact_rows as customer_forms
from customers.models import Activity, Contact
from tests.customers.views.test_contacts_form import form_data
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, staff_without_add_company

pytestmark = pytest.mark.django_db

UNKNOWN_NEWTON = "No company called “Newton”. Choose one of: Newton PLC, Newton Rail or choose Create company “Newton”"


@pytest.fixture
def newtons():
    return CompanyFactory(name="Newton PLC"), CompanyFactory(name="Newton Rail")


def create(client, *rows, **fields):
    return client.post(reverse("customers:create"), form_data(companies=rows, **{"email": "ann@example.com", **fields}))


def radios(html: str) -> list[tuple[str, str]]:
    """The radio buttons a company row offers after an unknown name: (value, label)."""
    inputs = re.findall(r'<input type="radio" name="companies-0-choice" id="([^"]+)" value="([^"]*)">', html)
    labels = dict(re.findall(r'<label for="([^"]+)">([^<]*)</label>', html))
    return [(value, labels[input_id]) for input_id, value in inputs]


def test_an_exact_name_in_another_letter_case_links_the_existing_company(staff_client, newtons):
    response = create(staff_client, (" newton plc ", "company"))
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert list(Membership.objects.filter(contact=contact).values_list("company", "portal_access")) == [
        (newtons[0].pk, "company")
    ]
    assert Company.objects.count() == 2


def test_an_unknown_name_is_refused_offering_the_closest_companies_and_create(staff_client, newtons):
    response = create(staff_client, ("Newton", "inherit"), first_name="Kept")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: " in html
    assert UNKNOWN_NEWTON in html
    assert '<a href="#id_companies-0-company">' + UNKNOWN_NEWTON in html
    assert 'value="Newton"' in html
    assert 'value="Kept"' in html
    assert radios(html) == [
        (f"company:{newtons[0].pk}", "Newton PLC"),
        (f"company:{newtons[1].pk}", "Newton Rail"),
        ("create:Newton", "Create company “Newton”"),
    ]
    assert not Contact.objects.exists()
    assert Company.objects.count() == 2


def test_an_unknown_name_with_no_company_near_it_still_offers_create(staff_client):
    html = create(staff_client, ("Zebra", "inherit")).content.decode()
    assert "No company called “Zebra”. Check the name, or choose Create company “Zebra”" in html
    assert radios(html) == [("create:Zebra", "Create company “Zebra”")]


def test_only_choosing_create_makes_the_company(staff_client, staff_user, newtons):
    response = create(staff_client, ("Newton", "personal", "create:Newton"))
    assert response.status_code == 302
    company = Company.objects.get(name="Newton")
    contact = Contact.objects.get()
    assert Membership.objects.get(contact=contact).company == company
    assert Activity.objects.get(contact=contact, event="company_added").actor == staff_user


def test_a_create_choice_for_another_name_creates_nothing(staff_client, newtons):
    """The choice names what it creates; a name changed after choosing is asked about again."""
    html = create(staff_client, ("Newtonn", "inherit", "create:Newton")).content.decode()
    assert "No company called “Newtonn”." in html
    assert ("create:Newtonn", "Create company “Newtonn”") in radios(html)
    assert not Contact.objects.exists()
    assert Company.objects.count() == 2


def test_a_create_choice_for_a_name_that_exists_links_that_company(staff_client, newtons):
    assert create(staff_client, ("NEWTON PLC", "inherit", "create:NEWTON PLC")).status_code == 302
    assert Company.objects.count() == 2
    assert Membership.objects.get().company == newtons[0]


def test_picking_one_of_the_offered_companies_links_it(staff_client, newtons):
    response = create(staff_client, ("Newton", "inherit", f"company:{newtons[1].pk}"))
    assert response.status_code == 302
    assert Membership.objects.get().company == newtons[1]
    assert Company.objects.count() == 2


def test_a_picked_company_shows_its_name_if_the_page_comes_back_for_another_error(staff_client, newtons):
    html = create(staff_client, ("Newton", "inherit", f"company:{newtons[1].pk}"), email="not an email").content
    html = html.decode()
    assert 'name="companies-0-company" value="Newton Rail"' in html
    assert 'name="companies-0-choice" value=""' in html or 'name="companies-0-choice" id' in html
    assert "No company called" not in html


def test_a_create_choice_is_kept_and_said_when_the_page_comes_back_for_another_error(staff_client):
    html = create(staff_client, ("Zebra", "inherit", "create:Zebra"), email="not an email").content.decode()
    assert "A new company “Zebra” will be created when you save." in html
    assert 'type="hidden" name="companies-0-choice" value="create:Zebra"' in html
    assert not Company.objects.exists()


@pytest.mark.parametrize("choice", ["company:", "company:abc", "company:999999", "company:²", "x" * 10_000, "\x00"])
def test_a_choice_naming_no_company_falls_back_to_the_typed_name(staff_client, newtons, choice):
    assert create(staff_client, ("newton plc", "inherit", choice)).status_code == 302
    assert Membership.objects.get().company == newtons[0]


def test_staff_without_add_company_never_see_create_and_cannot_post_it(client, newtons):
    client.force_login(staff_without_add_company())
    html = create(client, ("Newton", "inherit")).content.decode()
    assert "No company called “Newton”. Choose one of: Newton PLC, Newton Rail" in html
    assert "Create company" not in html
    assert [label for _, label in radios(html)] == ["Newton PLC", "Newton Rail"]
    html = create(client, ("Newton", "inherit", "create:Newton")).content.decode()
    assert "No company called “Newton”" in html
    assert not Contact.objects.exists()
    assert Company.objects.count() == 2
    # An existing company they may still pick, by name or from the offer.
    assert create(client, ("Newton", "inherit", f"company:{newtons[0].pk}")).status_code == 302


def test_viewers_cannot_post_the_form_at_all(client, viewer):
    client.force_login(viewer)
    assert create(client, ("Newton", "inherit", "create:Newton")).status_code == 403
    assert not Company.objects.exists()


def test_two_rows_creating_the_same_new_name_are_one_company(staff_client):
    html = create(staff_client, ("Zebra", "inherit", "create:Zebra"), ("ZEBRA", "inherit", "create:ZEBRA")).content
    assert "You have already added this company" in html.decode()
    assert not Company.objects.exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("<b>Newton</b>", "No company called “&lt;b&gt;Newton&lt;/b&gt;”"),
        ("New\x00ton", "Company contains a hidden control character; retype it"),
        ("N" * 10_240, "Company must be 200 characters or fewer (it has 10,240)"),
        ("%", "No company called “%”. Choose one of: 100% Fun or choose Create company “%”"),
        ("_", "No company called “_”. Choose one of: Snake_case or choose Create company “_”"),
    ],
)
def test_hostile_company_names_are_field_errors_or_literal_matches(staff_client, newtons, typed, message):
    CompanyFactory(name="100% Fun")
    CompanyFactory(name="Snake_case")
    response = create(staff_client, (typed, "inherit"))
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert "<b>Newton</b>" not in html
    assert not Contact.objects.exists()
    assert Company.objects.count() == 4


def test_a_new_company_with_html_in_its_name_is_created_literally_and_shown_as_text(staff_client):
    name = '<img src=x onerror="alert(1)">'
    assert create(staff_client, (name, "inherit", f"create:{name}")).status_code == 302
    contact = Contact.objects.get()
    assert contact.companies.get().name == name
    html = staff_client.get(reverse("customers:update", args=[contact.pk])).content.decode()
    assert "<img src=x" not in html


def test_the_edit_form_keeps_existing_companies_without_asking(staff_client):
    membership = MembershipFactory(company__name="Acme")
    contact = membership.contact
    form = staff_client.get(reverse("customers:update", args=[contact.pk])).context["form"]
    data = form_data(companies=[("Acme", "company")], email=contact.email, version=form.initial["version"])
    assert staff_client.post(reverse("customers:update", args=[contact.pk]), data).status_code == 302
    membership.refresh_from_db()
    assert membership.portal_access == "company"


def test_a_company_gone_between_the_check_and_the_save_is_an_error_not_a_500(staff_client, newtons, monkeypatch):
    """Renamed or deleted by someone else after the form found it: the service refuses, the page says so."""
    monkeypatch.setattr(customer_forms, "companies_named", lambda *, name: Company.objects.filter(pk=newtons[0].pk))
    response = create(staff_client, ("Ghost Ltd", "inherit"), first_name="Kept")
    assert response.status_code == 200
    html = response.content.decode()
    assert "No company called “Ghost Ltd”. Check the name, or choose Create company “Ghost Ltd”" in html
    assert 'value="Kept"' in html
    assert not Contact.objects.exists()
    assert Company.objects.count() == 2


def test_add_company_without_javascript_keeps_each_rows_create_choice(staff_client):
    data = form_data(companies=[("Zebra", "inherit", "create:Zebra")], email="ann@example.com", add_company="1")
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert 'type="hidden" name="companies-0-choice" value="create:Zebra"' in html
    assert "A new company “Zebra” will be created when you save." in html
    assert 'name="companies-1-company"' in html


def test_add_member_on_the_company_page_takes_an_email_in_any_case_and_never_creates_a_contact(staff_client):
    """The company page's Add member names an existing contact by email; an unknown one is an error."""
    company = CompanyFactory(name="Acme")
    ann = ContactFactory(email="ann@example.com")
    url = reverse("companies:member_add", args=[company.pk])
    response = staff_client.post(url, {"email": "nobody@example.com", "portal_access": "inherit"})
    assert "No contact with this email. Add the contact first." in response.content.decode()
    assert Contact.objects.count() == 1
    assert staff_client.post(url, {"email": "ANN@Example.com", "portal_access": "inherit"}).status_code == 302
    assert Membership.objects.get().contact == ann
