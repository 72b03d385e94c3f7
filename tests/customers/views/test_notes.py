"""The activity log on the contact page: notes and their permissions, paging, filters and safe text."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm_core.actors import Actor
from customers.models import Activity, ActivityGroup, ActivityKind
from customers.selectors import activity_page
from customers.services import NotePermissionDenied, note_add, note_delete, note_update
from tests.factories import ContactFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def contact():
    return ContactFactory(first_name="Ann", last_name="Lee")


def test_adding_a_note_records_its_author(staff_client, staff_user, contact):
    response = staff_client.post(reverse("customers:note_add", args=[contact.pk]), {"body": "Called back"})
    assert response.url == contact.get_absolute_url() + "#activity"
    note = Activity.objects.get(contact=contact)
    assert (note.kind, note.body, note.actor) == (ActivityKind.NOTE, "Called back", staff_user)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Write the note first"),
        ("   ", "Write the note first"),
        ("a\x00b", "hidden control character"),
        ("x" * 10_001, "10,000 characters or fewer"),
    ],
)
def test_a_bad_note_is_a_field_error_and_nothing_is_written(staff_client, contact, body, message):
    response = staff_client.post(reverse("customers:note_add", args=[contact.pk]), {"body": body})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Activity.objects.exists()


def test_a_bad_note_through_htmx_keeps_the_text_in_the_box(staff_client, contact):
    response = staff_client.post(
        reverse("customers:note_add", args=[contact.pk]),
        {"body": "x" * 10_001},
        headers={"HX-Request": "true", "HX-Target": "activity"},
    )
    html = response.content.decode()
    assert 'id="activity"' in html
    assert "<html" not in html
    assert "10,000 characters or fewer" in html
    assert "x" * 10_001 in html


def test_a_note_is_plain_text_with_line_breaks_and_safe_links(staff_client, contact):
    body = '<script>alert("x")</script>\nSee https://example.com/a?b=1 and javascript:alert(1)'
    staff_client.post(reverse("customers:note_add", args=[contact.pk]), {"body": body})
    html = staff_client.get(contact.get_absolute_url()).content.decode()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;<br>" in html
    assert '<a href="https://example.com/a?b=1" rel="nofollow">https://example.com/a?b=1</a>' in html
    assert 'href="javascript:' not in html


def test_authors_edit_their_own_notes_and_the_edit_is_recorded(staff_client, staff_user, contact):
    note = note_add(contact=contact, body="First", actor=Actor.staff(staff_user))
    url = reverse("customers:note_update", args=[contact.pk, note.pk])
    assert "First</textarea>" in staff_client.get(url).content.decode()
    staff_client.post(url, {"body": "Second"})
    note.refresh_from_db()
    assert note.body == "Second"
    assert "edited_at" in note.data
    edited = Activity.objects.get(event="note_edited")
    assert (edited.actor, edited.data["previous"]) == (staff_user, "First")


def test_nobody_else_may_edit_a_note_not_even_a_manager(client, manager, staff_user, contact):
    note = note_add(contact=contact, body="Mine", actor=Actor.staff(staff_user))
    client.force_login(manager)
    url = reverse("customers:note_update", args=[contact.pk, note.pk])
    assert client.post(url, {"body": "Changed"}).status_code == 403
    assert f'href="{url}"' not in client.get(contact.get_absolute_url()).content.decode()
    with pytest.raises(NotePermissionDenied):
        note_update(note=note, body="Changed", actor=Actor.staff(manager))
    assert Activity.objects.get(pk=note.pk).body == "Mine"


def test_managers_delete_any_note_and_the_log_says_whose(client, manager, staff_user, contact):
    note = note_add(contact=contact, body="Private words", actor=Actor.staff(staff_user))
    client.force_login(manager)
    url = reverse("customers:note_delete", args=[contact.pk, note.pk])
    assert "Delete this note?" in client.get(url).content.decode()
    client.post(url)
    assert not Activity.objects.filter(pk=note.pk).exists()
    deleted = Activity.objects.get(event="note_deleted")
    assert deleted.actor == manager
    assert deleted.body == f"Note by {staff_user.get_full_name()} deleted"
    assert "Private words" not in deleted.body


def test_staff_delete_their_own_notes_but_not_others(client, staff_user, contact):
    mine = note_add(contact=contact, body="Mine", actor=Actor.staff(staff_user))
    other = note_add(contact=contact, body="Theirs", actor=Actor.staff(UserFactory(role="Staff")))
    client.force_login(staff_user)
    assert client.post(reverse("customers:note_delete", args=[contact.pk, other.pk])).status_code == 403
    client.post(reverse("customers:note_delete", args=[contact.pk, mine.pk]))
    assert list(Activity.objects.filter(kind=ActivityKind.NOTE).values_list("body", flat=True)) == ["Theirs"]
    with pytest.raises(NotePermissionDenied):
        note_delete(note=other, actor=Actor.staff(staff_user))


def test_viewers_read_the_log_but_cannot_add_notes(client, viewer, contact):
    client.force_login(viewer)
    html = client.get(contact.get_absolute_url()).content.decode()
    assert 'name="body"' not in html
    assert client.post(reverse("customers:note_add", args=[contact.pk]), {"body": "x"}).status_code == 403
    assert not Activity.objects.exists()


def test_adding_a_note_without_a_csrf_token_is_refused(staff_user, contact):
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_user)
    assert client.post(reverse("customers:note_add", args=[contact.pk]), {"body": "x"}).status_code == 403
    assert not Activity.objects.exists()


def test_a_note_of_another_contact_or_an_event_is_not_found(staff_client, staff_user, contact):
    note = note_add(contact=contact, body="Mine", actor=Actor.staff(staff_user))
    event = Activity.objects.create(contact=contact, kind="event", event="edited", actor=staff_user)
    other = ContactFactory()
    assert staff_client.get(reverse("customers:note_update", args=[other.pk, note.pk])).status_code == 404
    assert staff_client.get(reverse("customers:note_update", args=[contact.pk, event.pk])).status_code == 404


def entries(contact, count, *, same_moment=False):
    """Add notes "Entry 0" (newest) to "Entry N-1" (oldest), or all at one moment, in the newest-first order."""
    moment = timezone.now()
    created = Activity.objects.bulk_create(
        Activity(contact=contact, kind="note", body=f"Entry {index}") for index in range(count)
    )
    # created_at is set on insert; move each entry to its moment afterwards.
    for index, entry in enumerate(created):
        at = moment if same_moment else moment - timedelta(minutes=index)
        Activity.objects.filter(pk=entry.pk).update(created_at=at)


@pytest.mark.parametrize("same_moment", [False, True])
def test_show_more_walks_every_entry_once_newest_first(contact, same_moment):
    entries(contact, 120, same_moment=same_moment)
    seen, cursor = [], None
    while True:
        page = activity_page(contact=contact, cursor=cursor)
        seen += [entry.pk for entry in page.entries]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = list(
        Activity.objects.filter(contact=contact).order_by("-created_at", "-id").values_list("pk", flat=True)
    )
    assert seen == expected


def test_show_more_through_htmx_returns_only_the_next_entries(staff_client, contact):
    entries(contact, 60)
    first = staff_client.get(contact.get_absolute_url())
    cursor = first.context["activity"].next_cursor
    response = staff_client.get(
        contact.get_absolute_url(), {"before": cursor}, headers={"HX-Request": "true", "HX-Target": "activity-more"}
    )
    html = response.content.decode()
    assert "<html" not in html
    assert html.count('class="timeline__item') == 10
    assert "Entry 59" in html
    assert "Entry 49" not in html
    assert 'id="activity-more"' not in html


def test_show_more_without_javascript_is_a_link_to_the_next_page(staff_client, contact):
    entries(contact, 60)
    html = staff_client.get(contact.get_absolute_url()).content.decode()
    assert "Show more" in html
    assert "Entry 0<" in html
    assert "Entry 55" not in html


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        (ActivityGroup.NOTES, {"A note"}),
        (ActivityGroup.MESSAGES, {"Message sent"}),
        (ActivityGroup.ORDERS, {"Order #1 placed"}),
        (ActivityGroup.CHANGES, {"Edited details"}),
        ("", {"A note", "Message sent", "Order #1 placed", "Edited details"}),
    ],
)
def test_the_filter_shows_one_kind_of_entry(staff_client, contact, group, expected):
    Activity.objects.create(contact=contact, kind="note", body="A note")
    Activity.objects.create(contact=contact, kind="event", event="message", body="Message sent")
    Activity.objects.create(contact=contact, kind="event", event="order_placed", body="Order #1 placed")
    Activity.objects.create(contact=contact, kind="event", event="edited", body="Edited details")
    page = staff_client.get(contact.get_absolute_url(), {"activity": group}).context["activity"]
    assert {entry.body for entry in page.entries} == expected
    assert {entry.group for entry in page.entries} <= ({group} if group else set(ActivityGroup.values))


@pytest.mark.parametrize(
    "params",
    [
        {"activity": "boss"},
        {"before": "garbage"},
        {"before": "2026-01-01T00:00:00_x"},
        {"before": "x" * 5000},
        # Moments beyond UTC's calendar, and ids no column holds (² passes str.isdigit, not int()).
        {"before": "9999-12-31T23:59:59-14:00_1"},
        {"before": "0001-01-01T00:00:00+14:00_1"},
        {"activity": "notes", "before": "9999-12-31T23:59:59-14:00_1"},
        {"before": "2000-01-01T00:00:00+00:00_²"},
        {"before": "2000-01-01T00:00:00+00:00_9223372036854775808"},
        {"before": f"2000-01-01T00:00:00+00:00_{'9' * 40}"},
    ],
)
def test_bad_filter_or_cursor_shows_the_newest_entries(staff_client, production, contact, params):
    entries(contact, 3)
    response = staff_client.get(contact.get_absolute_url(), params)
    assert response.status_code == 200
    assert len(response.context["activity"].entries) == 3
