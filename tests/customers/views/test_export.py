"""The export page: choosing contacts and columns, the streamed download, its audit entry, bad input."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from customers.export import FULL, export_csv
from customers.models import (
    Contact,
    ExportLog,
    Stage,
)
from customers.selectors import contacts_live
from tests.customers.support.export import (
    EXPORT,
    LIST,
    NOTHING,
    body_of,
    column,
    download,
    everything_contact_lite,
    rows_of,
)
from tests.factories import (
    ContactFactory,
    LabelFactory,
    UserFactory,
)
from tests.naughty import OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db


class TestDownload:
    def test_the_file_is_named_for_today_streamed_and_never_cached(self, staff_client):
        ContactFactory()
        response = staff_client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        today = timezone.localdate().isoformat()
        assert response["Content-Disposition"] == f'attachment; filename="contacts-{today}.csv"'
        assert response["Cache-Control"] == "no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        body = body_of(response)
        assert not body.startswith("\ufeff")

    def test_a_byte_order_mark_on_request(self, staff_client):
        ContactFactory(first_name="Zoë")
        response = staff_client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL, "bom": "on"})
        raw = b"".join(response.streaming_content)
        assert raw.startswith(b'\xef\xbb\xbf"Contact ID",')
        assert "Zoë" in raw.decode("utf-8-sig")

    def test_the_header_leaves_before_any_query(self, staff_client, django_assert_num_queries):
        """The first bytes come at once: the header is written before the first batch is read (SECURITY 4)."""
        ContactFactory()
        response = staff_client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})
        chunks = iter(response.streaming_content)
        with django_assert_num_queries(0):
            first = next(chunks)
        assert first.decode().startswith('"Contact ID","First name",')
        assert len(rows_of(b"".join(chunks).decode())) == 1

    def test_one_chunk_per_batch(self):
        ContactFactory.create_batch(5)
        chunks = list(export_csv(contacts=contacts_live(), columns=FULL, batch_size=2))
        # The header, then batches of 2, 2 and 1.
        assert [len(rows_of(chunk)) for chunk in chunks] == [1, 2, 2, 1]

    def test_selected_contacts_only_and_never_the_trash(self, staff_client):
        ann, bob, _other = ContactFactory(email="ann@x.ex"), ContactFactory(email="bob@x.ex"), ContactFactory()
        trashed = ContactFactory(email="gone@x.ex", deleted_at=timezone.now())
        ids = [ann.pk, bob.pk, ann.pk, trashed.pk, 999_999, "x", "-1", "1e3", "٣", "9" * 30]
        rows = download(staff_client, scope="selected", ids=ids)
        assert sorted(column(rows, "Email")) == ["ann@x.ex", "bob@x.ex"]

    def test_all_contacts_leaves_out_the_trash(self, staff_client):
        ContactFactory(email="live@x.ex")
        ContactFactory(email="gone@x.ex", deleted_at=timezone.now())
        assert column(download(staff_client), "Email") == ["live@x.ex"]

    def test_ticked_ids_only_narrow_the_lists_filter(self, staff_client):
        """An id outside the filter the rows were ticked under is not exported (SECURITY 21)."""
        vip = LabelFactory(name="VIP")
        inside = ContactFactory(email="in@x.ex")
        inside.labels.add(vip)
        outside = ContactFactory(email="out@x.ex")
        rows = download(staff_client, scope="selected", query=f"labels={vip.pk}", ids=[inside.pk, outside.pk])
        assert column(rows, "Email") == ["in@x.ex"]

    def test_all_that_match_the_filter_and_search(self, staff_client):
        vip = LabelFactory(name="VIP")
        for email in ("ann@x.ex", "anna@x.ex", "bob@x.ex"):
            # Fixed names: a generated one ("Joanna") could match the search too.
            ContactFactory(email=email, first_name="Sam", last_name="Cole").labels.add(vip)
        ContactFactory(email="annie@x.ex", first_name="Sam", last_name="Cole")
        rows = download(staff_client, scope="matching", query=f"labels={vip.pk}&q=ann&sort=name&cursor=junk")
        assert sorted(column(rows, "Email")) == ["ann@x.ex", "anna@x.ex"]

    def test_more_than_a_thousand_matching_contacts(self, staff_client):
        """'All that match' sends the query, not ids, so any number of rows can be exported (SECURITY 3)."""
        Contact.objects.bulk_create(Contact(email=f"bulk{index}@x.example") for index in range(1_200))
        rows = download(staff_client, scope="matching", query="stage=lead")
        assert len(rows) == 1 + 1_200
        assert ExportLog.objects.get().row_count == 1_200

    def test_a_full_page_of_ticked_rows(self, staff_client):
        contacts = ContactFactory.create_batch(50)
        rows = download(staff_client, scope="selected", ids=[contact.pk for contact in contacts])
        assert len(rows) == 51

    def test_more_ids_than_a_request_may_carry_is_a_bad_request_not_an_error(self, staff_client):
        ContactFactory()
        ids = [str(number) for number in range(1, 1_002)]
        response = staff_client.post(EXPORT, {"download": "1", "scope": "selected", "columns": FULL, "ids": ids})
        assert response.status_code == 400
        assert not ExportLog.objects.exists()


class TestNothingToExport:
    @pytest.mark.parametrize(
        "data",
        [
            {"scope": "selected", "ids": []},
            {"scope": "selected", "ids": ["abc", "999999"]},
            {"scope": "matching", "query": "q=nobody-has-this"},
            {"scope": "all"},
        ],
        ids=["nothing ticked", "ticked ids that match nothing", "filter matching nothing", "empty address book"],
    )
    def test_an_empty_selection_gets_a_message_not_an_empty_file(self, staff_client, data):
        if data["scope"] != "all":
            ContactFactory()
        response = staff_client.post(EXPORT, {"download": "1", "columns": FULL, **data})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
        html = response.content.decode()
        assert NOTHING in html
        assert "<title>Error: Export contacts" in html
        assert not ExportLog.objects.exists()

    def test_ticked_contacts_trashed_since_are_nothing_to_export(self, staff_client):
        gone = ContactFactory(deleted_at=timezone.now())
        response = staff_client.post(EXPORT, {"download": "1", "columns": FULL, "scope": "selected", "ids": [gone.pk]})
        assert NOTHING in response.content.decode()

    @pytest.mark.parametrize("data", [{"scope": "everything"}, {"columns": "xml"}, {"scope": ""}])
    def test_a_tampered_choice_gets_a_clear_error(self, staff_client, data):
        ContactFactory()
        response = staff_client.post(EXPORT, {"download": "1", "columns": FULL, "scope": "all", **data})
        html = response.content.decode()
        assert response.status_code == 200
        assert "There is a problem" in html
        assert ("Choose which contacts to export" in html) or ("Choose the columns" in html)
        assert not ExportLog.objects.exists()


class TestQueries:
    # Per batch, whatever it holds:
    PER_BATCH = [
        "the batch of contacts, after the last key of the batch before",
        "their phones",
        "their labels",
        "their company memberships",
        "those companies' names and default access, by key",
        "their consent records",
    ]

    @pytest.mark.parametrize("rows", [1, 50])
    def test_a_batch_costs_the_same_whatever_it_holds(self, django_assert_num_queries, rows):
        for _ in range(rows):
            everything_contact_lite()
        with django_assert_num_queries(len(self.PER_BATCH)):
            chunks = list(export_csv(contacts=contacts_live(), columns=FULL))
        assert sum(len(rows_of(chunk)) for chunk in chunks) == 1 + rows

    def test_each_batch_costs_the_same(self, django_assert_num_queries):
        for _ in range(5):
            everything_contact_lite()
        # Batches of 2, 2 and 1: the short last batch says there is no more.
        with django_assert_num_queries(3 * len(self.PER_BATCH)):
            list(export_csv(contacts=contacts_live(), columns=FULL, batch_size=2))

    def test_the_export_page(self, staff_client, django_assert_num_queries):
        vip = LabelFactory()
        ticked = ContactFactory()
        ticked.labels.add(vip)
        estimate = ["  preceded by the planner's estimate"] if connection.vendor == "postgresql" else []
        # SQLite asks whether a filtered label is on many contacts (customers.filters), once per filter.
        probe = ["  and whether the label is on many contacts"] if connection.vendor == "sqlite" else []
        expected = [
            "session",
            "user",
            "the user's own permissions",
            "the user's group permissions",
            "the list's label filter, checked by the form",
            *probe,
            "the ticked contacts' label filter, checked by their own selection",
            *probe,
            "the ticked contacts that match, counted",
            *estimate,
            "contacts that match the filter, counted up to the limit",
            *estimate,
            "all live contacts, counted up to the limit",
        ]
        with django_assert_num_queries(len(expected)):
            response = staff_client.post(EXPORT, {"query": f"labels={vip.pk}", "ids": [ticked.pk]})
        assert response.status_code == 200


class TestPage:
    def test_from_the_actions_link_it_offers_what_the_list_shows(self, staff_client):
        vip = LabelFactory(name="VIP")
        ContactFactory(first_name="Ann").labels.add(vip)
        ContactFactory(first_name="Bob")
        response = staff_client.get(EXPORT, {"labels": vip.pk, "q": "ann", "sort": "name"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "<h1>Export contacts</h1>" in html
        assert "selected contact" not in html
        assert 'value="matching" checked' in html
        assert "All 1 contact that match" in html
        assert "Label: VIP" in html
        assert "Search: ann" in html
        assert "All contacts" in html
        assert "2 contacts, whatever the filters" in html
        assert 'value="full" checked' in html
        assert "Add a byte-order mark (for Excel)" in html
        # Cancel goes back to the list with its filters.
        assert f'href="{LIST}?q=ann&amp;labels={vip.pk}"' in html

    def test_without_filters_all_contacts_is_the_only_scope(self, staff_client):
        ContactFactory()
        html = staff_client.get(EXPORT).content.decode()
        assert "that match" not in html
        assert 'value="all" checked' in html

    def test_from_the_bulk_bar_the_ticked_rows_are_chosen(self, staff_client):
        ann, bob = ContactFactory(), ContactFactory()
        response = staff_client.post(EXPORT, {"query": "stage=lead", "ids": [ann.pk, bob.pk, "junk"]})
        html = response.content.decode()
        assert "The 2 selected contacts" in html
        assert 'value="selected" checked' in html
        assert f'<input type="hidden" name="ids" value="{ann.pk}">' in html
        assert '<input type="hidden" name="query" value="stage=lead">' in html
        assert not ExportLog.objects.exists()

    def test_one_ticked_row_reads_in_the_singular(self, staff_client):
        ann = ContactFactory()
        html = staff_client.post(EXPORT, {"ids": [ann.pk]}).content.decode()
        assert "The 1 selected contact<" in html

    def test_select_all_that_match_in_the_bulk_bar_chooses_matching(self, staff_client):
        contacts = ContactFactory.create_batch(2, stage=Stage.CUSTOMER)
        data = {"query": "stage=customer", "scope": "matching", "ids": [contact.pk for contact in contacts]}
        html = staff_client.post(EXPORT, data).content.decode()
        assert 'value="matching" checked' in html
        assert "All 2 contacts that match" in html
        assert "Stage: Customer" in html

    def test_filter_values_and_names_are_shown_as_text(self, staff_client):
        label = LabelFactory(name='<img src=x onerror="alert(1)">')
        ContactFactory().labels.add(label)
        html = staff_client.get(EXPORT, {"labels": label.pk, "q": '"><script>x</script>'}).content.decode()
        assert "<img src=x" not in html
        assert "<script>x" not in html

    def test_a_filter_value_that_is_not_valid_is_named(self, staff_client):
        ContactFactory()
        html = staff_client.get(EXPORT, {"labels": "999999"}).content.decode()
        assert "Part of the list's filter could not be used" in html

    @pytest.mark.parametrize(
        ("params", "named"),
        [
            ({"created_to": "9999-12-31"}, "Created to: “9999-12-31” is not a valid date. It was ignored."),
            ({"created_from": "9999-12-31"}, "Created from: “9999-12-31” is not a valid date. It was ignored."),
            *[({"labels": value}, value) for value in OUT_OF_RANGE_IDS],
        ],
    )
    def test_a_filter_value_beyond_what_the_database_holds_is_named_never_a_500(
        self, staff_client, production, params, named
    ):
        ContactFactory()
        response = staff_client.get(EXPORT, params)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Part of the list's filter could not be used" in html
        assert named in html

    @pytest.mark.parametrize("query", ["created_to=9999-12-31", "labels=9223372036854775808", f"labels={'9' * 40}"])
    def test_a_posted_filter_value_beyond_what_the_database_holds_is_ignored_never_a_500(
        self, staff_client, production, query
    ):
        contact = ContactFactory(email="ann@x.example")
        page = staff_client.post(EXPORT, {"query": query, "ids": [contact.pk]})
        assert page.status_code == 200
        assert "It was ignored." in page.content.decode()
        # The download leaves the value out as the page did: the one contact, not an error.
        rows = download(staff_client, scope="matching", query=query)
        assert column(rows, "Email") == ["ann@x.example"]

    def test_the_lists_actions_export_submits_the_selection_form_and_is_the_only_export_control(self, staff_client):
        """Help article 002: tick the boxes, then Export contacts in the upper-right corner acts on them."""
        ContactFactory(first_name="Ann")
        html = staff_client.get(LIST, {"q": "ann"}).content.decode()
        assert '<form method="post" action="/contacts/bulk/" class="bulk" id="bulk-form"' in html
        button = f'<button type="submit" form="bulk-form" formaction="{EXPORT}" data-bulk-verb="Export">'
        assert f"{button}Export contacts</button>" in html
        assert html.count("Export contacts") == 1
        assert '<input type="hidden" name="query" value="q=ann">' in html

    def test_the_lists_actions_follow_the_filters_through_htmx_swaps(self, staff_client):
        ContactFactory(first_name="Ann")
        html = staff_client.get(LIST, {"q": "ann"}, HTTP_HX_REQUEST="true").content.decode()
        assert '<ul class="actions-menu__items" id="list-actions-items" hx-swap-oob="true">' in html
        assert 'form="bulk-form"' in html
        # With no rows to tick, Export is a link carrying the list's filters.
        html = staff_client.get(LIST, {"q": "nobody"}, HTTP_HX_REQUEST="true").content.decode()
        assert 'id="bulk-form"' not in html
        assert f'<li><a href="{EXPORT}?q=nobody">Export contacts</a></li>' in html

    def test_the_contact_pages_export_contact_offers_just_that_contact_and_leads_back_there(self, client, viewer):
        """Help article 001: Actions → Export contact on the contact page, through the same export page."""
        ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann@x.example")
        ContactFactory(email="bob@x.example")
        client.force_login(viewer)
        page = client.get(ann.get_absolute_url()).content.decode()
        assert '<summary class="button button--secondary">Actions</summary>' in page
        [form] = re.findall(rf'<form method="post" action="{EXPORT}">(.*?)</form>', page, re.DOTALL)
        assert '<button type="submit">Export contact</button>' in form
        posted = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form))
        assert posted["ids"] == posted["contact"] == str(ann.pk)

        html = client.post(EXPORT, posted).content.decode()
        assert 'value="selected" checked' in html
        assert "The 1 selected contact<" in html
        assert f'<a class="page-header__back" href="{ann.get_absolute_url()}">Back to Ann Lee</a>' in html
        assert f'<a class="button button--link" href="{ann.get_absolute_url()}">Cancel</a>' in html
        assert f'<input type="hidden" name="contact" value="{ann.pk}">' in html
        assert not ExportLog.objects.exists()

        rows = download(client, **posted, scope="selected")
        assert column(rows, "Email") == ["ann@x.example"]

    @pytest.mark.parametrize("contact", ["other", "junk", ""])
    def test_a_contact_that_is_not_the_one_selected_leads_back_to_the_list(self, staff_client, contact):
        ann, bob = ContactFactory(), ContactFactory()
        values = {"other": str(bob.pk), "junk": "1 or 1", "": ""}
        html = staff_client.post(EXPORT, {"ids": [ann.pk], "contact": values[contact]}).content.decode()
        assert f'<a class="page-header__back" href="{LIST}">Back to contacts</a>' in html
        assert 'name="contact"' not in html

    def test_the_export_page_says_when_the_download_has_started(self, staff_client):
        ContactFactory()
        html = staff_client.get(EXPORT).content.decode()
        filename = f"contacts-{timezone.localdate().isoformat()}.csv"
        assert "data-export>" in html
        assert f"data-export-started hidden>Your download has started: {filename}." in html


class TestPermissions:
    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        for response in (client.get(EXPORT), client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})):
            assert response.status_code == 302
            assert response.url.startswith(reverse("login"))
        assert not ExportLog.objects.exists()

    def test_without_the_export_permission_403_and_no_button(self, client):
        ContactFactory()
        user = UserFactory()
        user.user_permissions.add(Permission.objects.get(codename="view_contact"))
        client.force_login(user)
        assert client.get(EXPORT).status_code == 403
        assert client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL}).status_code == 403
        html = client.get(LIST).content.decode()
        assert "Export contacts" not in html
        assert 'name="ids"' not in html
        assert not ExportLog.objects.exists()

    def test_a_viewer_can_export_but_not_delete_or_change(self, client, viewer):
        contact = ContactFactory(email="ann@x.ex")
        client.force_login(viewer)
        assert viewer.has_perm("customers.export_contact")
        assert not viewer.has_perm("customers.delete_contact")
        assert column(download(client, scope="selected", ids=[contact.pk]), "Email") == ["ann@x.ex"]
        label = LabelFactory()
        response = client.post(
            reverse("customers:bulk"), {"ids": [contact.pk], "label": label.pk, "action": "add_label"}
        )
        assert response.status_code == 403
        assert not contact.labels.exists()
        html = client.get(LIST).content.decode()
        assert "Export contacts" in html
        assert "Delete contacts" not in html
        html = client.get(contact.get_absolute_url()).content.decode()
        assert "Export contact</button>" in html
        assert "Delete contact" not in html
        assert "Erase personal data" not in html

    def test_a_post_without_a_csrf_token_is_refused(self, staff_user):
        ContactFactory()
        client = Client(enforce_csrf_checks=True)
        client.force_login(staff_user)
        response = client.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})
        assert response.status_code == 403
        assert not ExportLog.objects.exists()
