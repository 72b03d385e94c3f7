import pytest
from django.urls import reverse

from customers.models import Contact, Source, Stage
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_adding_a_customer_with_only_an_email_makes_a_manual_lead(staff_client, staff_user):
    response = staff_client.post(reverse("customers:create"), {"email": "ann@example.com"})
    contact = Contact.objects.get()
    assert response.url == reverse("customers:detail", args=[contact.pk])
    assert (contact.stage, contact.source) == (Stage.LEAD, Source.MANUAL)
    assert contact.activities.get().actor == staff_user


def test_a_duplicate_email_in_another_case_links_to_the_existing_contact(staff_client):
    existing = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    response = staff_client.post(reverse("customers:create"), {"email": " ANN@example.com ", "first_name": "Kept"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'href="{existing.get_absolute_url()}"' in html
    assert 'value="Kept"' in html
    assert Contact.objects.count() == 1


def test_names_are_escaped_everywhere(manager_client):
    contact = ContactFactory(first_name='<script>alert("x")</script>', last_name='" onmouseover="x')
    for url in [reverse("customers:list"), contact.get_absolute_url()]:
        html = manager_client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html
