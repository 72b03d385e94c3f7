"""The Django admin is for superusers only, and what they write in it goes through the services."""

import pytest
from django.urls import reverse

from companies.models import Membership, MembershipAccess
from customers.models import Contact
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

ADMIN_PAGES = ["admin:index", "admin:customers_contact_changelist", "admin:axes_accessattempt_changelist"]


@pytest.mark.parametrize("url_name", ADMIN_PAGES)
@pytest.mark.parametrize("role", ["Viewer", "Staff", "Manager"])
def test_signed_in_staff_with_is_staff_get_no_admin_page(client, role, url_name):
    client.force_login(UserFactory(username="staffer", role=role, is_staff=True))
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login") + "?next=")


@pytest.mark.parametrize("role", ["Viewer", "Manager"])
def test_staff_with_is_staff_are_refused_at_the_admin_login(client, role):
    UserFactory(username="staffer", role=role, is_staff=True)
    response = client.post(reverse("admin:login"), {"username": "staffer", "password": "correct-horse-battery"})
    assert response.status_code == 200
    assert b"Please enter the correct username and password for a superuser account" in response.content
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url_name", ADMIN_PAGES)
def test_a_superuser_can_use_the_admin(admin_client, url_name):
    assert admin_client.get(reverse(url_name)).status_code == 200


def test_a_superuser_signs_in_at_the_admin_login(client):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    data = {"username": "root", "password": "correct-horse-battery", "next": reverse("admin:index")}
    response = client.post(reverse("admin:login"), data)
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert client.get(reverse("admin:index")).status_code == 200


def test_adding_a_contact_in_the_admin_records_who_created_it(admin_client, admin_user):
    response = admin_client.post(
        reverse("admin:customers_contact_add"), {"email": "ann@example.com", "stage": "lead", "first_name": "Ann"}
    )
    assert response.status_code == 302
    contact = Contact.objects.get()
    assert contact.activities.get().actor == admin_user


def test_editing_details_in_the_admin_locks_them(admin_client):
    contact = ContactFactory(first_name="Ann", stage="lead")
    data = {"first_name": "Anne", "last_name": contact.last_name, "stage": "lead"}
    response = admin_client.post(reverse("admin:customers_contact_change", args=[contact.pk]), data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert (contact.first_name, contact.details_locked) == ("Anne", True)


def test_deleting_a_contact_in_the_admin_moves_it_to_the_trash(admin_client):
    contact = ContactFactory()
    response = admin_client.post(reverse("admin:customers_contact_delete", args=[contact.pk]), {"post": "yes"})
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.deleted_at is not None


def test_changing_a_membership_in_the_admin_is_recorded(admin_client):
    membership = MembershipFactory(company=CompanyFactory(name="Acme"))
    response = admin_client.post(
        reverse("admin:companies_membership_change", args=[membership.pk]), {"portal_access": "company"}
    )
    assert response.status_code == 302
    assert Membership.objects.get().portal_access == MembershipAccess.COMPANY
    assert membership.contact.activities.filter(event="portal_access_changed").exists()
