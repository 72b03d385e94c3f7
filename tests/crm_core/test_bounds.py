"""Ids and days beyond what a database column holds never reach it: refused like any bad value, or matching no row."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from crm_core.bounds import DayField, day_span, id_parsed
from customers.models import Activity, Contact, SuggestedUpdate
from orders.models import OrderStatus
from tests.factories import ContactFactory, LabelFactory, MembershipFactory, OrderFactory, UserFactory
from tests.test_access import ALL_URLS
from tickets.views.portal import SESSION_KEY as PORTAL_SESSION_KEY


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        ("0042", 42),
        (str(2**63 - 1), 2**63 - 1),
        (str(2**63), None),
        ("9" * 40, None),
        ("9" * 5000, None),  # past int()'s 4,300 digits
        ("-1", None),
        ("1e5", None),
        ("²", None),  # a digit to str.isdigit(), not to int()
        ("٣", None),
        (" 1", None),
        ("", None),
    ],
)
def test_an_id_from_the_request_is_ascii_digits_within_64_bits(text, expected):
    assert id_parsed(text) == expected


def test_a_day_is_searchable_up_to_the_day_before_the_last_of_the_calendar():
    start, end = day_span(date(9999, 12, 30))
    assert (start.year, end.year, end.day) == (9999, 9999, 31)
    with pytest.raises(OverflowError):
        day_span(date.max)
    assert DayField().clean("9999-12-30") == date(9999, 12, 30)


@pytest.mark.parametrize("typed", ["9999-12-31", "2026-02-30", "yesterday"])
def test_a_day_beyond_the_calendar_is_refused_in_the_words_of_any_date_that_is_not_one(typed):
    with pytest.raises(ValidationError) as error:
        DayField().clean(typed)
    assert error.value.messages == [f"“{typed}” is not a valid date."]


@pytest.mark.django_db
@pytest.mark.parametrize("beyond", [2**63, -(2**63) - 1, 10**40])
def test_an_id_no_column_holds_matches_no_row_in_the_lookups_that_take_ids_from_a_request(beyond):
    contact = ContactFactory()
    entry = Activity.objects.create(contact=contact, kind="note", body="Called")
    # `in` on the id column: a ModelMultipleChoiceField's check, the admin's filters and actions.
    assert list(Contact.objects.filter(pk__in=[beyond, contact.pk])) == [contact]
    assert not Contact.objects.filter(pk__in=[beyond]).exists()
    assert list(Contact.objects.exclude(pk__in=[beyond])) == [contact]
    # Through a foreign key: `contact_id=pk` with the pk from the URL.
    assert not Activity.objects.filter(contact_id=beyond).exists()
    assert not Activity.objects.filter(contact=beyond).exists()
    assert list(Activity.objects.filter(contact__in=[beyond, contact.pk])) == [entry]
    assert list(Activity.objects.exclude(contact_id=beyond)) == [entry]


BEYOND = str(2**64)
INT_ROUTES = [(route, name) for route, name, _ in ALL_URLS if "<int:" in route]


def paths_with_one_id_beyond(route: str) -> list[str]:
    """Return the route once per <int:> argument, that one 2**64 and the others 1 (a real row)."""
    parts = re.split(r"<int:\w+>", route)
    paths = []
    for beyond in range(len(parts) - 1):
        values = [BEYOND if index == beyond else "1" for index in range(len(parts) - 1)]
        paths.append("/" + "".join(part + value for part, value in zip(parts, [*values, ""], strict=True)))
    return paths


@pytest.mark.django_db
@pytest.mark.parametrize(("route", "name"), INT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_an_id_beyond_64_bits_in_any_path_is_not_found_never_a_500(client, production, route, name, method):
    """Django's <int:> takes any number of digits; the row it names is looked up beside real ones."""
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    contact = ContactFactory(pk=1)
    contact.labels.add(LabelFactory(pk=1))
    Activity.objects.create(pk=1, contact=contact, kind="note", body="Called", actor=superuser)
    SuggestedUpdate.objects.create(pk=1, contact=contact, field="city", value="York")
    MembershipFactory(pk=1, contact=contact, company__pk=1)
    OrderFactory(pk=1, contact=contact, status=OrderStatus.DRAFT)
    client.force_login(superuser)
    # Signed in to the Customer Portal as well, so its pages look the id up too.
    session = client.session
    session[PORTAL_SESSION_KEY] = {"id": contact.pk, "email": contact.email_normalized}
    session.save()
    for path in paths_with_one_id_beyond(route):
        response = getattr(client, method)(path)
        assert response.status_code in {404, 405}, f"{method.upper()} {path} answered {response.status_code}"
