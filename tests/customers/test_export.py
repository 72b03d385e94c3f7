"""customers.export, the CSV writer: the file's columns and cells, formulas defused, the stream and its log."""

import csv
import re

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from customers.export import COLUMN_SETS, FORMULA_CHARACTERS, FORMULA_STARTS, FULL, SHOPIFY, cell, cell_read
from tests.customers.support.export import (
    EXPORT,
    PAYLOADS,
    SHOPIFY_HEADER_FILE,
    body_of,
    column,
    download,
    everything_contact,
)
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    PhoneNumberFactory,
)
from tests.naughty import NAUGHTY_STRINGS

pytestmark = pytest.mark.django_db


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
            # A typed mark is marked too, so reading the file back (cell_read) gives what was typed.
            ("x;'=1", "x;''=1"),
            ("'=1", "''=1"),
            ("'quote", "'quote"),
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
        # And reading it back, as an import does, gives exactly the value.
        assert cell_read(written) == value

    def test_every_field_is_quoted(self, staff_client):
        """A reader that trims spaces leaves a quoted field alone, so ` =1` stays text."""
        ContactFactory(first_name=" =1", last_name="Lee", email="ann@x.example", orders_count=2)
        body = body_of(staff_client.post(EXPORT, {"download": "1", "columns": FULL, "scope": "all"}))
        header, row = body.split("\r\n")[:2]
        assert header.startswith('"Contact ID","First name","Last name","Email",')
        assert '," =1","Lee","ann@x.example",' in row
        assert row.endswith(',"2","0.00","","no"')
