"""One contact's pages through their views: add, edit, unlock, escaping, access and bad input."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.models import Contact, Source, Stage
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def form_data(phones=(), **fields):
    """A submitted contact form: fields by name, phones as (number, label) rows."""
    data = {"phones-TOTAL_FORMS": str(len(phones)), "phones-INITIAL_FORMS": "0", **fields}
    for index, (number, label) in enumerate(phones):
        data |= {f"phones-{index}-number": number, f"phones-{index}-label": label}
    return data


ADDRESS = {
    "address_line1": "1 High Street",
    "address_line2": "Flat 2",
    "city": "Leeds",
    "region": "West Yorkshire",
    "postal_code": "LS1 1AA",
    "country": "gb",
}


def locked_contact():
    from tests.factories import PhoneNumberFactory

    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com", city="Leeds")
    PhoneNumberFactory(contact=contact, number="+447400123456", label="mobile")
    return contact


def edit_data(contact, phones=(("+44 7400 123456", "mobile"),), **fields):
    base = {name: getattr(contact, name) for name in ["first_name", "last_name", "email", *Contact.ADDRESS_FIELDS]}
    return form_data(phones, **(base | {"version": contact.updated_at.isoformat()} | fields))


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


def test_adding_a_customer_with_two_phones_and_an_address(staff_client):
    data = form_data(
        [("07400 123456", "mobile"), ("(020) 7183-8750", "work")],
        first_name="Ann",
        last_name="Lee",
        email="ann@example.com",
        **ADDRESS,
    )
    response = staff_client.post(reverse("customers:create"), data, follow=True)
    contact = Contact.objects.get()
    assert response.redirect_chain == [(contact.get_absolute_url(), 302)]
    assert [(p.number, p.label) for p in contact.phones.all()] == [
        ("+447400123456", "mobile"),
        ("+442071838750", "work"),
    ]
    assert (contact.address_line1, contact.postal_code, contact.country) == ("1 High Street", "LS1 1AA", "GB")
    html = response.content.decode()
    assert 'href="tel:+447400123456">+44 7400 123456</a> (mobile)' in html
    assert "+44 20 7183 8750" in html
    assert "LS1 1AA" in html
    assert contact.details_locked is False


def test_the_add_form_has_every_field_with_autocomplete(staff_client):
    html = staff_client.get(reverse("customers:create")).content.decode()
    for autocomplete in ["given-name", "family-name", "email", "tel", "address-line1", "postal-code", "country"]:
        assert f'autocomplete="{autocomplete}"' in html
    assert "novalidate" in html
    assert "Phone number 1" in html
    assert "Remove<span" not in html
    assert "Add Another Number" in html


def test_add_another_number_without_javascript_keeps_what_was_typed_and_adds_a_row(staff_client):
    data = form_data([("07400 123456", "mobile")], first_name="Ann", email="not-yet-valid", add_phone="1", **ADDRESS)
    response = staff_client.post(reverse("customers:create"), data)
    assert response.status_code == 200
    assert not Contact.objects.exists()
    html = response.content.decode()
    assert "There is a problem" not in html
    assert "<title>Add customer" in html
    for value in ["Ann", "not-yet-valid", "07400 123456", "mobile", "1 High Street", "LS1 1AA"]:
        assert f'value="{value}"' in html
    assert 'name="phones-TOTAL_FORMS" value="2"' in html
    assert '<label for="id_phones-1-number">Phone number 2</label>' in html
    assert 'name="phones-1-number" autocomplete="tel" inputmode="tel" autofocus' in html
    assert html.count("autofocus") == 1
    assert 'Remove<span class="visually-hidden"> phone number 2</span>' in html


def test_remove_phone_number_without_javascript_takes_that_row_away(staff_client):
    data = form_data([("07400 123456", "mobile"), ("07400 654321", "work")], email="ann@example.com", remove_phone="0")
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert 'value="07400 654321"' in html
    assert 'value="07400 123456"' not in html
    assert not Contact.objects.exists()


def test_a_bad_phone_shows_the_error_summary_and_keeps_the_typed_values(staff_client):
    data = form_data([("07400 123456", "mobile"), ("call me", "work")], first_name="Ann", email="ann@example.com")
    response = staff_client.post(reverse("customers:create"), data)
    html = response.content.decode()
    assert "<title>Error: Add customer" in html
    assert "There is a problem" in html
    assert '<a href="#id_phones-1-number">Enter a phone number like 07700 900123 or +44 7700 900123</a>' in html
    assert 'aria-invalid="true"' in html
    assert 'aria-describedby="id_phones-1-number_error"' in html
    assert 'value="call me"' in html
    assert 'value="Ann"' in html
    assert not Contact.objects.exists()


def test_the_same_number_twice_is_refused(staff_client):
    data = form_data([("07400 123456", ""), ("+44 7400 123456", "")], email="ann@example.com")
    html = staff_client.post(reverse("customers:create"), data).content.decode()
    assert '<a href="#id_phones-1-number">You have already added this number</a>' in html
    assert not Contact.objects.exists()


@pytest.mark.parametrize("field", ["first_name", "email", "city", "phones-0-number", "phones-0-label"])
def test_nul_and_ten_kilobytes_are_field_errors_not_500s(staff_client, field):
    for value in ["a\x00b", "x" * 10_000]:
        data = form_data([("07400 123456", "")], email="ann@example.com") | {field: value}
        response = staff_client.post(reverse("customers:create"), data)
        assert response.status_code == 200
        assert "There is a problem" in response.content.decode()
    assert not Contact.objects.exists()


def test_the_edit_form_is_prefilled_with_the_contact_and_its_phones(staff_client):
    contact = locked_contact()
    html = staff_client.get(reverse("customers:update", args=[contact.pk])).content.decode()
    assert "<h1>Edit Ann Lee</h1>" in html
    for value in ["Ann", "Lee", "ann@example.com", "Leeds", "+44 7400 123456", "mobile"]:
        assert f'value="{value}"' in html
    assert f'name="version" value="{contact.updated_at.isoformat()}"' in html
    assert ">Save</button>" in html


def test_editing_the_name_locks_the_details_and_records_old_and_new(staff_client, staff_user):
    contact = locked_contact()
    data = edit_data(contact, phones=[("+44 7400 123456", "mobile"), ("020 7183 8750", "work")], last_name="Smith")
    response = staff_client.post(reverse("customers:update", args=[contact.pk]), data, follow=True)
    assert response.redirect_chain == [(contact.get_absolute_url(), 302)]
    html = response.content.decode()
    assert "Changes saved." in html
    assert "Details locked" in html
    assert "Later orders will not overwrite the name, address or phones" in html
    contact.refresh_from_db()
    assert (contact.last_name, contact.details_locked) == ("Smith", True)
    event = contact.activities.get(event="edited")
    assert event.actor == staff_user
    assert event.data["changes"] == {
        "last_name": ["Lee", "Smith"],
        "phones": ["+447400123456", "+447400123456, +442071838750"],
    }
    assert Contact.objects.filter(search_document__contains="smith").exists()
    assert event.body == (
        "Edited details\nLast name: Lee → Smith\nPhones: +447400123456 → +447400123456, +442071838750"
    )


def test_changing_only_the_email_saves_without_locking(staff_client):
    contact = locked_contact()
    staff_client.post(reverse("customers:update", args=[contact.pk]), edit_data(contact, email="ann@new.example"))
    contact.refresh_from_db()
    assert (contact.email, contact.details_locked) == ("ann@new.example", False)


def test_a_stale_edit_is_refused_and_nothing_is_overwritten(staff_client):
    contact = locked_contact()
    data = edit_data(contact, first_name="Mine")
    # Someone else saves in between.
    Contact.objects.filter(pk=contact.pk).update(first_name="Theirs", updated_at=contact.updated_at + timedelta(1))
    response = staff_client.post(reverse("customers:update", args=[contact.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Edit" in html
    assert "This contact was changed since you opened it. Check the details below and save again." in html
    assert 'value="Mine"' in html
    contact.refresh_from_db()
    assert contact.first_name == "Theirs"
    assert not contact.activities.filter(event="edited").exists()
    assert f'name="version" value="{contact.updated_at.isoformat()}"' in html
    # Saving again with the new version stamp succeeds.
    data["version"] = contact.updated_at.isoformat()
    assert staff_client.post(reverse("customers:update", args=[contact.pk]), data).status_code == 302
    contact.refresh_from_db()
    assert contact.first_name == "Mine"


def test_unlocking_the_details_records_who_did_it(staff_client, staff_user):
    contact = locked_contact()
    Contact.objects.filter(pk=contact.pk).update(details_locked=True)
    response = staff_client.post(reverse("customers:unlock", args=[contact.pk]), follow=True)
    assert "Details unlocked." in response.content.decode()
    contact.refresh_from_db()
    assert contact.details_locked is False
    assert contact.activities.get(event="details_unlocked").actor == staff_user


def test_a_viewer_sees_no_edit_link_and_gets_403_on_edit_and_unlock(client, viewer):
    contact = locked_contact()
    Contact.objects.filter(pk=contact.pk).update(details_locked=True)
    client.force_login(viewer)
    html = client.get(contact.get_absolute_url()).content.decode()
    assert "Details locked" in html
    assert reverse("customers:update", args=[contact.pk]) not in html
    assert "Unlock details" not in html
    url = reverse("customers:update", args=[contact.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, edit_data(contact, first_name="Changed")).status_code == 403
    assert client.post(reverse("customers:unlock", args=[contact.pk])).status_code == 403
    contact.refresh_from_db()
    assert (contact.first_name, contact.details_locked) == ("Ann", True)


def test_staff_see_the_edit_link(staff_client):
    contact = locked_contact()
    assert (
        reverse("customers:update", args=[contact.pk]) in staff_client.get(contact.get_absolute_url()).content.decode()
    )


def test_edit_and_unlock_without_a_csrf_token_are_refused(staff_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    contact = locked_contact()
    Contact.objects.filter(pk=contact.pk).update(details_locked=True)
    assert (
        client.post(reverse("customers:update", args=[contact.pk]), edit_data(contact, first_name="X")).status_code
        == 403
    )
    assert client.post(reverse("customers:unlock", args=[contact.pk])).status_code == 403
    assert client.post(reverse("customers:create"), form_data(email="new@example.com")).status_code == 403
    contact.refresh_from_db()
    assert (contact.first_name, contact.details_locked) == ("Ann", True)
    assert Contact.objects.count() == 1


def test_editing_a_contact_in_the_trash_is_not_found(staff_client):
    contact = ContactFactory(deleted_at=timezone.now())
    assert staff_client.get(reverse("customers:update", args=[contact.pk])).status_code == 404
    assert staff_client.post(reverse("customers:unlock", args=[contact.pk])).status_code == 404
