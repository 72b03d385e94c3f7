"""Hypothesis drives the contact form with arbitrary and naughty text: every input ends in a field error
or in a contact that stores exactly what was cleaned; never an exception (SECURITY.md 31, 36, 37)."""

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form

from crm_core.actors import Actor
from customers.forms import ContactForm
from customers.models import Contact
from customers.services import contact_create
from tests.factories import UserFactory
from tests.naughty import NAUGHTY_STRINGS

pytestmark = pytest.mark.django_db

text = st.one_of(st.text(max_size=300), st.sampled_from(NAUGHTY_STRINGS))
emails = st.one_of(st.emails(), text)
TEXT_FIELDS = ("first_name", "last_name", "address_line1", "address_line2", "city", "region", "postal_code", "country")


class Rollback(Exception):
    """Raised to undo a round trip, so every example starts from the same database."""


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=from_form(
        ContactForm,
        form_kwargs={"label_options": []},
        email=emails,
        labels=st.just([]),
        image=st.none(),
        # Whatever a kept-image token holds, it is ignored with a field error, never an exception.
        pending_image=st.one_of(st.just(""), text),
        **dict.fromkeys(TEXT_FIELDS, text),
    )
)
def test_any_input_gives_field_errors_or_a_clean_round_trip(form, db):
    if not form.is_valid():
        assert form.errors or form.phones.total_error_count()
        return
    actor = Actor.staff(UserFactory(username="fuzzer"))
    try:
        with transaction.atomic():
            contact = contact_create(actor=actor, phones=form.phone_inputs(), **form.contact_fields())
            stored = Contact.objects.get(pk=contact.pk)
            for name, value in form.contact_fields().items():
                expected = value.strip() if name == "email" else value
                assert getattr(stored, name) == expected, name
            raise Rollback
    except Rollback:
        pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(number=st.one_of(st.text(max_size=300), st.sampled_from(NAUGHTY_STRINGS), st.just("1" * 251)))
def test_any_phone_input_is_a_valid_number_or_a_field_error(number, db):
    form = ContactForm(
        {"email": "ann@example.com", "phones-TOTAL_FORMS": "1", "phones-INITIAL_FORMS": "0", "phones-0-number": number},
        label_options=[],
    )
    if form.is_valid():
        assert all(phone.number.startswith("+") and phone.number[1:].isdigit() for phone in form.phone_inputs())
    else:
        assert form.phones.forms[0].errors["number"]


@pytest.mark.parametrize("value", NAUGHTY_STRINGS)
def test_naughty_strings_in_search_and_company_rows_never_break_the_pages(staff_client, value):
    """The list and search still render, and a naughty company name is a field error or a company row."""
    assert staff_client.get("/contacts/", {"q": value}).status_code == 200
    response = staff_client.post(
        "/contacts/add/",
        {
            "email": "ann@example.com",
            "companies-TOTAL_FORMS": "1",
            "companies-INITIAL_FORMS": "0",
            "companies-0-company": value,
            "companies-0-portal_access": "inherit",
        },
    )
    assert response.status_code in (200, 302)
