"""The public contact form page: open to anyone, CSRF-protected, rate-limited, with a honeypot
(SECURITY.md 14, 17, 19, 25, 31, 36)."""

import re
from unittest import mock

import pytest
from django.core.cache import caches
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form

from customers.forms.website import WebsiteContactForm
from customers.models import Activity, ConsentRecord, Contact, Source
from customers.services.website import contact_form_submit
from customers.views.website import RATE_LIMIT_MESSAGE, submission_allowed
from tests.factories import ContactFactory
from tests.naughty import NAUGHTY_STRINGS

pytestmark = pytest.mark.django_db

CONTACT_URL = "/contact/"
THANKS_URL = "/contact/thanks/"
VALID = {"name": "Ann Lee", "email": "ann@example.com", "message": "Do you ship to Norway?"}


def nothing_saved() -> bool:
    return not (Contact.objects.exists() or Activity.objects.exists() or ConsentRecord.objects.exists())


def test_the_urls_are_the_ones_the_website_links_to():
    assert reverse("website_contact") == CONTACT_URL
    assert reverse("website_contact_thanks") == THANKS_URL


def test_an_anonymous_visitor_sees_the_form_without_staff_navigation(client):
    response = client.get(CONTACT_URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Contact us" in html
    assert re.search(r"<h1>Contact us</h1>", html)
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'aria-label="Main"' not in html
    assert re.search(r'<input type="checkbox" name="consent"[^>]*>', html)
    assert "checked" not in re.search(r'<input type="checkbox" name="consent"[^>]*>', html).group()


def test_signed_in_staff_see_the_public_page_without_their_navigation(staff_client):
    html = staff_client.get(CONTACT_URL).content.decode()
    assert 'aria-label="Main"' not in html
    assert "Log out" not in html


def test_the_honeypot_is_out_of_the_tab_order_and_never_autofilled(client):
    html = client.get(CONTACT_URL).content.decode()
    honeypot = re.search(r'<input type="text" name="website"[^>]*>', html).group()
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot
    assert "Leave this field empty" in html


def test_the_thank_you_page_is_public(client):
    response = client.get(THANKS_URL)
    assert response.status_code == 200
    assert b"Thank you for your message" in response.content


@pytest.mark.parametrize(("url", "method"), [(CONTACT_URL, "put"), (CONTACT_URL, "delete"), (THANKS_URL, "post")])
def test_other_methods_are_refused(client, url, method):
    assert getattr(client, method)(url).status_code == 405


def test_a_message_redirects_to_the_thank_you_page_and_files_a_lead(client):
    response = client.post(CONTACT_URL, {**VALID, "consent": "on"})
    assert response.status_code == 302
    assert response.url == THANKS_URL
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.source) == ("Ann", "Lee", Source.CONTACT_FORM)
    assert contact.activities.filter(event="message_received").exists()
    assert contact.consent_records.count() == 1


@pytest.mark.parametrize("bait", ["http://spam.example", "x"])
def test_a_filled_honeypot_looks_accepted_but_saves_nothing(client, bait):
    response = client.post(CONTACT_URL, {**VALID, "consent": "on", "website": bait})
    assert response.status_code == 302
    assert response.url == THANKS_URL
    assert nothing_saved()


def test_a_filled_honeypot_looks_accepted_even_with_bad_fields(client):
    response = client.post(CONTACT_URL, {"email": "not an email", "website": "x"})
    assert response.status_code == 302
    assert response.url == THANKS_URL
    assert nothing_saved()


def test_over_the_rate_limit_the_form_keeps_what_was_typed_answers_429_and_saves_nothing(client, settings):
    settings.CONTACT_FORM_RATE_LIMIT = 2
    for number in range(2):
        assert client.post(CONTACT_URL, {**VALID, "message": f"Message {number}"}).status_code == 302
    saved = Activity.objects.count()

    response = client.post(CONTACT_URL, {**VALID, "name": "Bea Cox", "email": "bea@example.com", "consent": "on"})

    assert response.status_code == 429
    html = response.content.decode()
    assert "<title>Error: Contact us" in html
    assert RATE_LIMIT_MESSAGE in html
    assert 'value="Bea Cox"' in html
    assert 'value="bea@example.com"' in html
    assert "Do you ship to Norway?</textarea>" in html
    assert re.search(r'<input type="checkbox" name="consent"[^>]*checked', html)
    assert Activity.objects.count() == saved
    assert not Contact.objects.filter(email="bea@example.com").exists()


def test_the_rate_limit_counts_per_client_address(settings):
    settings.CONTACT_FORM_RATE_LIMIT = 1
    assert Client(REMOTE_ADDR="198.51.100.1").post(CONTACT_URL, VALID).status_code == 302
    assert Client(REMOTE_ADDR="198.51.100.1").post(CONTACT_URL, VALID).status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.2").post(CONTACT_URL, VALID).status_code == 302


def test_invalid_and_honeypot_submissions_do_not_use_up_the_allowance(client, settings):
    settings.CONTACT_FORM_RATE_LIMIT = 1
    client.post(CONTACT_URL, {**VALID, "email": "nope"})
    client.post(CONTACT_URL, {**VALID, "website": "x"})
    assert client.post(CONTACT_URL, VALID).status_code == 302


def test_a_client_cannot_dodge_the_limit_with_a_forwarded_for_header_unless_a_proxy_header_is_configured(
    client, settings
):
    settings.CONTACT_FORM_RATE_LIMIT = 1
    assert client.post(CONTACT_URL, VALID, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 302
    assert client.post(CONTACT_URL, VALID, HTTP_X_FORWARDED_FOR="192.0.2.2").status_code == 429


def test_the_rate_limit_counts_per_address_the_configured_proxy_header_gives(client, settings):
    settings.CONTACT_FORM_RATE_LIMIT = 1
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert client.post(CONTACT_URL, VALID, HTTP_X_REAL_IP="192.0.2.1").status_code == 302
    assert client.post(CONTACT_URL, VALID, HTTP_X_REAL_IP="192.0.2.2").status_code == 302
    assert client.post(CONTACT_URL, VALID, HTTP_X_REAL_IP="192.0.2.2").status_code == 429


def test_a_submission_is_counted_when_the_window_ends_between_add_and_incr(settings):
    """The key expires after add; a simultaneous submission opens the next window before this one can."""
    settings.CONTACT_FORM_RATE_LIMIT = 2
    backend = caches["default"]
    real_incr = backend.incr
    expired = []

    def incr(key, *args, **kwargs):
        if not expired:
            expired.append(key)
            backend.delete(key)
            backend.add(key, 0, settings.CONTACT_FORM_RATE_WINDOW)
            real_incr(key)  # the simultaneous submission
            raise ValueError(f"Key '{key}' not found")
        return real_incr(key, *args, **kwargs)

    with mock.patch.object(backend, "incr", incr):
        assert submission_allowed("192.0.2.1")
        assert not submission_allowed("192.0.2.1"), "the third submission in the window is over the limit of 2"


def test_a_post_without_a_csrf_token_is_refused_and_saves_nothing():
    response = Client(enforce_csrf_checks=True).post(CONTACT_URL, VALID)
    assert response.status_code == 403
    assert nothing_saved()


def test_a_post_with_the_pages_csrf_token_is_accepted():
    client = Client(enforce_csrf_checks=True)
    html = client.get(CONTACT_URL).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    assert client.post(CONTACT_URL, {**VALID, "csrfmiddlewaretoken": token}).status_code == 302


LONG = "x" * 10_000


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Enter your name"),
        ("name", "   ", "Enter your name"),
        ("name", "Ann\x00Lee", "Name contains a hidden control character; retype it"),
        ("name", LONG, "Name must be 300 characters or fewer"),
        ("name", "Ann " + "L" * 151, "each be 150 characters or fewer"),
        ("email", "", "Enter your email address"),
        ("email", "ann.example.com", "Enter an email address like name@example.com"),
        ("email", "ann@example.com\x00", "Email contains a hidden control character; retype it"),
        ("email", LONG + "@example.com", "Email must be 254 characters or fewer"),
        ("message", "", "Enter your message"),
        ("message", "Hello\x00", "Message contains a hidden control character; retype it"),
        ("message", LONG, "Message must be 5,000 characters or fewer (it has 10,000)"),
    ],
)
def test_bad_input_is_a_field_error_with_everything_else_kept(client, field, value, message):
    data = {**VALID, "consent": "on", field: value}
    response = client.post(CONTACT_URL, data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Error: Contact us" in html
    assert "There is a problem" in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert re.search(rf'name="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*name="{field}"', html)
    for other in {"name", "email"} - {field}:
        assert f'value="{VALID[other]}"' in html
    assert nothing_saved()


def test_html_typed_into_the_form_is_shown_as_text(client, manager_client):
    payload = '<script>alert("x")</script><b onmouseover="alert(1)">hi</b>'
    response = client.post(CONTACT_URL, {**VALID, "name": f'"><img src=x onerror=alert(1)> {payload}'})
    assert response.status_code == 302
    contact = Contact.objects.get()

    html = manager_client.get(contact.get_absolute_url()).content.decode()

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_html_in_typed_values_stays_text_when_the_form_comes_back_with_errors(client):
    response = client.post(CONTACT_URL, {**VALID, "name": '"><script>alert(1)</script>', "email": "bad"})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html


def test_a_message_from_a_known_email_goes_to_that_contact(client):
    known = ContactFactory(email="Ann@Example.com", first_name="Annabel", last_name="Lee")
    client.post(CONTACT_URL, {**VALID, "name": "A. Nother", "email": "ann@example.com"})
    known.refresh_from_db()
    assert Contact.objects.count() == 1
    assert known.first_name == "Annabel"
    assert known.activities.filter(event="message_received").count() == 1


class Rollback(Exception):
    """Raised to undo a round trip, so every example starts from the same database."""


text = st.one_of(st.text(max_size=400), st.sampled_from(NAUGHTY_STRINGS))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    form=from_form(
        WebsiteContactForm,
        name=text,
        email=st.one_of(st.emails(), text),
        message=st.one_of(text, st.text(min_size=4990, max_size=5010)),
        website=st.just(""),
    )
)
def test_any_input_gives_field_errors_or_a_clean_round_trip(form, db):
    if not form.is_valid():
        assert form.errors
        return
    submission = form.submission()
    try:
        with transaction.atomic():
            contact = contact_form_submit(**submission)
            stored = Contact.objects.get(pk=contact.pk)
            assert f"{stored.first_name} {stored.last_name}".strip() == submission["name"]
            assert stored.email == submission["email"].strip()
            assert stored.activities.get(event="message_received").body.endswith("\n" + submission["message"])
            raise Rollback
    except Rollback:
        pass
