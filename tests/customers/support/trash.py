"""Helpers the Trash tests share (services, views, purge_trash): a contact with a row in every table and more."""

import io
from decimal import Decimal

from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from crm_core.actors import SYSTEM, WEBSITE, Actor
from customers import services
from customers.images import image_process
from customers.models import ConsentSource, ConsentState, Contact
from customers.search import SQLITE_SEARCH_TABLE
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    OrderFactory,
    OrderLineFactory,
    PhoneNumberFactory,
    UserFactory,
)
from tests.images import png_upload

BULK_DELETE = reverse("customers:bulk_delete")


TRASH = reverse("customers:trash")


UNDO = reverse("customers:trash_undo")


REQUEST = ["session", "user", "the user's own permissions", "the user's group permissions"]


def stored_files(media) -> list:
    return sorted(path for path in media.rglob("*") if path.is_file()) if media.exists() else []


def contact_with_everything(**fields) -> Contact:
    """A contact with a row in every table that points at contacts, and an order with a line."""
    contact = ContactFactory(**fields)
    PhoneNumberFactory(contact=contact)
    contact.labels.add(LabelFactory())
    MembershipFactory(contact=contact)
    contact.activities.create(kind="note", body="Called about the mug")
    contact.consent_records.create(
        state=ConsentState.SUBSCRIBED, source=ConsentSource.STAFF, given_at=timezone.now(), collected_how="By phone"
    )
    contact.suggested_updates.create(field="city", value="Leeds", source_reference="Order #1")
    OrderLineFactory(order=OrderFactory(contact=contact))
    return contact


def sqlite_search_hits(word: str) -> list:
    """Return the rows the SQLite search table still finds for a word (it is kept by triggers, not the ORM)."""
    sql = f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [f'"{word}"'])
        return cursor.fetchall()


def trashed_ids() -> set[int]:
    return set(Contact.objects.filter(deleted_at__isnull=False).values_list("pk", flat=True))


def confirm_data(contacts, **extra) -> dict:
    return {"query": "", "ids": [contact.pk for contact in contacts], "confirm": "1", **extra}


DELETE_URLS = [
    ("post", "customers:bulk_delete", False),
    ("get", "customers:delete", True),
    ("get", "customers:trash", False),
    ("post", "customers:trash_undo", False),
    ("get", "customers:trash_purge", True),
    ("post", "customers:trash_purge", True),
    ("get", "customers:erase", True),
    ("post", "customers:erase", True),
]


PERSONAL = [
    "zebulon",
    "quixotic",
    "zeb.quix",
    "7700900123",
    "xylophone",
    "quuxton",
    "qx1 2yz",
    "203.0.113.9",
    "prefers calls after six",
    "phoned him on his mobile",
]


def contact_to_erase(media) -> Contact:
    """Ann's opposite: a contact whose personal data is in every place the app keeps any."""
    contact = services.contact_create(
        email="zeb.quix@example.org",
        first_name="Zebulon",
        last_name="Quixotic",
        actor=SYSTEM,
        phones=[services.PhoneInput(number="+447700900123", label="mobile")],
        labels=[LabelFactory(name="VIP")],
        image=image_process(png_upload()),
        address_line1="12 Xylophone Road",
        city="Quuxton",
        postal_code="QX1 2YZ",
        country="GB",
    )
    MembershipFactory(contact=contact, company=CompanyFactory(name="Acme Ltd"))
    services.contact_update(contact=contact, actor=SYSTEM, last_name="Quixotic-Smith")
    author = Actor.staff(UserFactory(role="Staff"))
    note = services.note_add(contact=contact, body="Prefers calls after six", actor=author)
    # The edit keeps what the note said before in the note_edited event.
    services.note_update(note=note, body="Call Zebulon after six only", actor=author)
    services.activity_record(
        contact=contact,
        event="message_received",
        actor=WEBSITE,
        body="Message from Zebulon Quixotic",
        data={"name": "Zebulon Quixotic", "client_address": "203.0.113.9"},
    )
    services.consent_record(
        contact=contact,
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how="Phoned him on his mobile",
        actor=SYSTEM,
    )
    contact.suggested_updates.create(field="city", value="Quuxton Heights", source_reference="Order #7")
    order = OrderFactory(
        contact=contact,
        buyer_email="zeb.quix@example.org",
        buyer_first_name="Zebulon",
        buyer_last_name="Quixotic",
        buyer_phone="+447700900123",
        address_line1="12 Xylophone Road",
        city="Quuxton",
        postal_code="QX1 2YZ",
        total=Decimal("42.50"),
    )
    OrderLineFactory(order=order, name="Teapot", total=Decimal("42.50"))
    return Contact.objects.get(pk=contact.pk)


def database_dump() -> str:
    out = io.StringIO()
    call_command("dumpdata", stdout=out, exclude=["sessions"])
    return out.getvalue().lower()
