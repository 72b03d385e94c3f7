"""The contact form: every way its input can be refused, and what a valid form hands to the services."""

from datetime import timedelta

import pytest
from django.http import QueryDict

from crm_core.phones import FORMAT_MESSAGE
from customers.forms import MAX_PHONES, STALE_MESSAGE, ContactForm
from customers.selectors import contact_with_phones
from customers.services import PhoneInput
from tests.factories import ContactFactory, PhoneNumberFactory

pytestmark = pytest.mark.django_db


def post(fields=None, phones=(), **extra) -> QueryDict:
    """Build a submitted form: fields by name, phones as (number, label) rows."""
    data = QueryDict(mutable=True)
    data.update({"email": "ann@example.com", **(fields or {})})
    data.update({"phones-TOTAL_FORMS": str(len(phones)), "phones-INITIAL_FORMS": "0"})
    for index, (number, label) in enumerate(phones):
        data.update({f"phones-{index}-number": number, f"phones-{index}-label": label})
    data.update(extra)
    return data


def phone_errors(form: ContactForm) -> list[list[str]]:
    return [row.errors.get("number", []) for row in form.phones]


def test_only_the_email_is_required():
    form = ContactForm(post(phones=[("", "")]))
    assert form.is_valid(), form.errors
    assert form.phone_inputs() == []
    assert form.contact_fields()["email"] == "ann@example.com"


def test_a_missing_email_is_asked_for():
    form = ContactForm(post({"email": ""}))
    assert not form.is_valid()
    assert form.errors["email"] == ["Enter an email address"]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("07400 123456", "+447400123456"),
        ("(020) 7183-8750", "+442071838750"),
        ("+44 20 7183 8750", "+442071838750"),
        ("0044 7400 123456", "+447400123456"),
        ("+1 (415) 555-0132", "+14155550132"),
    ],
)
def test_phones_are_accepted_as_typed_and_stored_as_e164(typed, stored):
    form = ContactForm(post(phones=[(typed, " mobile ")]))
    assert form.is_valid(), form.phones.errors
    assert form.phone_inputs() == [PhoneInput(number=stored, label="mobile")]


def test_the_default_region_comes_from_settings(settings):
    settings.PHONE_DEFAULT_REGION = "US"
    form = ContactForm(post(phones=[("(415) 555-0132", "")]))
    assert form.is_valid()
    assert form.phone_inputs()[0].number == "+14155550132"


@pytest.mark.parametrize(
    "typed",
    ["0800 FLOWERS", "call me", "📞 07400 123456", "0" * 251, "1" * 41, "07400\x00123456", "++--()"],
)
def test_letters_emoji_and_overlong_phones_get_the_example_message(typed):
    form = ContactForm(post(phones=[(typed, "")]))
    assert not form.is_valid()
    assert phone_errors(form) == [[FORMAT_MESSAGE]]


def test_a_number_too_short_to_exist_asks_for_the_area_code():
    form = ContactForm(post(phones=[("0123", "")]))
    assert not form.is_valid()
    assert phone_errors(form) == [
        ["This number is too short. Enter it with its area code, like 07700 900123 or +44 7700 900123"]
    ]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        (
            "0770 0900 1234 5678",
            "This number is too long. Enter one phone number, like 07700 900123 or +44 7700 900123",
        ),
        (
            "+49 123456789012345",
            "This number is too long. Enter one phone number, like 07700 900123 or +44 7700 900123",
        ),
        ("+999 123 456", "Start with a country code that exists, like 07700 900123 or +44 7700 900123"),
    ],
)
def test_a_number_that_cannot_be_one_says_why_and_what_to_type(typed, message):
    form = ContactForm(post(phones=[(typed, "")]))
    assert not form.is_valid()
    assert phone_errors(form) == [[message]]


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        # Possible numbers that are not allocated (a drama range, an unopened mobile range) are still numbers.
        ("07700 900123", "+447700900123"),
        ("+44 7700 900123", "+447700900123"),
        ("07911 654321", "+447911654321"),
        ("(020) 7183-8750", "+442071838750"),
    ],
)
def test_every_possible_number_is_accepted_and_stored_as_e164(typed, stored):
    form = ContactForm(post(phones=[(typed, "")]))
    assert form.is_valid(), form.errors
    assert form.phone_inputs()[0].number == stored


def test_the_same_number_twice_is_refused_on_the_second_row():
    form = ContactForm(post(phones=[("07400 123456", "mobile"), ("+44 7400 123456", "work")]))
    assert not form.is_valid()
    assert phone_errors(form) == [[], ["You have already added this number"]]


def test_a_label_without_a_number_asks_for_the_number():
    form = ContactForm(post(phones=[("", "work")]))
    assert not form.is_valid()
    assert phone_errors(form) == [["Enter the phone number, or clear its label"]]


def test_phone_rows_are_numbered_and_have_unique_ids():
    form = ContactForm(post(phones=[("", ""), ("", "")]))
    rows = list(form.phones)
    assert [row["number"].label for row in rows] == ["Phone number 1", "Phone number 2"]
    assert [row["number"].id_for_label for row in rows] == ["id_phones-0-number", "id_phones-1-number"]


def test_more_rows_than_allowed_are_refused():
    form = ContactForm(post(phones=[(f"+4420718{n:05d}", "") for n in range(MAX_PHONES + 1)]))
    assert not form.is_valid()
    assert form.phones.non_form_errors()


def test_a_post_without_phone_rows_means_no_phones():
    form = ContactForm(QueryDict("email=ann@example.com"))
    assert form.is_valid()
    assert form.phone_inputs() == []


FIELDS = ["first_name", "last_name", "email", "address_line1", "address_line2", "city", "region", "postal_code"]


@pytest.mark.parametrize("field", FIELDS)
def test_nul_bytes_in_any_field_are_a_field_error(field):
    form = ContactForm(post({field: "Ann\x00Lee"}))
    assert not form.is_valid()
    assert field in form.errors


@pytest.mark.parametrize("field", [*FIELDS, "country"])
def test_ten_kilobyte_strings_in_any_field_are_a_field_error(field):
    form = ContactForm(post({field: "x" * 10_000}))
    assert not form.is_valid()
    assert field in form.errors


def test_a_long_name_error_says_the_limit():
    form = ContactForm(post({"first_name": "x" * 151}))
    assert not form.is_valid()
    assert form.errors["first_name"] == ["First name must be 150 characters or fewer (it has 151)"]


def test_a_long_phone_label_is_refused():
    form = ContactForm(post(phones=[("07400 123456", "x" * 31)]))
    assert not form.is_valid()
    assert form.phones.forms[0].errors["label"] == ["Label must be 30 characters or fewer (it has 31)"]


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("gb", None),
        ("GBR", "Country must be 2 characters or fewer (it has 3)"),
        ("1A", "Enter the country as a two-letter code, like GB"),
    ],
)
def test_the_country_is_a_two_letter_code(typed, error):
    form = ContactForm(post({"country": typed}))
    if error is None:
        assert form.is_valid()
        assert form.cleaned_data["country"] == "GB"
    else:
        assert form.errors["country"] == [error]


def test_a_duplicate_email_links_to_the_existing_contact():
    existing = ContactFactory(email="ann@example.com")
    form = ContactForm(post({"email": " ANN@example.com "}))
    assert not form.is_valid()
    assert f'href="{existing.get_absolute_url()}"' in form.errors["email"][0]


def edit_form(contact, fields=None, phones=(), version=None):
    contact = contact_with_phones(pk=contact.pk)
    data = post(
        {"email": contact.email, "version": version or contact.updated_at.isoformat(), **(fields or {})}, phones
    )
    return ContactForm(data, instance=contact)


def test_on_edit_the_contact_may_keep_its_own_email_in_another_case():
    contact = ContactFactory(email="ann@example.com")
    form = edit_form(contact, {"email": "Ann@Example.com"})
    assert form.is_valid(), form.errors


def test_on_edit_another_contacts_email_is_refused():
    ContactFactory(email="bob@example.com")
    form = edit_form(ContactFactory(email="ann@example.com"), {"email": "bob@example.com"})
    assert not form.is_valid()
    assert "already exists" in form.errors["email"][0]


def test_the_edit_form_starts_with_the_contact_and_its_phones():
    contact = ContactFactory(first_name="Ann", city="Leeds")
    PhoneNumberFactory(contact=contact, number="+447400123456", label="mobile")
    form = ContactForm(instance=contact_with_phones(pk=contact.pk))
    assert form["first_name"].value() == "Ann"
    assert form["city"].value() == "Leeds"
    assert form["version"].value() == contact.updated_at.isoformat()
    assert [(row["number"].value(), row["label"].value()) for row in form.phones] == [("+44 7400 123456", "mobile")]


@pytest.mark.parametrize("version", ["", "yesterday", "2026-01-01T00:00:00", "\x00", "9" * 10_000])
def test_a_missing_or_tampered_version_is_treated_as_stale(version):
    contact = ContactFactory()
    data = post({"email": contact.email, "version": version})
    form = ContactForm(data, instance=contact_with_phones(pk=contact.pk))
    assert not form.is_valid()
    assert form.non_field_errors() == [STALE_MESSAGE]
    assert form["version"].value() == contact.updated_at.isoformat()


def test_marking_a_form_stale_keeps_what_was_typed_and_takes_the_new_version():
    contact = ContactFactory()
    form = edit_form(contact, {"first_name": "Typed"})
    assert form.is_valid()
    newer = contact.updated_at + timedelta(seconds=5)
    form.mark_stale(version=newer)
    assert form.non_field_errors() == [STALE_MESSAGE]
    assert form["first_name"].value() == "Typed"
    assert form["version"].value() == newer.isoformat()


def test_adding_a_row_keeps_what_was_typed_and_focuses_the_new_row():
    data = post({"first_name": "Ann"}, [("07400 123456", "mobile")], add_phone="1")
    form = ContactForm.with_row_action(data)
    assert not form.is_bound
    assert form["first_name"].value() == "Ann"
    rows = list(form.phones)
    assert [(row["number"].value(), row["label"].value()) for row in rows] == [("07400 123456", "mobile"), ("", "")]
    assert rows[1]["number"].field.widget.attrs.get("autofocus") is True


def test_removing_a_row_takes_only_that_row():
    data = post(phones=[("1", "a"), ("2", "b"), ("3", "c")], remove_phone="1")
    form = ContactForm.with_row_action(data)
    assert [row["number"].value() for row in form.phones] == ["1", "3"]


def test_a_tampered_row_count_is_capped():
    data = post(add_phone="1")
    data["phones-TOTAL_FORMS"] = "100000"
    form = ContactForm.with_row_action(data)
    assert len(form.phones.forms) == MAX_PHONES


def test_a_plain_save_is_not_a_row_action():
    assert ContactForm.with_row_action(post()) is None
