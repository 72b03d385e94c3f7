"""An export's memory stays flat whatever the number of rows (SECURITY 4), measured in a process of its own.

One subprocess builds a 20,000-contact SQLite database (phones, labels, companies, consent, as a real
address book has them); a second, fresh process streams exports of 5,000 and then 20,000 of them through
the real view with Django's test client, consuming the chunks as a server would, and reports its peak
resident set size. A fresh process, because a test process's own peak — factories, the test database,
earlier tests — would hide the export's.

The bound: one batch (2,000 contacts as plain values with their related rows) plus its CSV chunk (about
700 kB, held as text and as UTF-8 bytes) measured 11–13 MB over the baseline. 40 MB leaves room for the
allocator's slack and other Python versions while still failing an export that holds its rows: the same
20,000 read as one batch grow the process by about 105 MB. The stronger check is the second: four times the
rows may not add more than a few MB, which is what "flat" means.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# ru_maxrss is in kilobytes on Linux (bytes on macOS).
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="peak RSS is read the Linux way")
ROOT = Path(__file__).resolve().parents[2]
CONTACTS = 20_000
FIVE_THOUSAND = 5_000
GROWTH_BOUND_MB = 40
# Allocator noise between two exports of the same shape; rows held per contact would add ~80 MB here.
FLAT_TOLERANCE_MB = 8

BUILD = """
import random, sys
from datetime import UTC, timedelta
from itertools import count
import django
django.setup()
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from companies.models import Company, Membership
from customers.models import ConsentRecord, Contact, Label, PhoneNumber

# Tables straight from the models: the schema an export reads, without replaying every migration.
settings.MIGRATION_MODULES = {config.label: None for config in apps.get_app_configs()}
call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
total, five = int(sys.argv[1]), int(sys.argv[2])
rng = random.Random(2026)
now = timezone.now()
ACCESS = ["inherit", "personal"]


def moment(days_ago):
    # How Django stores an aware datetime in SQLite: UTC, without the offset.
    return (now - timedelta(days=days_ago)).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def insert(model, rows):
    # executemany with each field's own default for what a row leaves out: the ORM's bulk_create spends
    # most of its time preparing every value of 100,000 objects.
    fields = [field for field in model._meta.concrete_fields if not field.generated]
    defaults = {
        field.attname: moment(0)
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
        else field.get_db_prep_save(field.get_default(), connection)
        for field in fields
    }
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({values})",
            [[{**defaults, **row}[field.attname] for field in fields] for row in rows],
        )


with transaction.atomic():
    companies = Company.objects.bulk_create(
        Company(name=f"Company {n} Ltd", default_portal_access=rng.choice(["personal", "company"])) for n in range(200)
    )
    warm, first, *labels = Label.objects.bulk_create(
        Label(name=name) for name in ["warm", "first five thousand", "VIP", "Newsletter", "Trade", "Wholesale"]
    )
    ids = range(1, total + 1)
    insert(Contact, [
        {
            "id": pk, "first_name": f"Firstname{pk}", "last_name": f"Lastname{pk}", "email": f"person{pk}@example.com",
            "address_line1": f"{pk} High Street", "city": "Leeds", "region": "West Yorkshire",
            "postal_code": "LS1 1AA", "country": "GB", "orders_count": pk % 7, "total_spent": f"{pk % 900}.25",
            "last_order_at": moment(pk % 400) if pk % 7 else None,
        }
        for pk in ids
    ])
    phone_ids = count(1)
    insert(PhoneNumber, [
        {"id": next(phone_ids), "contact_id": pk, "number": f"+447{pk:09d}", "label": "mobile"} for pk in ids
    ])
    insert(PhoneNumber, [
        {"id": next(phone_ids), "contact_id": pk, "number": f"+4420{pk:08d}", "position": 1} for pk in ids[::2]
    ])
    link_ids = count(1)
    insert(Contact.labels.through, [
        {"id": next(link_ids), "contact_id": pk, "label_id": label.pk}
        for pk in ids
        for label in [rng.choice(labels), *([first] if pk <= five else []), *([warm] if pk <= 20 else [])]
    ])
    insert(Membership, [
        {"id": pk, "contact_id": pk, "company_id": rng.choice(companies).pk, "portal_access": rng.choice(ACCESS)}
        for pk in ids
        if rng.random() < 0.6
    ])
    insert(ConsentRecord, [
        {
            "id": pk, "contact_id": pk, "state": "subscribed", "source": "checkout",
            "given_at": moment(rng.randint(1, 900)), "collected_how": "Ticked the box at checkout",
        }
        for pk in ids
        if rng.random() < 0.55
    ])
    get_user_model().objects.create_superuser("memory", email="memory@example.com", password=None)
"""

MEASURE = """
import json, resource
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from customers.models import ExportLog, Label


def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


client = Client()
client.force_login(get_user_model().objects.get(username="memory"))
url = reverse("customers:export")
label = {label.name: label.pk for label in Label.objects.all()}


def export(data):
    response = client.post(url, {"download": "1", "columns": "full", **data})
    assert response.status_code == 200 and response.streaming, response.status_code
    size = chunks = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        chunks += 1
    response.close()
    return {"bytes": size, "chunks": chunks, "rows": ExportLog.objects.latest("pk").row_count, "peak_mb": peak_mb()}


# Twenty rows first, so imports, templates and the first queries are paid for before the baseline.
export({"scope": "matching", "query": f"labels={label['warm']}"})
baseline = peak_mb()
five = export({"scope": "matching", "query": f"labels={label['first five thousand']}"})
everyone = export({"scope": "all"})
print(json.dumps({"baseline_mb": baseline, "five": five, "all": everyone}))
"""


def run(script: str, *args: str, database: Path) -> str:
    env = {
        **{name: value for name, value in os.environ.items() if name not in {"SQLITE_TEST_NAME", "DATABASE_URL"}},
        "DJANGO_SETTINGS_MODULE": "contacts_crm.settings",
        "DATABASE_URL": f"sqlite:///{database}",
        # As in production: no DEBUG (which would also record every query).
        "DEBUG": "false",
        "SECRET_KEY": "memory-test-" + "k" * 60,
        "SECURE_SSL_REDIRECT": "false",
        "ALLOWED_HOSTS": "testserver",
        "CACHE_URL": "locmem://",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def measured(tmp_path_factory) -> dict:
    database = tmp_path_factory.mktemp("export-memory") / "contacts.sqlite3"
    run(BUILD, str(CONTACTS), str(FIVE_THOUSAND), database=database)
    return json.loads(run(MEASURE, database=database).strip().splitlines()[-1])


def test_exports_of_5k_and_20k_rows_stream_every_row(measured):
    assert measured["five"]["rows"] == FIVE_THOUSAND
    assert measured["all"]["rows"] == CONTACTS
    # The header, then one chunk per batch of 2,000.
    assert measured["all"]["chunks"] == 1 + CONTACTS // 2000


def test_a_20k_row_export_grows_memory_by_less_than_the_bound(measured):
    growth = measured["all"]["peak_mb"] - measured["baseline_mb"]
    assert growth < GROWTH_BOUND_MB, measured


def test_memory_does_not_grow_with_the_number_of_rows(measured):
    """Four times the rows, and the peak stays where one batch put it."""
    assert measured["all"]["peak_mb"] - measured["five"]["peak_mb"] < FLAT_TOLERANCE_MB, measured
