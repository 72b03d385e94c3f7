"""Marketing consent on the contact page: the box, changing it, one-click unsubscribe and the history page."""

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm_core.actors import SHOP, SYSTEM, Actor
from customers.models import ConsentRecord, ConsentSource, ConsentState, Contact, OptInLevel
from customers.services import contacts_trash
from customers.services.website import contact_form_submit
from tests.customers.support.consent import FORM_DATE, REQUEST, assert_refused, change, history, local, page, record
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_without_records_the_box_says_no_consent_was_recorded(manager_client):
    html = page(manager_client, ContactFactory())
    assert "Email marketing: <span" in html
    assert ">Not subscribed</span>" in html
    assert "No consent recorded" in html
    assert "View consent history" not in html
    assert "Unsubscribe" not in html


@pytest.mark.parametrize(
    ("state", "word", "can_unsubscribe"),
    [
        (ConsentState.SUBSCRIBED, "Collected", True),
        (ConsentState.PENDING, "Collected", True),
        (ConsentState.UNSUBSCRIBED, "Recorded", False),
        (ConsentState.NOT_SUBSCRIBED, "Recorded", False),
    ],
)
def test_the_box_shows_the_state_since_when_and_how_it_was_collected(
    manager_client, manager, state, word, can_unsubscribe
):
    contact = ContactFactory()
    given = timezone.make_aware(datetime(2026, 3, 3, 10, 0))
    record(contact, state, given, actor=Actor.staff(manager), opt_in_level=OptInLevel.SINGLE, collected_how="In shop")
    html = page(manager_client, contact)
    assert f'class="badge badge--consent-{state}">{ConsentState(state).label}</span>' in html
    assert "since <time" in html
    assert ">3 Mar 2026</time>" in html
    assert f"{word}: In shop" in html
    assert "(Staff, single opt-in)" in html
    assert ("Unsubscribe<span" in html) is can_unsubscribe
    assert "Change consent" in html
    assert reverse("customers:consent_history", args=[contact.pk]) in html


def test_the_box_lists_only_the_latest_five_records(manager_client):
    contact = ContactFactory()
    for days in range(7):
        record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=days + 1), collected_how=f"n{days}")
    html = page(manager_client, contact)
    recent = html.split('class="consent__recent"')[1].split("</ol>")[0]
    assert recent.count("<li>") == 5


def test_viewers_see_the_box_and_the_history_but_no_buttons(client, viewer):
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now())
    client.force_login(viewer)
    html = page(client, contact)
    assert "Email marketing: <span" in html
    assert "Change consent" not in html
    assert reverse("customers:consent_unsubscribe", args=[contact.pk]) not in html
    assert "By phone" in history(client, contact)
    assert "Change consent" not in history(client, contact)


def test_the_form_opens_with_now_as_the_date(staff_client):
    contact = ContactFactory()
    response = staff_client.get(reverse("customers:consent_change", args=[contact.pk]))
    html = response.content.decode()
    opened = response.context["form"].initial["given_at"]
    assert timezone.now() - opened < timedelta(minutes=1)
    assert f'value="{local(opened)}"' in html
    assert 'type="datetime-local"' in html
    assert "How was consent collected?" in html
    assert "<title>Change marketing consent" in html


def test_saving_appends_a_staff_record_and_returns_to_the_contact_with_a_banner(staff_client, staff_user):
    contact = ContactFactory()
    given = timezone.now().replace(second=0, microsecond=0) - timedelta(days=2)
    response = change(staff_client, contact, given_at=local(given), collected_how="Signed the paper form")

    assert response.status_code == 302
    assert response.url == contact.get_absolute_url()
    saved = ConsentRecord.objects.get()
    assert (saved.state, saved.opt_in_level, saved.source, saved.actor) == (
        ConsentState.SUBSCRIBED,
        OptInLevel.SINGLE,
        ConsentSource.STAFF,
        staff_user,
    )
    assert (saved.given_at, saved.collected_how) == (given, "Signed the paper form")
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.SUBSCRIBED
    html = staff_client.get(response.url).content.decode()
    assert "Consent recorded. Email marketing: Subscribed." in html


def test_an_untouched_date_means_the_moment_of_saving(staff_client):
    contact = ContactFactory()
    form = staff_client.get(reverse("customers:consent_change", args=[contact.pk])).context["form"]
    opened = local(form.initial["given_at"])
    before = timezone.now()
    change(staff_client, contact, given_at=opened, **{"initial-given_at": str(form.initial["given_at"])})
    assert ConsentRecord.objects.get().given_at >= before


def test_a_change_saved_right_after_an_unsubscribe_takes_effect(staff_client):
    """The page opened a minute ago; its untouched date must not date the change before the unsubscribe."""
    contact = ContactFactory()
    record(contact, ConsentState.UNSUBSCRIBED, timezone.now())
    opened = timezone.localtime().replace(second=0, microsecond=0)
    change(staff_client, contact, given_at=local(opened), **{"initial-given_at": str(opened)})
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.SUBSCRIBED


def test_a_past_date_before_the_current_consent_is_kept_but_does_not_change_it(staff_client):
    contact = ContactFactory()
    record(contact, ConsentState.UNSUBSCRIBED, timezone.now() - timedelta(days=1))
    response = change(staff_client, contact, given_at=local(timezone.now() - timedelta(days=400)))

    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    assert contact.consent_records.count() == 2
    html = staff_client.get(response.url).content.decode()
    assert "A later entry says Unsubscribed, so email marketing stays Unsubscribed." in html
    assert "Entered later" in history(staff_client, contact)


def test_the_day_month_year_format_in_the_message_is_accepted(staff_client):
    contact = ContactFactory()
    response = change(staff_client, contact, given_at="27/11/2025 14:30")
    assert response.status_code == 302
    assert timezone.localtime(ConsentRecord.objects.get().given_at).strftime(FORM_DATE) == "2025-11-27T14:30"


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"given_at": "2999-01-01T10:00"}, "given_at", "The date can&#x27;t be in the future"),
        ({"given_at": "next tuesday"}, "given_at", "Enter a date and time like 27/11/2026 14:30"),
        ({"given_at": "31/02/2026 10:00"}, "given_at", "Enter a date and time like 27/11/2026 14:30"),
        ({"given_at": ""}, "given_at", "Enter a date and time like 27/11/2026 14:30"),
        ({"given_at": "1999-12-31T23:59"}, "given_at", "Enter a date from 1 January 2000 onwards"),
        ({"given_at": "0001-01-01T00:00"}, "given_at", "Enter a date from 1 January 2000 onwards"),
        ({"given_at": "2026-01-01T10:00\x00"}, "given_at", "Enter a date and time like 27/11/2026 14:30"),
        ({"collected_how": ""}, "collected_how", "Enter how consent was collected"),
        ({"collected_how": "   \n "}, "collected_how", "Enter how consent was collected"),
        ({"collected_how": "By\x00phone"}, "collected_how", "The note contains a hidden control character"),
        ({"collected_how": "x" * 10_240}, "collected_how", "Keep the note to 2,000 characters or fewer; it has 10,240"),
        ({"state": "subscribed'; DROP TABLE"}, "state", "Choose one of the consent states in the list"),
        ({"state": ""}, "state", "Choose the new consent state"),
        ({"opt_in_level": "double"}, "opt_in_level", "Choose one of the opt-in levels in the list"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_written(staff_client, fields, field, message):
    contact = ContactFactory()
    html = assert_refused(change(staff_client, contact, **fields), field, message)
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.NOT_SUBSCRIBED
    assert 'aria-invalid="true"' in html


def test_a_time_the_clocks_skipped_is_refused_in_plain_words(staff_client, settings):
    settings.TIME_ZONE = "Europe/London"
    contact = ContactFactory()
    assert_refused(change(staff_client, contact, given_at="2026-03-29T01:30"), "given_at", "The clocks changed")


def test_a_refused_form_keeps_what_was_typed(staff_client):
    contact = ContactFactory()
    html = assert_refused(
        change(staff_client, contact, given_at="2999-01-01T10:00", collected_how="Kept <b>note</b>"),
        "given_at",
        "can&#x27;t be in the future",
    )
    assert 'value="2999-01-01T10:00"' in html
    assert "Kept &lt;b&gt;note&lt;/b&gt;</textarea>" in html
    assert 'value="subscribed" required id="id_state_0" checked' in html


def test_the_contact_list_filters_by_the_consent_set_through_the_form(staff_client):
    contact = ContactFactory(email="ann@example.com")
    other = ContactFactory(email="bob@example.com")
    change(staff_client, contact, given_at=local(timezone.now() - timedelta(minutes=5)))

    def listed(consent):
        return [
            row.pk for row in staff_client.get(reverse("customers:list"), {"consent": consent}).context["page"].rows
        ]

    assert listed(ConsentState.SUBSCRIBED) == [contact.pk]
    staff_client.post(reverse("customers:consent_unsubscribe", args=[contact.pk]))
    assert listed(ConsentState.SUBSCRIBED) == []
    assert listed(ConsentState.UNSUBSCRIBED) == [contact.pk]
    assert listed(ConsentState.NOT_SUBSCRIBED) == [other.pk]


def test_unsubscribing_is_one_click_takes_effect_at_once_and_keeps_the_history(staff_client, staff_user):
    staff_user.first_name, staff_user.last_name = "Sam", "Staff"
    staff_user.save()
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(seconds=1))

    response = staff_client.post(reverse("customers:consent_unsubscribe", args=[contact.pk]))

    assert response.url == contact.get_absolute_url()
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED
    latest, first = contact.consent_records.all()
    assert (latest.state, latest.source, latest.actor, latest.opt_in_level) == (
        ConsentState.UNSUBSCRIBED,
        ConsentSource.STAFF,
        staff_user,
        OptInLevel.UNKNOWN,
    )
    assert latest.collected_how == "Unsubscribed by Sam Staff from the contact page"
    assert first.state == ConsentState.SUBSCRIBED
    html = staff_client.get(response.url).content.decode()
    assert "unsubscribed from email marketing." in html
    assert ">Unsubscribed</span>" in html


def test_unsubscribing_a_pending_contact_works_too(staff_client):
    contact = ContactFactory()
    record(contact, ConsentState.PENDING, timezone.now() - timedelta(seconds=1))
    staff_client.post(reverse("customers:consent_unsubscribe", args=[contact.pk]))
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.UNSUBSCRIBED


def test_unsubscribing_someone_not_subscribed_writes_nothing(staff_client):
    contact = ContactFactory()
    response = staff_client.post(reverse("customers:consent_unsubscribe", args=[contact.pk]), follow=True)
    assert "was not subscribed; nothing changed." in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_unsubscribing_answers_only_post(staff_client):
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now())
    assert staff_client.get(reverse("customers:consent_unsubscribe", args=[contact.pk])).status_code == 405
    assert contact.consent_records.count() == 1


def test_the_history_lists_every_record_newest_moment_first_with_who_and_when(staff_client, staff_user):
    contact = ContactFactory(email="ann@example.com")
    now = timezone.now()
    record(contact, ConsentState.SUBSCRIBED, now - timedelta(days=10), actor=SHOP, source=ConsentSource.CHECKOUT)
    record(contact, ConsentState.UNSUBSCRIBED, now - timedelta(days=2), actor=Actor.staff(staff_user))
    record(contact, ConsentState.PENDING, now - timedelta(days=5), collected_how="Old paper form")
    contact_form_submit(name="Ann", email="ann@example.com", message="Hello", consent=True)

    html = history(staff_client, contact)
    rows = html.split('<li class="consent-log__entry">')[1:]
    assert [row.split('class="badge badge--consent-')[1].split('"')[0] for row in rows] == [
        "subscribed",
        "unsubscribed",
        "pending",
        "subscribed",
    ]
    assert "The website" in rows[0]
    assert "Contact form" in rows[0]
    assert staff_user.get_full_name() in rows[1]
    assert "Entered later" in rows[2]
    assert "Old paper form" in rows[2]
    assert "Entered later" not in rows[0] + rows[1] + rows[3]
    assert "The shop" in rows[3]
    assert "Checkout" in rows[3]
    assert "Unknown" in rows[3]
    assert html.count("<time") == 8


def test_html_in_notes_is_shown_as_text_on_the_contact_page_and_in_the_history(staff_client):
    contact = ContactFactory()
    change(staff_client, contact, collected_how='<script>alert(1)</script>" onmouseover="x')
    for html in (page(staff_client, contact), history(staff_client, contact)):
        assert "<script>alert(1)" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert '" onmouseover="x' not in html


def test_the_history_of_a_contact_without_records_invites_a_change(staff_client):
    html = history(staff_client, ContactFactory())
    assert "No consent recorded" in html
    assert "Change consent" in html


def test_viewers_can_neither_change_nor_unsubscribe(client, viewer):
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=1))
    client.force_login(viewer)
    assert client.get(reverse("customers:consent_change", args=[contact.pk])).status_code == 403
    assert change(client, contact, state=ConsentState.UNSUBSCRIBED).status_code == 403
    assert client.post(reverse("customers:consent_unsubscribe", args=[contact.pk])).status_code == 403
    contact.refresh_from_db()
    assert contact.marketing_consent == ConsentState.SUBSCRIBED
    assert contact.consent_records.count() == 1


def test_posts_without_a_csrf_token_are_refused(staff_user):
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=1))
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert change(client, contact, state=ConsentState.UNSUBSCRIBED).status_code == 403
    assert client.post(reverse("customers:consent_unsubscribe", args=[contact.pk])).status_code == 403
    assert contact.consent_records.count() == 1


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("consent_change", "get"),
        ("consent_change", "post"),
        ("consent_unsubscribe", "post"),
        ("consent_history", "get"),
    ],
)
def test_a_contact_in_the_trash_has_no_consent_pages(staff_client, name, method):
    contact = ContactFactory()
    record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=1))
    contacts_trash(contacts=Contact.objects.filter(pk=contact.pk), actor=SYSTEM)
    url = reverse(f"customers:{name}", args=[contact.pk])
    response = getattr(staff_client, method)(url, {"state": "unsubscribed"} if method == "post" else None)
    assert response.status_code == 404
    assert contact.consent_records.count() == 1


@pytest.mark.parametrize("rows", [1, 50])
def test_the_history_page_issues_a_fixed_number_of_queries(manager_client, manager, django_assert_num_queries, rows):
    contact = ContactFactory()
    staff = Actor.staff(manager)
    for index in range(rows):
        record(contact, ConsentState.SUBSCRIBED, timezone.now() - timedelta(days=index), actor=staff)
    expected = [
        *REQUEST,
        "the contact",
        "count for the paginator",
        "the page of records with their staff, each marked if entered later",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(reverse("customers:consent_history", args=[contact.pk]))
    assert len(response.context["page_obj"]) == rows
