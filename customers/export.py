"""Contacts as CSV: the column sets, a cell writer that defuses spreadsheet formulas, and the stream.

Every value is written through cell() and every field is quoted, so a cell stays inert whichever separator
the spreadsheet splits on (comma, semicolon or tab) and on every line of a multi-line cell.

The stream reads the selection a batch at a time (customers.selectors.contacts_for_export) and yields each
batch as one chunk of CSV text, so memory stays flat whatever the number of rows, and the header leaves at
once, before any query runs. The web view and `manage.py export_contacts` both consume it. Like a view, it
composes across apps: a member's portal access comes from companies.models.effective_portal_access, the
one place that rule lives.

Every export is audited in ExportLog (SECURITY.md 5). The entry is written before the first byte leaves,
so an export that is cut short — the client disconnects, the worker is killed — is still on record; the
stream fills in the row count when it ends, however it ends, and says whether it ran to the end.
"""

import csv
import io
import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from companies.models import effective_portal_access
from customers.models import (
    ConsentChannel,
    ConsentSource,
    ConsentState,
    Contact,
    ExportLog,
    OptInLevel,
    Source,
    Stage,
)
from customers.selectors import EXPORT_BATCH_SIZE, contacts_for_export
from customers.services.export import export_log_finish

logger = logging.getLogger(__name__)

FULL, SHOPIFY = "full", "shopify"
COLUMN_CHOICES = [(FULL, "Full"), (SHOPIFY, "Shopify-compatible")]
# Excel on Windows reads a CSV as the machine's legacy code page unless the file starts with this.
BOM = "\ufeff"
# A spreadsheet reads a field starting with one of these as a formula; the full-width forms are read as
# their ASCII twins by some versions.
FORMULA_CHARACTERS = "=+-@＝＋－＠"
# A cell starting with a formula character, or with tab, CR or LF (which a spreadsheet strips, reading
# what follows as the field), gets a leading `'`.
FORMULA_STARTS = (*FORMULA_CHARACTERS, "\t", "\r", "\n")
# Inside a cell, a formula character starts a field of its own in a reader that splits where this file
# does not: on `;` (Excel in many European locales) or `,` or tab, or at a line break when the reader's
# quoting falls out of step with ours. The writer's quotes do not cover such a field, so spaces (which a
# reader may trim) and quote marks may come between: the writer doubles a quote mark, and a reader that
# splits on `;` can take the pair for an empty quoted string and drop it (Python's csv module does).
# One pattern, starting with a character class so the regex engine skips to candidates in C.
# A `'` typed before such a character is kept by marking it too (`''=`), so cell_read() gives back what was typed.
FORMULA_INSIDE = re.compile(rf"""[;,\t\r\n][ "]*(?='*[{re.escape(FORMULA_CHARACTERS)}])""")
_TYPED_MARK = re.compile(rf"'+[{re.escape(''.join(FORMULA_STARTS))}]")
NOTHING_TO_EXPORT = "No contacts match this selection, so there is nothing to export."


def _mark_as_text(match: re.Match[str]) -> str:
    # A function, not the template r"\g<0>'": CPython 3.11 hands a template to Python code on every sub(),
    # a function only on a match, and matches are rare.
    return match[0] + "'"


def cell(value: Any) -> str:
    """Return a value as CSV cell text that no spreadsheet runs: `'` before every formula a field could start.

    The apostrophe is the marker spreadsheets themselves use for "this is text". It goes at the start of a
    cell that starts a formula (FORMULA_STARTS), and before a formula character that follows a separator
    or line break inside the cell, after any spaces or quote marks (FORMULA_INSIDE). Nothing else changes,
    so nothing is lost and the cell reads as the person typed it.
    """
    if type(value) is _MarkedText:
        return value
    text = "" if value is None else str(value)
    # search() first: most cells hold no match, and searching is cheaper than an empty sub().
    if FORMULA_INSIDE.search(text):
        text = FORMULA_INSIDE.sub(_mark_as_text, text)
    if text.startswith(FORMULA_STARTS) or (text.startswith("'") and _TYPED_MARK.match(text)):
        return "'" + text
    return text


# What cell() added: a `'` at the start before a formula start, or after a separator inside before a formula
# character. Shopify writes ids and phone numbers after a `'` too (read by the phone's own rule).
_MARKED_START = re.compile(rf"'(?='*[{re.escape(''.join(FORMULA_STARTS))}])")
_MARKED_INSIDE = re.compile(rf"""([;,\t\r\n][ "]*)'(?='*[{re.escape(FORMULA_CHARACTERS)}])""")


def cell_read(text: str) -> str:
    """Return a cell as it was before cell() marked it: the inverse, so an exported file imports as it was typed.

    cell() marks a `'` typed before a formula character as well (`''=`), so reading gives back exactly what was
    typed; `=…` is stored as text and marked again on the next export, so it never runs in a spreadsheet.
    """
    if "'" not in text:
        return text
    text = _MARKED_INSIDE.sub(r"\1", text)
    return text[1:] if _MARKED_START.match(text) else text


class _MarkedText(str):
    """A cell this writer has already marked as text (an id or phone after `'`); cell() leaves it as it is."""


def _as_text(value: str | int) -> str:
    """Return an id or phone number as Shopify writes it: after `'`, so spreadsheets keep it as text."""
    return _MarkedText(f"'{value}") if value != "" else ""


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


# Choice labels by value: a dict lookup per cell rather than a model method per cell.
STAGES, SOURCES = dict(Stage.choices), dict(Source.choices)
CONSENT_STATES, CHANNELS = dict(ConsentState.choices), dict(ConsentChannel.choices)
CONSENT_SOURCES, OPT_IN_LEVELS = dict(ConsentSource.choices), dict(OptInLevel.choices)


class _Writer:
    """Turn one exported contact (see customers.selectors.contacts_for_export) into the cells of a column set."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()

    def moment(self, value: datetime | None) -> str:
        return value.astimezone(self.zone).isoformat(timespec="seconds") if value else ""

    def latest(self, contact: dict[str, Any], channel: str) -> tuple | None:
        """Return the contact's current consent record on a channel: the latest by the moment given."""
        return next((record for record in contact["consents"] if record[0] == channel), None)

    def consent_entry(self, record: tuple) -> str:
        channel, state, source, opt_in_level, given_at, collected_how = record
        return (
            f"{self.moment(given_at)} {CHANNELS[channel]}: {CONSENT_STATES[state]} "
            f"({CONSENT_SOURCES[source]}, {OPT_IN_LEVELS[opt_in_level]}) {collected_how}"
        )

    def full(self, contact: dict[str, Any]) -> list[Any]:
        email_consent = self.latest(contact, ConsentChannel.EMAIL)
        return [
            contact["id"],
            contact["first_name"],
            contact["last_name"],
            contact["email"],
            STAGES[contact["stage"]],
            SOURCES[contact["source"]],
            self.moment(contact["created_at"]),
            *(contact[name] for name in Contact.ADDRESS_FIELDS),
            "; ".join(f"{number} ({label})" if label else number for number, label in contact["phones"]),
            "; ".join(name for (name,) in contact["labels"]),
            "; ".join(
                # The access each member has, from the one rule that decides it.
                f"{company} ({effective_portal_access(membership_access=access, company_default=default).label})"
                for company, access, default in contact["memberships"]
            ),
            CONSENT_STATES[contact["marketing_consent"]],
            self.moment(email_consent[4]) if email_consent else "",
            # The whole history, newest first, one entry a line: what an access request must include.
            "\n".join(self.consent_entry(record) for record in contact["consents"]),
            contact["orders_count"],
            f"{contact['total_spent']:.2f}",
            self.moment(contact["last_order_at"]),
            _yes_no(contact["details_locked"]),
        ]

    def shopify(self, contact: dict[str, Any]) -> list[Any]:
        phone = contact["phones"][0][0] if contact["phones"] else ""
        sms_consent = self.latest(contact, ConsentChannel.SMS)
        return [
            _as_text(contact["id"]),
            contact["first_name"],
            contact["last_name"],
            contact["email"],
            _yes_no(contact["marketing_consent"] == ConsentState.SUBSCRIBED),
            contact["memberships"][0][0] if contact["memberships"] else "",
            contact["address_line1"],
            contact["address_line2"],
            contact["city"],
            contact["region"],
            contact["country"],
            contact["postal_code"],
            _as_text(phone),
            _as_text(phone),
            _yes_no(sms_consent is not None and sms_consent[1] == ConsentState.SUBSCRIBED),
            f"{contact['total_spent']:.2f}",
            contact["orders_count"],
            "",
            "no",
            ", ".join(name for (name,) in contact["labels"]),
        ]


@dataclass(frozen=True)
class ColumnSet:
    header: Sequence[str]
    row: Callable[[_Writer, dict[str, Any]], list[Any]]


COLUMN_SETS = {
    FULL: ColumnSet(
        header=(
            # Not "ID": Excel takes a file starting with those two letters for a SYLK file and refuses it.
            "Contact ID",
            "First name",
            "Last name",
            "Email",
            "Stage",
            "Source",
            "Created",
            "Address line 1",
            "Address line 2",
            "Town or city",
            "County, state or province",
            "Postcode",
            "Country",
            "Phones",
            "Labels",
            "Companies",
            "Marketing consent",
            "Marketing consent date",
            "Marketing consent history",
            "Orders",
            "Total spent",
            "Last order",
            "Details locked",
        ),
        row=_Writer.full,
    ),
    # The header of Shopify's customers export (tests/fixtures/ keeps a copy), so a shop can import the file.
    SHOPIFY: ColumnSet(
        header=(
            "Customer ID",
            "First Name",
            "Last Name",
            "Email",
            "Accepts Email Marketing",
            "Default Address Company",
            "Default Address Address1",
            "Default Address Address2",
            "Default Address City",
            "Default Address Province Code",
            "Default Address Country Code",
            "Default Address Zip",
            "Default Address Phone",
            "Phone",
            "Accepts SMS Marketing",
            "Total Spent",
            "Total Orders",
            "Note",
            "Tax Exempt",
            "Tags",
        ),
        row=_Writer.shopify,
    ),
}


def export_filename(*, today: date | None = None) -> str:
    """Return the name a download is saved under: contacts-YYYY-MM-DD.csv, in the site's time zone."""
    return f"contacts-{(today or timezone.localdate()).isoformat()}.csv"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def export_csv(
    *,
    contacts: QuerySet[Contact],
    columns: str,
    bom: bool = False,
    log: ExportLog | None = None,
    batch_size: int = EXPORT_BATCH_SIZE,
    on_batch: Callable[[int], None] | None = None,
) -> Iterator[str]:
    """Yield the contacts as CSV text: the header at once, then one chunk per batch of rows.

    `on_batch` hears the number of rows written so far after each batch (a job's progress). When the
    stream ends — finished, failed, or closed early because the client went away — the log entry gets the
    number of rows handed on so far and whether the export ran to the end.
    """
    column_set, cells = COLUMN_SETS[columns], _Writer()
    buffer = io.StringIO()
    # The excel dialect ends rows with CRLF and doubles quote marks (RFC 4180). Every field is quoted, not
    # only those holding a comma, quote, CR or LF: no value can add a row or a column, and a reader that
    # trims spaces leaves a quoted field alone (LibreOffice's "Trim spaces" runs an unquoted ` =1`).
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL)
    rows, finished = 0, False
    try:
        writer.writerow(column_set.header)
        yield (BOM if bom else "") + _drain(buffer)
        for batch in contacts_for_export(contacts=contacts, batch_size=batch_size):
            writer.writerows([cell(value) for value in column_set.row(cells, contact)] for contact in batch)
            rows += len(batch)
            del batch
            yield _drain(buffer)
            if on_batch is not None:
                on_batch(rows)
        finished = True
    finally:
        if log is not None:
            export_log_finish(log, rows=rows, finished=finished)
