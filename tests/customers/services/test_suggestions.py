"""Locked details and the suggestions orders leave for staff: one per field, accepted or dismissed once."""

import pytest
from django.urls import reverse

from crm_core.actors import SHOP, Actor
from customers.models import Activity, Contact, SuggestedUpdate, SuggestionStatus
from customers.services import contact_sync_details, suggestion_accept, suggestion_dismiss
from orders.services import order_sync_placed
from tests.factories import ContactFactory, PhoneNumberFactory, UserFactory
from tests.orders.support.services import placed

pytestmark = pytest.mark.django_db


def pending(contact) -> dict[str, str]:
    return dict(
        SuggestedUpdate.objects.filter(contact=contact, status=SuggestionStatus.PENDING).values_list("field", "value")
    )


def test_a_newer_order_replaces_the_pending_suggestion_for_the_same_field():
    contact = ContactFactory(city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #1", actor=SHOP)
    contact_sync_details(contact=contact, details={"city": "Hull"}, source_reference="Order #2", actor=SHOP)
    assert pending(contact) == {"city": "Hull"}
    assert SuggestedUpdate.objects.get(value="York").status == SuggestionStatus.DISMISSED
    assert Contact.objects.get(pk=contact.pk).city == "Leeds"


def test_locked_details_that_match_the_order_leave_no_suggestion():
    contact = ContactFactory(city="Leeds", details_locked=True)
    PhoneNumberFactory(contact=contact, number="+447400123456")
    contact_sync_details(
        contact=contact, details={"city": "Leeds"}, phone="+447400123456", source_reference="Order #1", actor=SHOP
    )
    assert pending(contact) == {}


def test_a_new_phone_on_locked_details_is_suggested_not_added():
    contact = ContactFactory(details_locked=True)
    contact_sync_details(contact=contact, details={}, phone="+447400123456", source_reference="Order #1", actor=SHOP)
    assert pending(contact) == {"phone": "+447400123456"}
    assert not contact.phones.exists()


def test_a_new_phone_on_unlocked_details_is_added():
    contact = ContactFactory()
    contact_sync_details(contact=contact, details={}, phone="+447400123456", source_reference="Order #1", actor=SHOP)
    assert list(contact.phones.values_list("number", flat=True)) == ["+447400123456"]


def test_accepting_applies_the_value_keeps_the_lock_and_records_who():
    user = UserFactory()
    contact = ContactFactory(city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #7", actor=SHOP)
    suggestion = SuggestedUpdate.objects.get()
    assert suggestion_accept(suggestion=suggestion, actor=Actor.staff(user))
    contact.refresh_from_db()
    assert (contact.city, contact.details_locked) == ("York", True)
    event = Activity.objects.get(contact=contact, event="suggestion_accepted")
    assert (event.actor, event.body) == (user, "Accepted from Order #7: Town or city: Leeds → York")
    assert not suggestion_accept(suggestion=suggestion, actor=Actor.staff(user)), "only once"
    assert Activity.objects.filter(event="suggestion_accepted").count() == 1


def test_accepting_a_phone_adds_the_number():
    contact = ContactFactory(details_locked=True)
    contact_sync_details(contact=contact, details={}, phone="+447400123456", source_reference="Order #1", actor=SHOP)
    suggestion_accept(suggestion=SuggestedUpdate.objects.get(), actor=Actor.staff(UserFactory()))
    assert list(contact.phones.values_list("number", flat=True)) == ["+447400123456"]


def test_dismissing_changes_nothing_on_the_contact():
    contact = ContactFactory(city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #1", actor=SHOP)
    suggestion = SuggestedUpdate.objects.get()
    assert suggestion_dismiss(suggestion=suggestion, actor=Actor.staff(UserFactory()))
    assert Contact.objects.get(pk=contact.pk).city == "Leeds"
    assert pending(contact) == {}
    assert not suggestion_dismiss(suggestion=suggestion, actor=Actor.staff(UserFactory()))


def test_a_staff_edit_racing_an_order_keeps_the_staff_value_and_suggests_the_order_one(staff_client):
    """SECURITY.md 28: the edit locks the details first, so the order that follows only suggests."""
    contact = ContactFactory(email="ann@example.com", first_name="Ann", last_name="Lee")
    edit = staff_client.get(reverse("customers:update", args=[contact.pk])).context["form"]
    staff_client.post(
        reverse("customers:update", args=[contact.pk]),
        {
            "email": "ann@example.com",
            "first_name": "Annie",
            "last_name": "Lee",
            "version": edit.initial["version"],
        },
    )
    order_sync_placed(data=placed(first_name="Anne"))
    contact.refresh_from_db()
    assert contact.first_name == "Annie"
    assert pending(contact) == {"first_name": "Anne"}


def test_the_contact_page_offers_accept_and_dismiss_and_they_work(staff_client):
    contact = ContactFactory(city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #7", actor=SHOP)
    suggestion = SuggestedUpdate.objects.get()
    html = staff_client.get(contact.get_absolute_url()).content.decode()
    assert "Suggested updates" in html
    assert "Leeds → York" in html
    response = staff_client.post(reverse("customers:suggestion_accept", args=[contact.pk, suggestion.pk]))
    assert response.url == contact.get_absolute_url()
    assert Contact.objects.get(pk=contact.pk).city == "York"
    follow = staff_client.post(reverse("customers:suggestion_dismiss", args=[contact.pk, suggestion.pk]), follow=True)
    assert "already accepted or dismissed" in follow.content.decode()


def test_viewers_may_not_resolve_and_a_suggestion_of_another_contact_is_not_found(client, viewer, staff_client):
    contact = ContactFactory(city="Leeds", details_locked=True)
    contact_sync_details(contact=contact, details={"city": "York"}, source_reference="Order #7", actor=SHOP)
    suggestion = SuggestedUpdate.objects.get()
    other = ContactFactory()
    assert staff_client.post(reverse("customers:suggestion_accept", args=[other.pk, suggestion.pk])).status_code == 404
    client.force_login(viewer)
    assert client.post(reverse("customers:suggestion_accept", args=[contact.pk, suggestion.pk])).status_code == 403
    assert "Accept" not in client.get(contact.get_absolute_url()).content.decode().split("Suggested updates")[1][:600]
    assert pending(contact) == {"city": "York"}
