"""What superusers write in the Django admin goes through the services."""

import pytest
from django.urls import reverse

from companies.models import Membership, MembershipAccess
from customers.models import Contact
from tests.factories import CompanyFactory, ContactFactory, MembershipFactory

pytestmark = pytest.mark.django_db


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
