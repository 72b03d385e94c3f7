"""The contacts list page and its bulk label actions, through the real views."""

import base64
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm_core import batching
from crm_core.actors import SYSTEM
from customers import services
from customers.models import Activity, Contact, Stage
from tests.factories import CompanyFactory, ContactFactory, LabelFactory, MembershipFactory, PhoneNumberFactory
from tests.naughty import OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db
LIST = reverse("customers:list")
BULK = reverse("customers:bulk")


def html_of(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_tabs_with_counts_and_one_row_per_contact(staff_client):
    ContactFactory(email="lead@x.example", stage=Stage.LEAD)
    ContactFactory(email="customer@x.example", stage=Stage.CUSTOMER, orders_count=1)
    html = html_of(staff_client.get(LIST))
    assert re.search(r"All <span class=\"tabs__count\">2</span>", html)
    assert re.search(r"Customers <span class=\"tabs__count\">1</span>", html)
    assert "lead@x.example" in html
    assert "customer@x.example" in html
    assert "Showing 2 of 2" in html


def tab_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'>(All|Customers|Leads) <span class="tabs__count">([^<]+)</span>', html))


def test_the_tab_counts_follow_the_search_and_filters_and_the_tabs_keep_them(staff_client):
    ContactFactory(first_name="Ann", last_name="Lee", email="ann@x.example", stage=Stage.LEAD)
    ContactFactory(first_name="Anna", last_name="Lee", email="anna@x.example", stage=Stage.CUSTOMER, orders_count=1)
    ContactFactory(first_name="Bob", last_name="Lee", email="bob@x.example", stage=Stage.CUSTOMER, orders_count=1)
    html = html_of(staff_client.get(LIST, {"q": "ann"}))
    assert tab_counts(html) == {"All": "2", "Customers": "1", "Leads": "1"}
    assert 'href="/contacts/?q=ann&amp;stage=customer"' in html
    html = html_of(staff_client.get(LIST, {"q": "ann", "stage": "customer", "has_orders": "yes"}))
    assert tab_counts(html) == {"All": "1", "Customers": "1", "Leads": "0"}
    assert "Showing 1 of 1" in html
    assert 'href="/contacts/?q=ann&amp;has_orders=yes"' in html


def test_a_search_typed_with_htmx_sends_the_new_tab_counts_out_of_band(staff_client):
    ContactFactory(first_name="Ann", last_name="Lee", stage=Stage.LEAD)
    ContactFactory(first_name="Bob", last_name="Lee", stage=Stage.CUSTOMER)
    html = html_of(staff_client.get(LIST, {"q": "bob"}, headers={"HX-Request": "true"}))
    assert '<nav id="stage-tabs" class="tabs" aria-label="Contact stages" hx-swap-oob="true">' in html
    assert tab_counts(html) == {"All": "1", "Customers": "1", "Leads": "0"}


def test_a_search_that_finds_nobody_says_so_rather_than_inviting_a_first_contact(staff_client):
    ContactFactory(first_name="Ann")
    html = html_of(staff_client.get(LIST, {"q": "zzz"}))
    assert tab_counts(html) == {"All": "0", "Customers": "0", "Leads": "0"}
    assert "No contacts found — try changing the filters or search term." in html
    assert 'aria-label="Contacts"' in html  # the search form stays, so the term can be changed


def test_a_row_shows_the_first_phone_and_labels_and_companies_by_name(staff_client):
    ann = ContactFactory(email="ann@x.example")
    PhoneNumberFactory(contact=ann, number="+442071800002", position=1)
    PhoneNumberFactory(contact=ann, number="+442071800001", position=0)
    ann.labels.add(LabelFactory(name="vip"), LabelFactory(name="Bulk"), LabelFactory(name="apac"))
    for name in ("zeta Ltd", "Acme", "beta"):
        MembershipFactory(contact=ann, company=CompanyFactory(name=name))
    bob = ContactFactory(email="bob@x.example")
    bob.labels.add(LabelFactory(name="Other"))
    html = html_of(staff_client.get(LIST))
    row = html[html.index("ann@x.example") :]
    row = row[: row.index("</tr>")]
    assert "+44 20 7180 0001" in row
    assert "7180 0002" not in row
    assert re.findall(r'<span class="chip chip--blue">([^<]+)</span>', row) == ["apac", "Bulk", "vip"]
    assert "Acme, beta, zeta Ltd" in row
    assert "Other" not in row


def test_first_use_shows_an_invitation_to_add_a_customer(staff_client):
    html = html_of(staff_client.get(LIST))
    assert "Add your first customer" in html
    assert "No contacts found" not in html


def test_no_results_says_so_and_suggests_changing_the_search(staff_client):
    ContactFactory()
    html = html_of(staff_client.get(LIST, {"q": "nobody-by-this-name"}))
    assert "No contacts found — try changing the filters or search term." in html


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "boss"},
        {"labels": ["1", "x", "-3"]},
        {"cursor": "garbage"},
        {"cursor": "WyJhIixbIjIwMjYiLDFdXQ"},
        {"page": "-1"},
        {"sort": "; DROP TABLE customers_contact"},
        {"created_from": "31/31/2026"},
        {"q": "a\x00b"},
        {"q": "x" * 5000},
        {"company": "\x00"},
        {"has_orders": "maybe"},
    ],
)
def test_bad_input_renders_the_list_with_a_message_never_an_error(staff_client, params):
    ContactFactory(email="still@x.example")
    html = html_of(staff_client.get(LIST, params))
    assert "Part of this address could not be used" in html
    assert Contact.objects.count() == 1


def cursor(*key) -> str:
    """Return a next-page cursor holding key, as a tampered link would carry it."""
    return base64.urlsafe_b64encode(json.dumps(["a", list(key)]).encode()).decode().rstrip("=")


STALE_LINK = "That page link is not valid any more, so this is the first page."


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"created_to": "9999-12-31"}, "Created to: “9999-12-31” is not a valid date. It was ignored."),
        ({"created_from": "9999-12-31"}, "Created from: “9999-12-31” is not a valid date. It was ignored."),
        *[({"labels": value}, value) for value in OUT_OF_RANGE_IDS],
        ({"page": "9" * 40}, f"Page “{'9' * 40}” is not a page we know"),
        ({"cursor": cursor("9999-12-31T23:59:59-14:00", 1)}, STALE_LINK),
        ({"cursor": cursor("2026-01-01T00:00:00+00:00", "9" * 40)}, STALE_LINK),
        ({"sort": "-total_spent", "cursor": cursor("1e999999", 1)}, STALE_LINK),
        ({"sort": "-last_order", "cursor": cursor("0001-01-01T00:00:00+14:00", 1)}, STALE_LINK),
    ],
)
def test_a_value_beyond_what_the_database_holds_is_ignored_and_named_never_a_500(
    staff_client, production, params, named
):
    ContactFactory(email="still@x.example")
    html = html_of(staff_client.get(LIST, params))
    assert "Part of this address could not be used" in html
    assert named in html
    assert "still@x.example" in html


def test_a_sort_by_name_is_in_the_url_and_marked_on_its_column(staff_client):
    ContactFactory(first_name="Zed", last_name="Zulu", email="z@x.example")
    ContactFactory(first_name="Amy", last_name="Able", email="a@x.example")
    html = html_of(staff_client.get(LIST, {"sort": "name"}))
    assert html.index("a@x.example") < html.index("z@x.example")
    assert 'aria-sort="ascending"><a href="?sort=-name"' in html


def test_next_and_previous_links_walk_the_pages(staff_client, settings):
    settings.LIST_PAGE_SIZE = 2
    for index in range(5):
        ContactFactory(email=f"p{index}@x.example")
    html = html_of(staff_client.get(LIST))
    assert "p4@x.example" in html
    assert "p2@x.example" not in html
    assert 'aria-disabled="true">Previous' in html
    next_url = re.search(r'rel="next" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    html = html_of(staff_client.get(LIST + next_url))
    assert "p2@x.example" in html
    assert "p4@x.example" not in html
    previous_url = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert "p4@x.example" in html_of(staff_client.get(LIST + previous_url))


def test_an_htmx_request_gets_only_the_results_and_the_status_update(staff_client):
    ContactFactory(email="ann@x.example")
    response = staff_client.get(LIST, {"q": "ann"}, HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert html.lstrip().startswith('<div id="results"')
    assert "<html" not in html
    assert 'hx-swap-oob="true">1 contact matches' in html
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(staff_client):
    response = staff_client.get(LIST, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in html_of(response)


def test_viewers_see_the_bulk_bar_to_export_but_not_to_change_labels(viewer, staff_client):
    """Viewers may export, so they can tick rows; the label actions need the change permission."""
    ContactFactory()
    viewer_client = Client()
    viewer_client.force_login(viewer)
    html = html_of(viewer_client.get(LIST))
    assert "Bulk actions" in html
    assert 'name="ids"' in html
    assert "Export contacts" in html
    assert "Add label" not in html
    assert "Add label" in html_of(staff_client.get(LIST))


def test_labels_and_names_are_escaped_in_the_list_and_its_filters(staff_client):
    label = LabelFactory(name='<img src=x onerror="alert(1)">')
    ContactFactory(first_name="<b>bold</b>").labels.add(label)
    html = html_of(staff_client.get(LIST, {"q": '"><script>x</script>', "company": "<i>"}))
    for raw in ("<img src=x", "<b>bold", "<script>x", "<i>"):
        assert raw not in html
    # The rows themselves (rendered by Jinja2), the contact and its label shown.
    html = html_of(staff_client.get(LIST))
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</span>" in html
    assert "<b>bold" not in html
    assert "<img src=x" not in html


class TestBulkLabels:
    def test_add_a_label_to_the_ticked_contacts(self, staff_client, staff_user):
        label = LabelFactory(name="VIP")
        ticked, other = ContactFactory(), ContactFactory()
        response = staff_client.post(BULK, {"ids": [ticked.pk], "label": label.pk, "action": "add_label"})
        assert response.status_code == 302
        assert list(label.contacts.all()) == [ticked]
        assert Activity.objects.get(contact=ticked, event="label_added").actor == staff_user
        assert not other.labels.exists()
        assert "Label VIP added to 1 contact." in html_of(staff_client.get(response.url))

    def test_all_that_match_means_the_filter_not_the_page(self, staff_client, settings):
        settings.LIST_PAGE_SIZE = 2
        label = LabelFactory(name="VIP")
        customers = [ContactFactory(stage=Stage.CUSTOMER) for _ in range(5)]
        lead = ContactFactory(stage=Stage.LEAD)
        response = staff_client.post(
            BULK, {"query": "stage=customer", "scope": "matching", "label": label.pk, "action": "add_label"}
        )
        assert set(label.contacts.all()) == set(customers)
        assert not lead.labels.exists()
        assert response.url == LIST + "?stage=customer"

    def test_ticked_ids_only_narrow_the_filter(self, staff_client):
        label = LabelFactory()
        customer, lead = ContactFactory(stage=Stage.CUSTOMER), ContactFactory(stage=Stage.LEAD)
        staff_client.post(
            BULK, {"query": "stage=customer", "ids": [customer.pk, lead.pk], "label": label.pk, "action": "add_label"}
        )
        assert list(label.contacts.all()) == [customer]

    def test_tampered_ids_touch_only_live_contacts_that_exist(self, staff_client):
        label = LabelFactory()
        live = ContactFactory()
        trashed = ContactFactory(deleted_at=timezone.now())
        ids = [live.pk, live.pk, trashed.pk, 999_999, "x", "-1", "1e3", "9" * 40, "٣", "²", *OUT_OF_RANGE_IDS]
        response = staff_client.post(BULK, {"ids": ids, "label": label.pk, "action": "add_label"})
        assert response.status_code == 302
        assert list(label.contacts.all()) == [live]
        assert Activity.objects.filter(event="label_added").count() == 1

    @pytest.mark.parametrize("query", ["created_to=9999-12-31", "labels=9223372036854775808", f"labels={'9' * 40}"])
    def test_a_filter_value_beyond_what_the_database_holds_is_ignored_never_a_500(
        self, staff_client, production, query
    ):
        label, ticked = LabelFactory(), ContactFactory()
        data = {"query": query, "ids": [ticked.pk], "label": label.pk, "action": "add_label"}
        response = staff_client.post(BULK, data)
        assert response.status_code == 302
        # The list the selection came from showed the same contacts, with the value named as ignored.
        assert list(label.contacts.all()) == [ticked]
        assert "It was ignored." in html_of(staff_client.get(response.url))

    def test_remove_a_label(self, staff_client):
        label = LabelFactory(name="VIP")
        contact = ContactFactory()
        contact.labels.add(label)
        response = staff_client.post(BULK, {"ids": [contact.pk], "label": label.pk, "action": "remove_label"})
        assert not contact.labels.exists()
        assert "Label VIP removed from 1 contact." in html_of(staff_client.get(response.url))

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"label": "1", "action": "add_label"}, "Select at least one contact first."),
            ({"ids": ["1"], "action": "add_label"}, "Choose a label first."),
            ({"ids": ["1"], "label": "999999", "action": "add_label"}, "That label does not exist any more"),
            ({"ids": ["1"], "label": "1", "action": "explode"}, "Select a valid choice"),
        ],
    )
    def test_an_incomplete_request_changes_nothing_and_says_why(self, staff_client, data, message):
        LabelFactory(pk=1)
        ContactFactory(pk=1)
        response = staff_client.post(BULK, data)
        assert response.status_code == 302
        assert message in html_of(staff_client.get(response.url))
        assert not Contact.labels.through.objects.exists()

    def test_viewers_get_403_and_nothing_changes(self, client, viewer):
        label, contact = LabelFactory(), ContactFactory()
        client.force_login(viewer)
        response = client.post(BULK, {"ids": [contact.pk], "label": label.pk, "action": "add_label"})
        assert response.status_code == 403
        assert not contact.labels.exists()

    def test_without_a_csrf_token_403_and_nothing_changes(self, staff_user):
        label, contact = LabelFactory(), ContactFactory()
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff_user)
        response = client.post(BULK, {"ids": [contact.pk], "label": label.pk, "action": "add_label"})
        assert response.status_code == 403
        assert not contact.labels.exists()


def test_bulk_services_work_in_batches_and_record_one_event_per_contact(monkeypatch):
    monkeypatch.setattr(batching, "BATCH_SIZE", 2)
    label = LabelFactory()
    contacts = [ContactFactory() for _ in range(5)]
    contacts[0].labels.add(label)
    added = services.contacts_label_add(contacts=Contact.objects.all(), label=label, actor=SYSTEM)
    assert added == 4
    assert label.contacts.count() == 5
    assert Activity.objects.filter(event="label_added").count() == 4
    assert services.contacts_label_add(contacts=Contact.objects.all(), label=label, actor=SYSTEM) == 0
    removed = services.contacts_label_remove(contacts=Contact.objects.all(), label=label, actor=SYSTEM)
    assert removed == 5
    assert not label.contacts.exists()
    assert Activity.objects.filter(event="label_removed").count() == 5
