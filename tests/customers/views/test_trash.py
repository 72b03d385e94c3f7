"""The Trash pages through their views: Delete and its confirmation, Undo, the Trash, Delete permanently, Erase."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from companies.models import Company
from customers.models import Activity, ConsentRecord, ConsentState, Contact, PhoneNumber, Stage
from customers.search import contacts_matching
from orders.models import Order
from tests.customers.support.trash import (
    BULK_DELETE,
    DELETE_URLS,
    PERSONAL,
    REQUEST,
    TRASH,
    UNDO,
    confirm_data,
    contact_to_erase,
    contact_with_everything,
    database_dump,
    sqlite_search_hits,
    stored_files,
    trashed_ids,
)
from tests.factories import (
    ContactFactory,
    LabelFactory,
    PhoneNumberFactory,
)
from tests.naughty import OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db


def test_the_bulk_bar_offers_delete_to_managers_only(client, manager, staff_user, viewer):
    ContactFactory()
    for user, shown in [(manager, True), (staff_user, False), (viewer, False)]:
        client.force_login(user)
        html = client.get(reverse("customers:list")).content.decode()
        assert ("Delete contacts" in html) is shown, user
        assert (f'href="{TRASH}"' in html) is shown, user


def test_the_lists_actions_delete_submits_the_ticked_rows_to_the_confirmation(manager_client):
    """Help article 001: tick the boxes, Actions in the top-right corner, Delete; without JavaScript too."""
    ann, bob, carl = (ContactFactory(first_name=name, last_name="Lee", stage=Stage.LEAD) for name in "ABC")
    html = manager_client.get(reverse("customers:list"), {"stage": "lead"}).content.decode()
    button = f'<button type="submit" form="bulk-form" formaction="{BULK_DELETE}" data-bulk-verb="Delete">'
    assert f"{button}Delete contacts</button>" in html
    assert html.count("Delete contacts") == 1
    # What the browser posts for that button: the selection form's fields, with two rows ticked.
    [query] = re.findall(r'<input type="hidden" name="query" value="([^"]*)">', html)
    response = manager_client.post(BULK_DELETE, {"query": query, "ids": [ann.pk, carl.pk], "label": ""})
    html = response.content.decode()
    assert "<h1>Delete 2 contacts?</h1>" in html
    assert bob.display_name not in html
    assert trashed_ids() == set()


def test_a_viewer_can_export_but_not_delete(client, viewer):
    contact = ContactFactory()
    client.force_login(viewer)
    assert client.get(reverse("customers:export")).status_code == 200
    assert client.post(BULK_DELETE, {"ids": [contact.pk]}).status_code == 403
    assert client.post(BULK_DELETE, confirm_data([contact], count="1")).status_code == 403
    assert trashed_ids() == set()


@pytest.mark.parametrize(("method", "name", "with_pk"), DELETE_URLS)
def test_viewers_and_staff_get_403_and_nothing_changes(client, viewer, staff_user, method, name, with_pk):
    live = ContactFactory(email="live@example.com")
    gone = ContactFactory(email="gone@example.com", deleted_at=timezone.now())
    target = gone if name == "customers:trash_purge" else live
    url = reverse(name, args=[target.pk] if with_pk else [])
    data = {**confirm_data([live], count="1"), "email": "live@example.com"}
    for user in (viewer, staff_user):
        client.force_login(user)
        response = client.post(url, data) if method == "post" else client.get(url)
        assert response.status_code == 403
    assert trashed_ids() == {gone.pk}
    assert Contact.objects.get(pk=live.pk).email == "live@example.com"


def test_the_contact_page_shows_delete_and_erase_to_managers_only(client, manager, staff_user):
    contact = ContactFactory()
    client.force_login(manager)
    html = client.get(contact.get_absolute_url()).content.decode()
    assert reverse("customers:delete", args=[contact.pk]) in html
    assert reverse("customers:erase", args=[contact.pk]) in html
    client.force_login(staff_user)
    html = client.get(contact.get_absolute_url()).content.decode()
    assert reverse("customers:delete", args=[contact.pk]) not in html
    assert reverse("customers:erase", args=[contact.pk]) not in html


def test_the_confirmation_names_the_contacts_and_says_what_happens_and_deletes_nothing(manager_client):
    ann = ContactFactory(first_name="Ann", last_name="Lee", orders_count=2)
    bob = ContactFactory(first_name="Bob", last_name="Ray", orders_count=1)
    response = manager_client.post(BULK_DELETE, {"query": "", "ids": [ann.pk, bob.pk], "action": "add_label"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Delete 2 contacts?</h1>" in html
    assert "Ann Lee" in html
    assert "Bob Ray" in html
    assert "restore them from the Trash for 30 days" in html
    assert "Their 3 orders are kept for the accounts" in html
    assert "consent records" in html
    form = re.search(r'<form class="form card confirm".*?</form>', html, re.DOTALL).group()
    assert re.findall(r"<button[^>]*>[^<]*</button>", form) == [
        '<button class="button button--danger" type="submit">Delete contacts</button>'
    ]
    assert re.findall(r'<a class="button[^>]*>([^<]*)</a>', form) == ["Cancel"]
    assert trashed_ids() == set()


def test_the_confirmation_names_a_few_and_counts_the_rest(manager_client):
    contacts = ContactFactory.create_batch(8)
    html = manager_client.post(BULK_DELETE, {"ids": [c.pk for c in contacts]}).content.decode()
    assert "and 3 more" in html


def test_confirming_moves_exactly_the_counted_contacts_and_offers_undo(manager_client):
    ann, bob, _carl = ContactFactory.create_batch(3)
    response = manager_client.post(BULK_DELETE, confirm_data([ann, bob], count="2"))
    assert response.status_code == 302
    assert response.url == reverse("customers:list")
    assert trashed_ids() == {ann.pk, bob.pk}
    html = manager_client.get(response.url).content.decode()
    assert "2 contacts moved to the Trash — " in html
    assert re.search(rf'<form method="post" action="{UNDO}">.*name="moved_at".*>Undo</button></form>', html)


@pytest.mark.parametrize(
    "extra_ids",
    [
        ["999999"],  # does not exist
        ["x", "-1", "1e3", "9" * 40],  # not ids
        ["{same}", "{same}"],  # duplicated
        ["{trashed}"],  # in the Trash already
    ],
)
def test_tampered_ids_touch_only_the_permitted_rows_and_the_count_says_so(manager_client, extra_ids):
    ann, bob = ContactFactory.create_batch(2)
    trashed = ContactFactory(deleted_at=timezone.now() - timedelta(days=1))
    ids = [ann.pk, bob.pk] + [value.format(same=ann.pk, trashed=trashed.pk) for value in extra_ids]
    html = manager_client.post(BULK_DELETE, {"ids": ids}).content.decode()
    assert "<h1>Delete 2 contacts?</h1>" in html
    assert '<input type="hidden" name="count" value="2">' in html
    response = manager_client.post(BULK_DELETE, {"ids": ids, "confirm": "1", "count": "2"})
    assert response.status_code == 302
    assert trashed_ids() == {ann.pk, bob.pk, trashed.pk}
    assert Activity.objects.filter(event="trashed").count() == 2


def test_ten_thousand_ids_are_refused_whole(manager_client):
    contact = ContactFactory()
    ids = [contact.pk, *range(10**6, 10**6 + 10_000)]
    assert manager_client.post(BULK_DELETE, {"ids": ids, "confirm": "1", "count": "1"}).status_code == 400
    assert trashed_ids() == set()


def test_a_selection_that_changed_moves_nothing_and_shows_the_new_count(manager_client):
    ann, bob = ContactFactory.create_batch(2)
    response = manager_client.post(BULK_DELETE, confirm_data([ann, bob], count="3"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "The selection changed while this page was open, so nothing was deleted" in html
    assert "<h1>Delete 2 contacts?</h1>" in html
    assert trashed_ids() == set()
    assert not Activity.objects.filter(event="trashed").exists()


def test_all_that_match_sends_the_query_and_moves_only_matching_contacts(manager_client):
    customers = ContactFactory.create_batch(3, stage=Stage.CUSTOMER)
    lead = ContactFactory(stage=Stage.LEAD)
    data = {"query": "stage=customer&sort=name", "scope": "matching"}
    html = manager_client.post(BULK_DELETE, data).content.decode()
    assert "<h1>Delete 3 contacts?</h1>" in html
    assert '<input type="hidden" name="query" value="stage=customer">' in html
    assert '<input type="hidden" name="scope" value="matching">' in html
    response = manager_client.post(BULK_DELETE, {**data, "confirm": "1", "count": "3"})
    assert response.url == reverse("customers:list") + "?stage=customer"
    assert trashed_ids() == {contact.pk for contact in customers}
    assert Contact.objects.live().get() == lead


@pytest.mark.parametrize("query", ["created_to=9999-12-31", "labels=9223372036854775808", f"labels={'9' * 40}"])
def test_a_filter_value_beyond_what_the_database_holds_is_ignored_never_a_500(manager_client, production, query):
    ann = ContactFactory()
    data = {"query": query, "ids": [ann.pk]}
    response = manager_client.post(BULK_DELETE, data)
    assert response.status_code == 200
    assert '<input type="hidden" name="count" value="1">' in response.content.decode()
    response = manager_client.post(BULK_DELETE, {**data, "confirm": "1", "count": "1"})
    assert response.status_code == 302
    assert trashed_ids() == {ann.pk}


def test_nothing_selected_or_nothing_left_is_an_error_not_a_page(manager_client):
    response = manager_client.post(BULK_DELETE, {"query": "stage=lead"})
    assert response.url == reverse("customers:list") + "?stage=lead"
    trashed = ContactFactory(deleted_at=timezone.now())
    response = manager_client.post(BULK_DELETE, {"ids": [trashed.pk]}, follow=True)
    assert "None of the selected contacts can be deleted" in response.content.decode()


def test_bulk_delete_needs_a_csrf_token(manager):
    contact = ContactFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager)
    assert client.post(BULK_DELETE, confirm_data([contact], count="1")).status_code == 403
    assert client.post(reverse("customers:erase", args=[contact.pk]), {"email": contact.email}).status_code == 403
    assert trashed_ids() == set()


def test_a_get_cannot_delete(manager_client):
    contact = ContactFactory()
    assert manager_client.get(BULK_DELETE, confirm_data([contact], count="1")).status_code == 405
    assert trashed_ids() == set()


def test_the_contact_page_delete_confirms_that_contact_then_moves_it(manager_client):
    contact = ContactFactory(first_name="Ann", last_name="Lee", email="ann@example.com")
    url = reverse("customers:delete", args=[contact.pk])
    html = manager_client.get(url).content.decode()
    assert "<h1>Delete Ann Lee?</h1>" in html
    assert "Ann Lee (ann@example.com) will be moved to the Trash." in html
    assert f'href="{contact.get_absolute_url()}">Cancel</a>' in html
    assert ">Delete contact</button>" in html
    manager_client.post(BULK_DELETE, confirm_data([contact], count="1"))
    assert trashed_ids() == {contact.pk}
    assert manager_client.get(url).status_code == 404


@pytest.mark.parametrize("contacts", [10, 200])
def test_delete_costs_the_same_queries_for_10_or_200_contacts(manager_client, django_assert_num_queries, contacts):
    selected = []
    for _ in range(contacts):
        contact = ContactFactory()
        PhoneNumberFactory(contact=contact)
        contact.labels.add(LabelFactory())
        selected.append(contact)
    expected = [
        *REQUEST,
        "savepoint: the view's all-or-nothing block",
        "savepoint: contacts_trash",
        "the first batch of selected live contacts, locked",
        "move them to the Trash",
        "the first contact's trashed entry",
        "the same entry copied to the others in one INSERT … SELECT",
        "the next batch: none",
        "release contacts_trash",
        "release the view's block",
        "savepoint: saving the session (the Undo)",
        "save the session",
        "release",
    ]
    with django_assert_num_queries(len(expected)):
        response = manager_client.post(BULK_DELETE, confirm_data(selected, count=str(contacts)))
    assert response.status_code == 302
    assert len(trashed_ids()) == contacts


def test_undo_restores_exactly_that_delete_once(manager_client):
    ann, bob, carl = ContactFactory.create_batch(3)
    manager_client.post(BULK_DELETE, confirm_data([carl], count="1"))
    manager_client.post(BULK_DELETE, confirm_data([ann, bob], count="2"))
    moved_at = Contact.objects.get(pk=ann.pk).deleted_at.isoformat()
    response = manager_client.post(UNDO, {"moved_at": moved_at}, follow=True)
    assert "2 contacts restored." in response.content.decode()
    assert trashed_ids() == {carl.pk}
    response = manager_client.post(UNDO, {"moved_at": moved_at}, follow=True)
    assert "can no longer be undone here" in response.content.decode()


def test_undo_refuses_a_moment_this_session_did_not_delete(manager_client, client, manager):
    ann = ContactFactory()
    other = Client()
    other.force_login(manager)
    other.post(BULK_DELETE, confirm_data([ann], count="1"))
    moved_at = Contact.objects.get(pk=ann.pk).deleted_at.isoformat()
    manager_client.post(UNDO, {"moved_at": moved_at})
    manager_client.post(UNDO, {"moved_at": "2026-01-01T00:00:00+00:00"})
    assert trashed_ids() == {ann.pk}


def test_undo_reports_a_contact_whose_email_was_taken_meanwhile(manager_client):
    ann = ContactFactory(email="ann@example.com")
    manager_client.post(BULK_DELETE, confirm_data([ann], count="1"))
    new_ann = ContactFactory(email="ann@example.com", first_name="New", last_name="Ann")
    moved_at = Contact.objects.get(pk=ann.pk).deleted_at.isoformat()
    html = manager_client.post(UNDO, {"moved_at": moved_at}, follow=True).content.decode()
    assert "0 contacts restored. 1 contact stayed in the Trash: the email is now used by" in html
    assert f'<a href="{new_ann.get_absolute_url()}">New Ann</a>' in html
    assert trashed_ids() == {ann.pk}


def test_the_trash_lists_deleted_contacts_newest_first_with_days_left(manager_client, settings):
    settings.TRASH_DAYS = 30
    now = timezone.now()
    ContactFactory(first_name="Old", last_name="One", deleted_at=now - timedelta(days=29, hours=12))
    ContactFactory(first_name="New", last_name="One", deleted_at=now - timedelta(hours=1))
    ContactFactory(first_name="Live", last_name="One")
    html = manager_client.get(TRASH).content.decode()
    assert html.index("New One") < html.index("Old One")
    assert "Live One" not in html
    assert "in 30 days" in html
    assert "in 1 day" in html
    assert html.count(">Restore<span") == 2
    assert html.count(">Delete permanently<span") == 2


def test_the_trash_search_is_literal(manager_client):
    ContactFactory(first_name="Ann", email="ann_100%@example.com", deleted_at=timezone.now())
    ContactFactory(first_name="Bob", email="bob@example.com", deleted_at=timezone.now())
    ContactFactory(first_name="Anna", email="live_100%@example.com")
    html = manager_client.get(TRASH, {"q": "_100%"}).content.decode()
    assert "ann_100%@example.com" in html
    assert "bob@example.com" not in html
    assert "live_100%" not in html
    for term in ("%", "_", "\\", "'; DROP TABLE customers_contact; --", "a\x00b", "x" * 5000):
        assert manager_client.get(TRASH, {"q": term}).status_code == 200
    assert "No contacts in the Trash match" in manager_client.get(TRASH, {"q": "nobody"}).content.decode()


def test_the_trash_is_paged(manager_client, settings):
    settings.LIST_PAGE_SIZE = 2
    ContactFactory.create_batch(5, deleted_at=timezone.now())
    html = manager_client.get(TRASH, {"page": "3"}).content.decode()
    assert "Showing 5–5 of 5" in html
    assert manager_client.get(TRASH, {"page": "x"}).status_code == 200


@pytest.mark.parametrize("page", ["\x00", "-1", *OUT_OF_RANGE_IDS])
def test_a_page_that_is_no_number_or_beyond_the_last_is_a_page_never_a_500(manager_client, production, page):
    ContactFactory(email="gone@x.example", deleted_at=timezone.now())
    response = manager_client.get(TRASH, {"page": page})
    assert response.status_code == 200
    assert "gone@x.example" in response.content.decode()


@pytest.mark.parametrize("rows", [1, 50])
def test_the_trash_page_costs_the_same_queries_for_1_or_50_rows(manager_client, django_assert_num_queries, rows):
    ContactFactory.create_batch(rows, deleted_at=timezone.now())
    ContactFactory()
    expected = [*REQUEST, "count for the paginator", "the page of contacts in the Trash"]
    with django_assert_num_queries(len(expected)):
        response = manager_client.get(TRASH)
    assert len(response.context["rows"]) == rows


def test_an_empty_trash_says_so(manager_client):
    assert "The Trash is empty" in manager_client.get(TRASH).content.decode()


def test_restoring_from_the_trash_with_a_taken_email_links_to_that_contact(manager_client):
    trashed = ContactFactory(email="ann@example.com", deleted_at=timezone.now())
    live = ContactFactory(email="Ann@Example.com", first_name="Ann", last_name="Now")
    html = manager_client.post(reverse("customers:restore", args=[trashed.pk])).content.decode()
    assert "There is a problem" in html
    assert f'<a href="{live.get_absolute_url()}">Ann Now</a>' in html
    assert trashed_ids() == {trashed.pk}


def test_delete_permanently_asks_then_purges_and_keeps_orders(manager_client):
    contact = contact_with_everything(first_name="Ann", last_name="Lee", deleted_at=timezone.now())
    url = reverse("customers:trash_purge", args=[contact.pk])
    html = manager_client.get(url).content.decode()
    assert "<h1>Delete Ann Lee permanently?</h1>" in html
    assert "This cannot be undone." in html
    assert Contact.objects.filter(pk=contact.pk).exists()
    response = manager_client.post(url, follow=True)
    assert "Ann Lee deleted permanently." in response.content.decode()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert Order.objects.get().contact is None


def test_delete_permanently_refuses_a_live_contact(manager_client):
    contact = ContactFactory()
    assert manager_client.post(reverse("customers:trash_purge", args=[contact.pk])).status_code == 404
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_erasure_leaves_no_personal_data_anywhere_and_keeps_the_orders(
    manager_client, manager, media, django_capture_on_commit_callbacks
):
    contact = contact_to_erase(media)
    bystander = ContactFactory(first_name="Bystander")
    assert all(text in database_dump() for text in PERSONAL)
    assert len(stored_files(media)) == 2
    url = reverse("customers:erase", args=[contact.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_client.post(url, {"email": " ZEB.QUIX@example.org "})
    assert response.status_code == 302
    assert response.url == contact.get_absolute_url()
    dump = database_dump()
    assert [text for text in PERSONAL if text in dump] == []
    assert stored_files(media) == []
    erased = Contact.objects.get(pk=contact.pk)
    assert (erased.email, erased.full_name, erased.search_document, erased.in_trash) == (
        f"erased-{contact.pk}@invalid",
        "",
        "",
        False,
    )
    order = Order.objects.get()
    assert (order.contact_id, order.total, order.buyer_email, order.buyer_name, order.city) == (
        contact.pk,
        Decimal("42.50"),
        f"erased-{contact.pk}@invalid",
        "",
        "",
    )
    assert order.lines.get().name == "Teapot"
    assert ConsentRecord.objects.get(contact=contact).state == ConsentState.SUBSCRIBED
    audit = Activity.objects.get(contact=contact)
    assert (audit.event, audit.actor, audit.body) == ("erased", manager, "Personal data erased on request")
    assert audit.data["deleted"]["customers.phonenumber"] == 1
    assert audit.data["kept"] == {
        "customers.consentrecord": 1,
        "orders.order": 1,
        # Kept and anonymised by the helpdesk on contact_erased (tests/tickets/test_trash_and_erasure.py).
        "tickets.message": 0,
        "tickets.ticket": 0,
    }
    assert Company.objects.filter(name="Acme Ltd").exists()
    assert Contact.objects.get(pk=bystander.pk).first_name == "Bystander"


def test_an_erased_person_is_not_found_by_search_or_export(manager_client, media):
    contact = contact_to_erase(media)
    manager_client.post(reverse("customers:erase", args=[contact.pk]), {"email": "zeb.quix@example.org"})
    for term in ("zebulon", "zeb.quix", "07700 900123", "acme"):
        assert not contacts_matching(Contact.objects.all(), term).exists(), term
        assert manager_client.get(reverse("customers:list"), {"q": term}).context["page"].rows == [], term
    if connection.vendor == "sqlite":
        assert sqlite_search_hits("zebulon") == []
    export = manager_client.post(
        reverse("customers:export"), {"download": "1", "scope": "all", "columns": "full", "query": ""}
    )
    assert export.status_code == 200
    csv_text = b"".join(export.streaming_content).decode().lower()
    assert [text for text in PERSONAL if text in csv_text] == []


def test_erasure_asks_for_the_email_typed_and_changes_nothing_until_it_matches(manager_client, media):
    contact = contact_to_erase(media)
    url = reverse("customers:erase", args=[contact.pk])
    html = manager_client.get(url).content.decode()
    assert "<h1>Erase personal data of Zebulon Quixotic-Smith?</h1>" in html
    assert "Type zeb.quix@example.org to confirm" in html
    assert "Orders with their numbers, items, totals and dates" in html
    for typed in ("", "someone@example.org", "zeb.quix@example.org\x00"):
        response = manager_client.post(url, {"email": typed})
        html = response.content.decode()
        assert response.status_code == 200
        assert "<title>Error: " in html
        assert "There is a problem" in html
        assert 'aria-invalid="true"' in html
    assert Contact.objects.get(pk=contact.pk).first_name == "Zebulon"
    assert PhoneNumber.objects.filter(contact=contact).exists()


def test_erasure_refuses_a_contact_in_the_trash(manager_client):
    contact = ContactFactory(deleted_at=timezone.now())
    response = manager_client.post(reverse("customers:erase", args=[contact.pk]), {"email": contact.email})
    assert response.status_code == 404
