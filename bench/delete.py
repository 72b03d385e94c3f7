"""Time deleting every contact: to the Trash and then for good, against the database in DATABASE_URL.

    scripts/with-postgres sh -c '.venv/bin/python manage.py migrate -v0 &&
        .venv/bin/python bench/data.py --size S && .venv/bin/python bench/delete.py'

Each way is timed inside a transaction that is rolled back afterwards, so every run starts from the same
data and the file or cluster is left as it was. The commit itself is not timed, so on PostgreSQL the
foreign keys, which Django declares deferred to the commit, are checked statement by statement instead.
The app's ways (the bulk delete request, contacts_trash, contacts_purge) are set against plain SQL doing
the same work in the fewest statements, and against Django's own QuerySet.delete(), which loads the
contacts to collect them. Each round runs every way once; the table shows the median and the fastest.
Prints a markdown table and writes bench/results/delete-<database>-<contacts>.json.
"""

import json
import logging
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.list_page import superuser  # noqa: E402
from companies.models import Membership  # noqa: E402
from crm_core.actors import SYSTEM  # noqa: E402
from customers.models import Activity, ConsentRecord, Contact, PhoneNumber, SuggestedUpdate  # noqa: E402
from customers.services import contacts_trash  # noqa: E402
from customers.services.trash import contacts_purge  # noqa: E402
from orders.models import Order  # noqa: E402

TIMED = 5


class Rollback(Exception):
    """Raised at the end of each run so its transaction is rolled back."""


def main() -> None:
    setup_test_environment(debug=False)
    # contacts_purge logs each purge; a bench runs dozens.
    logging.getLogger("customers.services.trash").setLevel(logging.WARNING)
    client = Client()
    client.force_login(superuser())
    contacts = Contact.objects.live().count()
    rows = _rows()
    ways = [
        ("Trash", "Bulk delete request (confirm POST, all that match)", lambda: _request(client, contacts)),
        ("Trash", "contacts_trash service", lambda: contacts_trash(contacts=Contact.objects.all(), actor=SYSTEM)),
        ("Trash", "Plain SQL: UPDATE + INSERT … SELECT", _trash_sql),
        ("Purge", "contacts_purge service", _purge_service),
        ("Purge", "Plain SQL: one DELETE per table", _purge_sql),
        ("Purge", "Django QuerySet.delete() (collector)", _purge_collector),
    ]
    # Round-robin: each round runs every way once, so a busy moment on the machine spreads over all of them.
    measured = {name: {"times": [], "queries": 0} for _, name, _ in ways}
    for round_ in range(TIMED + 1):
        for step, name, run in ways:
            elapsed, queries = _run_once(run, prepare=_trash_everything if step == "Purge" else None)
            if round_ == 0:
                # A warm-up whose statements are counted; recording them slows it a little.
                measured[name]["queries"] = queries
            else:
                measured[name]["times"].append(elapsed)
    results = [
        {
            "step": step,
            "way": name,
            "median_s": statistics.median(measured[name]["times"]),
            "min_s": min(measured[name]["times"]),
            "queries": measured[name]["queries"],
            "times_s": measured[name]["times"],
        }
        for step, name, _ in ways
    ]
    report = {
        "database": connection.vendor,
        "contacts": contacts,
        "rows": rows,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "timed": TIMED,
        "results": results,
    }
    print(f"Deleting {contacts:,} contacts, {connection.vendor}, {TIMED} runs of each way (each rolled back)\n")
    print("With them: " + ", ".join(f"{count:,} {name}" for name, count in rows.items()) + "\n")
    print("| Step | Way | Median s | Min s | Queries |")
    print("|---|---|---:|---:|---:|")
    for row in results:
        print(f"| {row['step']} | {row['way']} | {row['median_s']:.2f} | {row['min_s']:.2f} | {row['queries']:,} |")
    out = ROOT / "bench" / "results" / f"delete-{connection.vendor}-{contacts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")


def _rows() -> dict[str, int]:
    return _rows_of(Contact.objects.live())


def _rows_of(live) -> dict[str, int]:
    """Return how many related rows the given contacts have, by kind."""
    return {
        "phones": PhoneNumber.objects.filter(contact__in=live).count(),
        "label links": Contact.labels.through.objects.filter(contact__in=live).count(),
        "memberships": Membership.objects.filter(contact__in=live).count(),
        "activity entries": Activity.objects.filter(contact__in=live).count(),
        "consent records": ConsentRecord.objects.filter(contact__in=live).count(),
        "suggested updates": SuggestedUpdate.objects.filter(contact__in=live).count(),
        "orders (kept, unlinked on purge)": Order.objects.filter(contact__in=live).count(),
    }


def _run_once(run: Callable[[], object], *, prepare: Callable[[], None] | None) -> tuple[float, int]:
    """Return the seconds one run took and its statement count; everything it did is rolled back."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Foreign keys are checked at commit, which is not timed: check them as each statement runs.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            if prepare is not None:
                prepare()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                run()
                elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, len(captured)


def _request(client: Client, contacts: int) -> None:
    response = client.post(
        reverse("customers:bulk_delete"), {"query": "", "scope": "matching", "confirm": "1", "count": str(contacts)}
    )
    assert response.status_code == 302, response.status_code  # noqa: S101 -- a bench that deleted nothing lies.


def _trash_everything() -> None:
    Contact.objects.live().update(deleted_at=timezone.now())


def _purge_service() -> None:
    contacts_purge(contacts=Contact.objects.all(), actor=SYSTEM)


def _purge_collector() -> None:
    Contact.objects.filter(deleted_at__isnull=False).delete()


# Plain SQL doing the same work in the fewest statements: the floor the app's ways are measured against.
TRASH_SQL = [
    "UPDATE customers_contact SET deleted_at = %(now)s WHERE deleted_at IS NULL",
    "INSERT INTO customers_activity (contact_id, kind, event, body, actor_kind, actor_id, data, created_at) "
    "SELECT id, 'event', 'trashed', 'Moved to the Trash', 'system', NULL, %(data)s, %(now)s "
    "FROM customers_contact WHERE deleted_at = %(now)s",
]
TRASHED = "SELECT id FROM customers_contact WHERE deleted_at IS NOT NULL"
CHILD_TABLES = (
    "customers_contact_labels",
    "customers_phonenumber",
    "customers_activity",
    "customers_consentrecord",
    "customers_suggestedupdate",
    "companies_membership",
)
PURGE_SQL = [
    *(f"DELETE FROM {table} WHERE contact_id IN ({TRASHED})" for table in CHILD_TABLES),  # noqa: S608
    f"UPDATE orders_order SET contact_id = NULL WHERE contact_id IN ({TRASHED})",  # noqa: S608
    "DELETE FROM customers_contact WHERE deleted_at IS NOT NULL",
]


def _trash_sql() -> None:
    now = timezone.now()
    data = Activity._meta.get_field("data").get_db_prep_save({}, connection)
    params = {"now": Contact._meta.get_field("deleted_at").get_db_prep_save(now, connection), "data": data}
    with connection.cursor() as cursor:
        for statement in TRASH_SQL:
            cursor.execute(statement, params)


def _purge_sql() -> None:
    with connection.cursor() as cursor:
        for statement in PURGE_SQL:
            cursor.execute(statement)


if __name__ == "__main__":
    main()
