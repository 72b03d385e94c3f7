"""The contact search document and the index that serves it on each database (see customers/search.py)."""

import re

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# Frozen copies of customers/search.py as it was when this migration was written: a migration must build the
# same database whatever that module becomes later.
SQLITE_SEARCH_TABLE = "customers_contact_search"
_WHITESPACE = re.compile(r"\s+")


def search_document(*, first_name, last_name, email, phones=(), company_names=()):
    parts = [f"{first_name} {last_name}", email, *(number.lstrip("+") for number in phones), *company_names]
    return "\n".join(_WHITESPACE.sub(" ", part).strip() for part in parts if part.strip()).lower()


# PostgreSQL: a trigram GIN index over live contacts serves LIKE '%term%'. The list sorts "last order"
# with contacts that never ordered at the end both ways (NULLs as the smallest value, as SQLite does);
# this index lets PostgreSQL read that order without sorting.
POSTGRES_FORWARDS = [
    "CREATE INDEX contact_live_search_trgm_idx ON customers_contact "
    "USING gin (search_document gin_trgm_ops) WHERE deleted_at IS NULL",
    "CREATE INDEX contact_live_last_order_nf_idx ON customers_contact "
    "(last_order_at ASC NULLS FIRST, id) WHERE deleted_at IS NULL",
]
POSTGRES_BACKWARDS = [
    "DROP INDEX IF EXISTS contact_live_search_trgm_idx",
    "DROP INDEX IF EXISTS contact_live_last_order_nf_idx",
]

# SQLite: an FTS5 trigram table over the search column, kept in step by triggers whichever way a row
# is written (ORM, bulk_create, raw SQL). A migration that rebuilds customers_contact on SQLite drops
# these triggers; tests/customers/test_search.py fails if that ever happens.
T = SQLITE_SEARCH_TABLE
SQLITE_FORWARDS = [
    f"CREATE VIRTUAL TABLE {T} USING fts5(search_document, content='customers_contact', content_rowid='id', "
    "tokenize='trigram')",
    f"""CREATE TRIGGER {T}_ai AFTER INSERT ON customers_contact BEGIN
        INSERT INTO {T}(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    f"""CREATE TRIGGER {T}_ad AFTER DELETE ON customers_contact BEGIN
        INSERT INTO {T}({T}, rowid, search_document) VALUES ('delete', old.id, old.search_document);
    END""",
    f"""CREATE TRIGGER {T}_au AFTER UPDATE OF search_document ON customers_contact BEGIN
        INSERT INTO {T}({T}, rowid, search_document) VALUES ('delete', old.id, old.search_document);
        INSERT INTO {T}(rowid, search_document) VALUES (new.id, new.search_document);
    END""",
    f"INSERT INTO {T}({T}) VALUES ('rebuild')",
]
SQLITE_BACKWARDS = [f"DROP TRIGGER IF EXISTS {T}_{suffix}" for suffix in ("ai", "ad", "au")] + [
    f"DROP TABLE IF EXISTS {T}"
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


def backfill(apps, schema_editor):
    Contact = apps.get_model("customers", "Contact")
    PhoneNumber = apps.get_model("customers", "PhoneNumber")
    Membership = apps.get_model("companies", "Membership")
    contacts = list(Contact.objects.only("first_name", "last_name", "email"))
    phones, companies = {}, {}
    for contact_id, number in PhoneNumber.objects.order_by("position", "id").values_list("contact_id", "number"):
        phones.setdefault(contact_id, []).append(number)
    for contact_id, name in Membership.objects.order_by("company__name").values_list("contact_id", "company__name"):
        companies.setdefault(contact_id, []).append(name)
    for contact in contacts:
        contact.search_document = search_document(
            first_name=contact.first_name,
            last_name=contact.last_name,
            email=contact.email,
            phones=phones.get(contact.pk, ()),
            company_names=companies.get(contact.pk, ()),
        )
    Contact.objects.bulk_update(contacts, ["search_document"], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0001_initial"),
        ("companies", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_document",
            field=models.TextField(blank=True, default="", editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        # Does nothing on SQLite.
        TrigramExtension(),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_FORWARDS, "sqlite": SQLITE_FORWARDS}),
            _run({"postgresql": POSTGRES_BACKWARDS, "sqlite": SQLITE_BACKWARDS}),
        ),
    ]
