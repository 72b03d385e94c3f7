# ruff: noqa: S311 -- `random` picks reproducible test data here, never secrets.
"""Every benchmark in one run, on the database in DATABASE_URL, with its peers measured on the same data.

    make bench SIZE=M                                   # SQLite, a file of its own under .cache/
    scripts/with-postgres make bench SIZE=M             # a throwaway PostgreSQL 15 cluster
    DATABASE_URL=postgres://… make bench SIZE=L         # a PostgreSQL you keep (L builds in about 10 min)

Fill the database first with `bench/data.py --size S|M|L` (make bench does it when it is empty).

Sections, each set against its peers:

- Pages: the contacts list (first, deep and last page; searches; label filters) and a whale's contact page,
  through Django's test client as a superuser, so the times are the server's own (routing, middleware,
  queries, template), with no network. Median and p95 of 30 requests after 3 warm-ups, and the queries
  of one more request. Peers: the stock Django admin and a tuned one for the same model
  (bench/peer_admin.py), with the same rows per page.
- Export: all contacts and the newest 10%, Full columns, each in a fresh process (bench/export.py) so
  its peak RSS is its own. Peer: PostgreSQL's COPY of the same columns, in a fresh process as well.
- Delete 10k: the bulk delete request (to the Trash) and the permanent delete (contacts_purge), against
  the admin's delete_selected and plain SQL. Every way runs in a transaction that is rolled back, so
  each starts from the same data and the database is left as it was.
- Order sync: one order through the signed webhook (a new buyer; a known one with the email in other
  case), a 1,000-order file through import_orders, and 8 threads placing 80 orders for 10 new buyers at
  once (how many duplicate contacts). Peer: plain INSERT … ON CONFLICT of the same orders. The orders
  synced here stay in the database, with ids of their own per run.
- Duplicates: the finder over every contact (merges.finder.pairs_find, which replaces the stored pairs), the
  median of 3 runs with the pairs it found by reason, and one contact's live check (duplicates_of), median
  and p95 of 30 after 3 warm-ups. bench/data.py plants a few hundred pairs per rule.

Prints markdown tables and a list of the targets met and missed, and writes both to
bench/results/bench-<database>-<size>.md and .json (each figure with its ratio to each peer). A run of
some sections (--only pages,export) or of the app's pages alone (--app-only) refreshes those figures and
keeps the rest of the file, when it was measured on the same data.
"""

import argparse
import functools
import hashlib
import hmac
import io
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import clear_url_caches, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import delete as delete_bench  # noqa: E402
from bench import list_page  # noqa: E402
from bench.order_sync import PRODUCTS  # noqa: E402
from crm_core.actors import SYSTEM  # noqa: E402
from crm_core.bounds import day_span  # noqa: E402
from customers.models import Contact, Label  # noqa: E402
from customers.services.trash import contacts_purge  # noqa: E402
from orders.models import Order, OrderLine  # noqa: E402
from orders.payload import placed_order_from_payload  # noqa: E402
from orders.services import order_sync_placed  # noqa: E402
from orders.webhooks import SIGNATURE_HEADER  # noqa: E402

WARM_UP = 3
TIMED = 30
DELETE_COUNT = 10_000
DELETE_RUNS = 3
BATCH_ORDERS = 1_000
THREADS = 8
CONCURRENT_BUYERS = 10
WEBHOOK_SECRET = "bench-webhook-secret"  # noqa: S105 -- set for this process only, to sign its own requests.
STOCK, TUNED = "/bench-admin/stock/customers/contact/", "/bench-admin/tuned/customers/contact/"
FLOOR = "Floor: an empty page behind the same middleware, session and login"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="", help="The dataset's name in the result files (S, M, L).")
    parser.add_argument(
        "--only",
        default="pages,export,delete,sync,throughput,duplicates",
        help="Comma-separated sections to run.",
    )
    parser.add_argument("--app-only", action="store_true", help="Pages: time the app's, not the admin's.")
    parser.add_argument("--copy", choices=["all", "recent"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.copy:
        print(json.dumps(_copy_one(args.copy)))
        return
    # What Django's test runner does: allow the test client's host, and no DEBUG, as in production.
    setup_test_environment(debug=False)
    settings.ROOT_URLCONF = "bench.peer_admin"
    clear_url_caches()
    # The admin's delete_selected posts one field per row; the stock limit (1,000) would refuse 10k.
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = None
    settings.SHOP_WEBHOOK_SECRET = WEBHOOK_SECRET
    client = Client()
    client.force_login(list_page.superuser())
    contacts = Contact.objects.live().count()
    size = args.size or f"{contacts}"
    report = {
        "database": connection.vendor,
        "size": size,
        "contacts": contacts,
        "orders": Order.objects.count(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "cpus": os.cpu_count(),
        "load_average_before": os.getloadavg(),
        "warm_up": WARM_UP,
        "timed": TIMED,
    }
    sections = {
        "pages": functools.partial(_pages, peers=not args.app_only),
        "export": _export,
        "delete": _delete,
        "sync": _sync,
        "throughput": _throughput,
        "duplicates": _duplicates,
    }
    out = ROOT / "bench" / "results" / f"bench-{connection.vendor}-{size}"
    chosen = args.only.split(",")
    earlier = {}
    if set(chosen) != set(sections) or args.app_only:
        # A partial run (an L run takes half an hour, 15 minutes of it the admin's pages) refreshes its
        # sections and keeps the file's others, and with --app-only the admin's figures, as long as they
        # were measured on the same data (give or take the few hundred orders and buyers a sync section
        # leaves behind).
        earlier = _earlier(out.with_suffix(".json"), contacts=report["contacts"])
        report["seconds_by_section"] = earlier.get("seconds_by_section", {})
        report |= {name: earlier[name] for name in sections if name in earlier and name not in chosen}
        if "pages" not in chosen and "peers_measured_at" in earlier:
            report["peers_measured_at"] = earlier["peers_measured_at"]
    report.setdefault("seconds_by_section", {})
    for name in chosen:
        print(f"{name}…", file=sys.stderr, flush=True)
        section_started = time.monotonic()
        report[name] = sections[name](client)
        report["seconds_by_section"][name] = round(time.monotonic() - section_started)
    if args.app_only and "pages" in chosen and earlier.get("pages"):
        report["peers_measured_at"] = earlier.get("peers_measured_at", earlier["measured_at"])
        _keep_peers(report["pages"], earlier["pages"])
    report["seconds"] = sum(report["seconds_by_section"].values())
    report["targets"] = _targets(report)
    text = _markdown(report)
    print(text)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    out.with_suffix(".md").write_text(text)
    print(f"Wrote {out.relative_to(ROOT)}.json and .md")


def _earlier(path: Path, *, contacts: int) -> dict:
    """Return the results file's earlier run if it was on the same data, else nothing."""
    if not path.exists():
        return {}
    earlier = json.loads(path.read_text())
    return earlier if abs(earlier["contacts"] - contacts) <= contacts // 1000 else {}


def _keep_peers(pages: list[dict], earlier: list[dict]) -> None:
    """Give an app-only run's pages the admin's figures from an earlier run on the same data."""
    by_name = {row["name"]: row for row in earlier}
    for row in pages:
        for peer in ("stock_admin", "tuned_admin"):
            if (before := by_name.get(row["name"], {}).get(peer)) is not None:
                row[peer] = before | {"ratio": before["median_ms"] / row["app"]["median_ms"]}


# Pages ----------------------------------------------------------------------------------------------------


def _pages(client: Client, *, peers: bool = True) -> list[dict]:
    """Return each page's figures for the app and, where the admin has the same page, for both admins."""
    live = Contact.objects.live()
    selective = list_page._placeholders(client)
    label_ids = list(
        Label.objects.annotate(uses=Count("contacts")).order_by("-uses", "pk").values_list("pk", flat=True)[:2]
    )
    one, two = (str(pk) for pk in label_ids)
    whale = selective["whale"]
    per_page = settings.LIST_PAGE_SIZE
    last_admin_page = max(1, -(-Contact.objects.count() // per_page))
    domain = live.get(pk=int(whale)).email.split("@")[1]
    # Name, the app's URL, the admin's URL (None: the admin has no such page).
    pages = [
        ("List, first page", "/contacts/", ""),
        (f"List, deep page (Next {list_page.NEXT_LINKS}×)", selective["deep"], f"?p={list_page.NEXT_LINKS + 1}"),
        ("List, last page", "/contacts/?page=last", f"?p={last_admin_page}"),
        ("Search, selective (one email's name part)", f"/contacts/?q={selective['selective']}", None),
        ("Search, common (son)", "/contacts/?q=son", "?q=son"),
        ("Search, 2 characters (an)", "/contacts/?q=an", "?q=an"),
        (f"Search, email domain (@{domain})", f"/contacts/?q=%40{domain}", f"?q=%40{domain}"),
        ("One label", f"/contacts/?labels={one}", f"?labels__id__exact={one}"),
        ("Two labels (both)", f"/contacts/?labels={one}&labels={two}&labels_match=all", None),
        ("Label and search (son)", f"/contacts/?labels={one}&q=son", f"?labels__id__exact={one}&q=son"),
        ("A whale's contact page (500 orders, 2,000 activities)", f"/contacts/{whale}/", f"{whale}/change/"),
    ]
    selective_admin = f"?q={selective['selective']}"
    # Django's own floor for a page here (bench/peer_admin.py): every page is also given as a multiple of it.
    floor = _timed_get(client, "/bench-floor/")
    rows = [{"name": FLOOR, "app": floor, "stock_admin": None, "tuned_admin": None}]
    for name, url, admin_suffix in pages:
        if name.startswith("Search, selective"):
            admin_suffix = selective_admin
        print(f"  {name}", file=sys.stderr, flush=True)
        row = {"name": name, "app": _timed_get(client, url)}
        row["app"]["floor_ratio"] = row["app"]["median_ms"] / floor["median_ms"]
        for peer, prefix in (("stock_admin", STOCK), ("tuned_admin", TUNED)):
            row[peer] = _timed_get(client, prefix + admin_suffix) if peers and admin_suffix is not None else None
            if row[peer]:
                row[peer]["ratio"] = row[peer]["median_ms"] / row["app"]["median_ms"]
        rows.append(row)
    return rows


def _timed_get(client: Client, url: str) -> dict:
    figures = list_page.timed_get(client, url, warm_up=WARM_UP, timed=TIMED)
    if figures["status"] != 200:
        raise SystemExit(f"{url} answered {figures['status']}")
    return {name: figures[name] for name in ("url", "median_ms", "p95_ms", "queries")}


# Throughput -----------------------------------------------------------------------------------------------


def _throughput(client: Client) -> dict:
    """Requests per second under gunicorn (2 workers, 4 clients): the list against the floor (bench/throughput.py)."""
    return _child([str(ROOT / "bench" / "throughput.py")])


# Export ---------------------------------------------------------------------------------------------------


def _export(client: Client) -> list[dict]:
    rows = []
    for name, recent, label in (("all-full", "all", "All contacts, Full"), ("filter-10pc-full", "recent", "10%")):
        print(f"  {label}", file=sys.stderr, flush=True)
        app = _child([str(ROOT / "bench" / "export.py"), "--one", name])
        row = {"name": label, "app": app, "copy": None}
        if connection.vendor == "postgresql":
            row["copy"] = _child([__file__, "--copy", recent])
            row["copy"]["ratio"] = app["rows_per_s"] / row["copy"]["rows_per_s"]
        rows.append(row)
    return rows


def _child(command: list[str]) -> dict:
    done = subprocess.run(  # noqa: S603 -- our own scripts, with fixed arguments.
        [sys.executable, *command], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


# The Full export's columns, computed by PostgreSQL alone: the fastest the same file could leave it.
COPY_SQL = """
COPY (
  SELECT c.id, c.first_name, c.last_name, c.email, c.stage, c.source, c.created_at,
    c.address_line1, c.address_line2, c.city, c.region, c.postal_code, c.country,
    (SELECT string_agg(p.number || CASE WHEN p.label <> '' THEN ' (' || p.label || ')' ELSE '' END, '; '
       ORDER BY p.position, p.id) FROM customers_phonenumber p WHERE p.contact_id = c.id),
    (SELECT string_agg(l.name, '; ' ORDER BY lower(l.name), l.id)
       FROM customers_contact_labels cl JOIN customers_label l ON l.id = cl.label_id WHERE cl.contact_id = c.id),
    (SELECT string_agg(co.name || ' (' || CASE WHEN m.portal_access = 'company' THEN co.default_portal_access
       ELSE m.portal_access END || ')', '; ' ORDER BY co.name, m.id)
       FROM companies_membership m JOIN companies_company co ON co.id = m.company_id WHERE m.contact_id = c.id),
    c.marketing_consent,
    (SELECT max(r.given_at) FROM customers_consentrecord r WHERE r.contact_id = c.id AND r.channel = 'email'),
    (SELECT string_agg(r.given_at || ' ' || r.channel || ': ' || r.state || ' (' || r.source || ', '
       || r.opt_in_level || ') ' || r.collected_how, E'\\n' ORDER BY r.given_at DESC, r.id DESC)
       FROM customers_consentrecord r WHERE r.contact_id = c.id),
    c.orders_count, c.total_spent, c.last_order_at, c.details_locked
  FROM customers_contact c WHERE c.deleted_at IS NULL {extra} ORDER BY c.id
) TO STDOUT WITH (FORMAT csv, HEADER)
"""


def _copy_one(scope: str) -> dict:
    """Run COPY of the export's columns in this fresh process and return what bench/export.py reports."""
    live = Contact.objects.live()
    extra = ""
    if scope == "recent":
        tenth = live.order_by("-created_at").values_list("created_at", flat=True)[live.count() // 10]
        # The same bound as the app's export of created_from=<that day>; a timestamp we made, not input.
        extra = f"AND c.created_at >= '{day_span(tenth.date())[0].isoformat()}'"
    rows = live.filter(created_at__gte=day_span(tenth.date())[0]).count() if scope == "recent" else live.count()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(COPY_SQL.format(extra="AND c.id < 0")) as copy:
            for _ in copy:
                pass
        baseline = _peak_mb()
        started, cpu_started = time.perf_counter(), time.process_time()
        first_chunk, size = None, 0
        with raw.copy(COPY_SQL.format(extra=extra)) as copy:
            for chunk in copy:
                if first_chunk is None:
                    first_chunk = time.perf_counter() - started
                size += len(chunk)
        total = time.perf_counter() - started
    return {
        "rows": rows,
        "first_chunk_ms": (first_chunk or total) * 1000,
        "total_s": total,
        "rows_per_s": rows / total,
        "cpu_s": time.process_time() - cpu_started,
        "megabytes": size / 1_000_000,
        "baseline_mb": baseline,
        "peak_growth_mb": _peak_mb() - baseline,
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Delete ---------------------------------------------------------------------------------------------------


def _delete(client: Client) -> dict:
    live = Contact.objects.live()
    # The newest 10k by creation day, chosen through the list's own filter so the request deletes them.
    day = live.order_by("-created_at").values_list("created_at", flat=True)[min(DELETE_COUNT, live.count()) - 1]
    day = timezone.localdate(day) + timedelta(days=1)
    chosen = live.filter(created_at__gte=day_span(day)[0])
    count = chosen.count()
    ids = list(chosen.values_list("pk", flat=True))
    bound = Contact._meta.get_field("created_at").get_db_prep_value(day_span(day)[0], connection)
    where = "deleted_at IS NULL AND created_at >= %s"
    ways = [
        ("App: bulk delete to the Trash (confirm request)", None, lambda: _delete_request(client, day, count)),
        ("App: Delete permanently (contacts_purge)", _trash(chosen), lambda: _purge(ids)),
        ("Stock admin: delete_selected (confirm request)", None, lambda: _admin_delete(client, ids)),
        ("Plain SQL: UPDATE + INSERT events (to the Trash)", None, lambda: _trash_sql(where, bound)),
        ("Plain SQL: one DELETE per table", None, lambda: _delete_sql(where, bound)),
    ]
    measured = {name: {"times": [], "queries": 0} for name, _, _ in ways}
    for round_ in range(DELETE_RUNS + 1):
        for name, prepare, run in ways:
            print(f"  {name} (round {round_})", file=sys.stderr, flush=True)
            elapsed, queries = delete_bench._run_once(run, prepare=prepare)
            if round_ == 0:
                measured[name]["queries"] = queries
            else:
                measured[name]["times"].append(elapsed)
    raw_delete = statistics.median(measured[ways[-1][0]]["times"])
    raw_trash = statistics.median(measured[ways[-2][0]]["times"])
    return {
        "contacts": count,
        "with": delete_bench._rows_of(chosen),
        "ways": [
            {
                "name": name,
                "median_s": statistics.median(measured[name]["times"]),
                "min_s": min(measured[name]["times"]),
                "queries": measured[name]["queries"],
                "ratio_to_raw_delete": statistics.median(measured[name]["times"]) / raw_delete,
                "ratio_to_raw_trash": statistics.median(measured[name]["times"]) / raw_trash,
            }
            for name, _, _ in ways
        ],
    }


def _delete_request(client: Client, day, count: int) -> None:
    response = client.post(
        reverse("customers:bulk_delete"),
        {"query": f"created_from={day.isoformat()}", "scope": "matching", "confirm": "1", "count": str(count)},
    )
    if response.status_code != 302:
        raise SystemExit(f"The bulk delete answered {response.status_code}, not a redirect: it deleted nothing.")


def _trash(chosen) -> Callable[[], None]:
    def prepare() -> None:
        # contacts_purge takes contacts from the Trash; putting them there is not timed.
        Contact.objects.filter(pk__in=chosen.values("pk")).update(deleted_at=timezone.now())

    return prepare


def _purge(ids: list[int]) -> None:
    contacts_purge(contacts=Contact.objects.filter(pk__in=ids), actor=SYSTEM)


def _admin_delete(client: Client, ids: list[int]) -> None:
    data = {"action": "delete_selected", "_selected_action": ids, "post": "yes"}
    response = client.post(STOCK, data)
    if response.status_code != 302:
        raise SystemExit(f"The admin's delete_selected answered {response.status_code}: it deleted nothing.")


def _trash_sql(where: str, bound) -> None:
    now = Contact._meta.get_field("deleted_at").get_db_prep_value(timezone.now(), connection)
    data = delete_bench.Activity._meta.get_field("data").get_db_prep_save({}, connection)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE customers_contact SET deleted_at = %s WHERE {where}", [now, bound])  # noqa: S608
        cursor.execute(
            "INSERT INTO customers_activity (contact_id, kind, event, body, actor_kind, actor_id, data, created_at) "
            "SELECT id, 'event', 'trashed', 'Moved to the Trash', 'system', NULL, %s, %s "
            "FROM customers_contact WHERE deleted_at = %s",
            [data, now, now],
        )


def _delete_sql(where: str, bound) -> None:
    chosen = f"SELECT id FROM customers_contact WHERE {where}"  # noqa: S608 -- constant text
    with connection.cursor() as cursor:
        for table in delete_bench.CHILD_TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE contact_id IN ({chosen})", [bound])  # noqa: S608
        cursor.execute(f"UPDATE orders_order SET contact_id = NULL WHERE contact_id IN ({chosen})", [bound])  # noqa: S608
        cursor.execute(f"DELETE FROM customers_contact WHERE {where}", [bound])  # noqa: S608


# Order sync -----------------------------------------------------------------------------------------------


def _sync(client: Client) -> dict:
    run = time.strftime("%Y%m%d%H%M%S")
    rng = random.Random(run)
    known = list(
        Contact.objects.live()
        .filter(orders_count__lt=10)
        .order_by("pk")
        .values_list("email", flat=True)[: BATCH_ORDERS * 2 : 2]
    )

    def known_email() -> str:
        email = rng.choice(known)
        return email.upper() if rng.random() < 0.5 else email.capitalize()

    single = {
        "New buyer": _timed_webhook(client, lambda n: _payload(f"{run}-new-{n}", f"new-{run}-{n}@example.net", rng)),
        "Known customer, email in other case": _timed_webhook(
            client, lambda n: _payload(f"{run}-known-{n}", known_email(), rng)
        ),
    }
    # 70% known customers (a fifth with the email in other case), 30% new buyers, some buying twice.
    batch = []
    for n in range(BATCH_ORDERS):
        if rng.random() < 0.7:
            email = known_email() if rng.random() < 0.2 else rng.choice(known)
        else:
            email = f"batch-{run}-{rng.randrange(BATCH_ORDERS // 4)}@example.net"
        batch.append(_payload(f"{run}-batch-{n}", email, rng))
    print("  import_orders", file=sys.stderr, flush=True)
    imported = _import(batch)
    print("  INSERT … ON CONFLICT", file=sys.stderr, flush=True)
    plain = _insert_on_conflict(batch)
    print("  concurrent", file=sys.stderr, flush=True)
    return {
        "single": single,
        "batch": {
            "orders": len(batch),
            "import_orders": imported,
            "insert_on_conflict": plain,
            "ratio": plain["orders_per_s"] / imported["orders_per_s"],
        },
        "concurrent": _concurrent(run),
    }


def _payload(shop_order_id: str, email: str, rng: random.Random) -> dict:
    lines = [
        {"name": name, "sku": name[:3].upper(), "quantity": rng.randint(1, 3), "unit_price": price}
        for name, price in rng.sample(PRODUCTS, rng.randint(1, 3))
    ]
    subtotal = sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines)
    return {
        "id": shop_order_id,
        "email": email,
        "placed_at": timezone.now().isoformat(),
        "currency": "EUR",
        "customer": {"first_name": "Bench", "last_name": "Buyer", "phone": "", "accepts_marketing": False},
        "shipping_address": {"address1": "1 High Street", "city": "York", "zip": "YO1 7HH", "country_code": "GB"},
        "lines": lines,
        "shipping": "4.95",
        "tax": "0.00",
        "total": str(subtotal + Decimal("4.95")),
    }


def _timed_webhook(client: Client, payload: Callable[[int], dict]) -> dict:
    url = reverse("shop_order_webhook")
    times, queries = [], 0
    for n in range(WARM_UP + TIMED + 1):
        body = json.dumps(payload(n)).encode()
        headers = {SIGNATURE_HEADER: "sha256=" + _sign(body)}
        if n == WARM_UP + TIMED:
            with CaptureQueriesContext(connection) as captured:
                response = client.post(url, body, content_type="application/json", headers=headers)
            queries = len(captured)
        else:
            started = time.perf_counter()
            response = client.post(url, body, content_type="application/json", headers=headers)
            if n >= WARM_UP:
                times.append((time.perf_counter() - started) * 1000)
        if response.status_code not in (200, 201):
            raise SystemExit(f"The webhook answered {response.status_code}: {response.content[:300]!r}")
    return {
        "median_ms": statistics.median(times),
        "p95_ms": statistics.quantiles(times, n=20, method="inclusive")[-1],
        "queries": queries,
    }


def _sign(body: bytes) -> str:
    return hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()


def _import(batch: list[dict]) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.jsonl"
        path.write_text("".join(json.dumps(order) + "\n" for order in batch))
        started = time.perf_counter()
        call_command("import_orders", str(path), "--no-progress", stdout=io.StringIO(), stderr=sys.stderr)
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "orders_per_s": len(batch) / seconds}


def _insert_on_conflict(batch: list[dict]) -> dict:
    """Write the same orders with plain upserts, in a transaction rolled back: the floor, with no rules.

    Three statements run once per row each (executemany): upsert the buyer by normalised email, insert the
    order unless its shop id is known, insert its lines.
    """
    now = timezone.now()
    contact_sql = _insert_sql(Contact) + (
        " ON CONFLICT (email_normalized) WHERE deleted_at IS NULL DO UPDATE"
        " SET orders_count = customers_contact.orders_count + 1, last_order_at = excluded.updated_at"
    )
    contacts = [
        _row(Contact, now, {"email": order["email"], "stage": "customer", "source": "order"}) for order in batch
    ]
    # The parent of an order or a line is found by a subquery, as one statement per row can do.
    order_sql = _insert_sql(Order, contact_id=CONTACT_BY_EMAIL) + " ON CONFLICT (shop_order_id) DO NOTHING"
    order_values = {"status": "placed", "placed_at": now}
    orders = [
        _row(
            Order,
            now,
            {**order_values, "shop_order_id": order["id"], "buyer_email": order["email"], "total": order["total"]},
            contact_id=order["email"],
        )
        for order in batch
    ]
    line_sql = _insert_sql(OrderLine, order_id=ORDER_BY_SHOP_ID)
    lines = [
        _row(
            OrderLine,
            now,
            {**line, "total": Decimal(line["unit_price"]) * line["quantity"]},
            order_id=order["id"],
        )
        for order in batch
        for line in order["lines"]
    ]
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.executemany(contact_sql, contacts)
            cursor.executemany(order_sql, orders)
            cursor.executemany(line_sql, lines)
            seconds = time.perf_counter() - started
            raise delete_bench.Rollback
    except delete_bench.Rollback:
        pass
    return {"seconds": seconds, "orders_per_s": len(batch) / seconds, "rows": len(contacts) * 2 + len(lines)}


CONTACT_BY_EMAIL = "(SELECT id FROM customers_contact WHERE email_normalized = lower(%s) AND deleted_at IS NULL)"
ORDER_BY_SHOP_ID = "(SELECT id FROM orders_order WHERE shop_order_id = %s)"


def _fields(model) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and not getattr(field, "generated", False)
    ]


def _insert_sql(model, **subqueries: str) -> str:
    fields = _fields(model)
    columns = ", ".join(field.column for field in fields)
    values = ", ".join(subqueries.get(field.attname, "%s") for field in fields)
    # WHERE true: SQLite would read the ON of ON CONFLICT after a bare SELECT as a join's.
    return f"INSERT INTO {model._meta.db_table} ({columns}) SELECT {values} WHERE true"


def _row(model, now, values: dict, **raw) -> list:
    """Return a row's parameters in _fields order: given values, else timestamps or the field's default."""
    row = []
    for field in _fields(model):
        if field.attname in raw:
            row.append(raw[field.attname])
            continue
        value = values.get(field.attname, now if field.name in ("created_at", "updated_at") else field.get_default())
        row.append(field.get_db_prep_save(value, connection))
    return row


def _concurrent(run: str) -> dict:
    """Place 80 orders for 10 new buyers from 8 threads at once; count contacts per buyer afterwards."""
    variants = (str.lower, str.upper, str.capitalize, str.title)
    rng = random.Random(run)
    payloads = [
        _payload(f"{run}-race-{n}", variants[n % 4](f"race-{run}-{n % CONCURRENT_BUYERS}@example.net"), rng)
        for n in range(THREADS * CONCURRENT_BUYERS)
    ]
    start = threading.Barrier(THREADS)
    errors: list[str] = []

    def place(share: list[dict]) -> None:
        try:
            start.wait()
            for payload in share:
                try:
                    order_sync_placed(data=placed_order_from_payload(payload))
                except Exception as error:  # Every failure is counted and reported.
                    errors.append(f"{type(error).__name__}: {error}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=place, args=(payloads[n::THREADS],)) for n in range(THREADS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    buyers = Contact.objects.live().filter(email_normalized__startswith=f"race-{run}-")
    per_buyer = buyers.values("email_normalized").annotate(n=Count("pk"))
    return {
        "threads": THREADS,
        "orders": len(payloads),
        "buyers": CONCURRENT_BUYERS,
        "seconds": seconds,
        "errors": len(errors),
        "first_errors": errors[:3],
        "contacts": buyers.count(),
        "duplicates": sum(row["n"] - 1 for row in per_buyer),
        "orders_saved": Order.objects.filter(shop_order_id__startswith=f"{run}-race-").count(),
    }


# Duplicates -----------------------------------------------------------------------------------------------

FINDER_RUNS = 3


def _duplicates(client: Client) -> dict:
    """The duplicate finder over all contacts, and the live check of one contact that has a planted twin."""
    from merges.finder import duplicates_of, pairs_find
    from merges.models import DuplicatePair, Reason

    seconds = []
    for _ in range(FINDER_RUNS):
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            pairs = pairs_find()
        seconds.append(time.perf_counter() - started)
    by_reason = {reason.label: 0 for reason in Reason}
    for reasons in DuplicatePair.objects.values_list("reasons", flat=True).iterator():
        for reason in reasons:
            by_reason[Reason(reason).label] += 1
    twin = DuplicatePair.objects.order_by("id").first()
    check = {}
    if twin is not None:
        contact = Contact.objects.get(pk=twin.contact_id)
        timings = []
        for run in range(WARM_UP + TIMED):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as one:
                found = duplicates_of(contact=contact)
            if run >= WARM_UP:
                timings.append((time.perf_counter() - started) * 1000)
        check = {
            "median_ms": statistics.median(timings),
            "p95_ms": statistics.quantiles(timings, n=20)[-1],
            "queries": len(one),
            "found": len(found),
        }
    return {
        "whale_merge": _whale_merge(client),
        "pairs": pairs,
        "by_reason": by_reason,
        "median_s": statistics.median(seconds),
        "min_s": min(seconds),
        "queries": len(queries),
        "one_contact": check,
    }


class _RolledBack(Exception):
    pass


def _whale_merge(client: Client) -> dict:
    """Merge the whale (500 orders, 2,000 activity entries) into a new contact, timed, then roll it back."""
    from crm_core.actors import SYSTEM
    from customers.services import contact_create
    from merges.services.merge import MergeChoices, contacts_merge

    whale = Contact.objects.get(pk=int(list_page._placeholders(client)["whale"]))
    moved = {"orders": whale.orders.count(), "activities": whale.activities.count()}
    try:
        with transaction.atomic():
            survivor = contact_create(email="bench-survivor@example.com", actor=SYSTEM)
            versions = dict(Contact.objects.filter(pk__in=[survivor.pk, whale.pk]).values_list("pk", "updated_at"))
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                contacts_merge(
                    survivor_id=survivor.pk, merged_id=whale.pk, choices=MergeChoices(), versions=versions, actor=SYSTEM
                )
            seconds = time.perf_counter() - started
            raise _RolledBack
    except _RolledBack:
        pass
    return {"seconds": seconds, "queries": len(queries), **moved}


# Report ---------------------------------------------------------------------------------------------------


def _targets(report: dict) -> list[dict]:
    """Return the targets (issue 22's: PostgreSQL at L, and SQLite at M against the admin) with this run's figures."""
    targets = []
    postgresql = report["database"] == "postgresql"

    def target(name: str, figure: float, goal: str, met: bool) -> None:
        targets.append({"target": name, "figure": figure, "goal": goal, "met": met})

    if pages := report.get("pages"):
        by_name = {row["name"].split(" (")[0]: row for row in pages}
        lists = [by_name[name]["app"] for name in ("List, first page", "List, deep page", "List, last page")]
        if all("floor_ratio" in app for app in lists):
            most = max(app["floor_ratio"] for app in lists)
            target("List's first, deep and last page over the floor (the most)", round(most, 1), "≤ 4", most <= 4)
        compared = [row for row in pages[1:-1] if row["stock_admin"]]
        if compared:
            least = min(row["stock_admin"]["ratio"] for row in compared)
            goal = 10 if postgresql else 2
            target(
                "Every list, search and label page: times faster than the stock admin (the least)",
                round(least, 1),
                f"≥ {goal}",
                least >= goal,
            )
        whale = pages[-1]
        if whale["stock_admin"]:
            ratio = whale["stock_admin"]["ratio"]
            target(
                "Whale's contact page: times faster than the admin's change form",
                round(ratio, 2),
                "≥ 1.5",
                ratio >= 1.5,
            )
        target("Whale's contact page, queries", whale["app"]["queries"], "≤ 8", whale["app"]["queries"] <= 8)
        two = by_name["Two labels"]["app"]["median_ms"] / by_name["One label"]["app"]["median_ms"]
        target("Two labels (both) over one label", round(two, 2), "≤ 1.5", two <= 1.5)
    if export := report.get("export"):
        if export[0]["copy"]:
            share = export[0]["copy"]["ratio"]
            target("Export all: share of COPY's rows per second", round(share, 2), "≥ 0.6", share >= 0.6)
        first = max(row["app"]["first_chunk_ms"] for row in export)
        target("Export: first chunk (ms, the most)", round(first), "≤ 200", first <= 200)
        growth = max(row["app"]["peak_growth_mb"] for row in export)
        target("Export: peak RSS growth (MB)", round(growth, 1), "≤ 50", growth <= 50)
    if throughput := report.get("throughput"):
        share = throughput["list_share_of_floor"]
        target("Gunicorn, 2 workers, c=4: list's requests/s over the floor's", round(share, 2), "≥ 0.3", share >= 0.3)
    if deleting := report.get("delete"):
        ratio = deleting["ways"][0]["ratio_to_raw_delete"]
        target(f"Delete {deleting['contacts']:,} to the Trash over raw DELETE", round(ratio, 2), "≤ 3", ratio <= 3)
    if sync := report.get("sync"):
        duplicates = sync["concurrent"]["duplicates"]
        target("Concurrent order sync: duplicate contacts", duplicates, "0", duplicates == 0)
    return targets


def _markdown(report: dict) -> str:
    out = [
        f"## {report['database']}, {report['size']}: {report['contacts']:,} live contacts, {report['orders']:,} orders",
        "",
        f"Measured {report['measured_at']} on {report['cpus']} CPUs (load average before: "
        f"{report['load_average_before'][0]:.1f}); {report['seconds']} s in all ("
        + ", ".join(f"{name} {seconds} s" for name, seconds in report["seconds_by_section"].items())
        + ").",
        "",
    ]
    if pages := report.get("pages"):
        out += [
            f"Server time through Django's test client: median and p95 of {report['timed']} requests after "
            f"{report['warm_up']} warm-ups, ms; queries per request; × = the admin's median over the app's."
            + (
                f" The admin's figures are from the run of {report['peers_measured_at']} on the same data."
                if report.get("peers_measured_at")
                else ""
            ),
            "",
            "| Page | App median | App p95 | App queries | × floor | Stock admin median | × | Queries "
            "| Tuned admin median | × |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in pages:
            app, stock, tuned = row["app"], row["stock_admin"], row["tuned_admin"]
            floor = f"{app['floor_ratio']:.1f}×" if "floor_ratio" in app else ""
            out.append(
                f"| {row['name']} | {app['median_ms']:.1f} | {app['p95_ms']:.1f} | {app['queries']} | {floor} | "
                + (
                    f"{stock['median_ms']:.1f} | {stock['ratio']:.1f}× | {stock['queries']} | "
                    if stock
                    else "n/a | | | "
                )
                + (f"{tuned['median_ms']:.1f} | {tuned['ratio']:.1f}× |" if tuned else "n/a | |")
            )
        out.append("")
    if export := report.get("export"):
        out += [
            "Export, Full columns, each in a fresh process; RSS growth is the peak over the process's baseline.",
            "",
            "| Export | Rows | App rows/s | First chunk ms | Peak RSS growth MB | COPY rows/s | COPY RSS growth MB "
            "| App / COPY |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in export:
            app, copy = row["app"], row["copy"]
            out.append(
                f"| {row['name']} | {app['rows']:,} | {app['rows_per_s']:,.0f} | {app['first_chunk_ms']:.0f} | "
                f"{app['peak_growth_mb']:.1f} | "
                + (
                    f"{copy['rows_per_s']:,.0f} | {copy['peak_growth_mb']:.1f} | {copy['ratio']:.2f} |"
                    if copy
                    else "n/a (no COPY in SQLite) | | |"
                )
            )
        out.append("")
    if deleting := report.get("delete"):
        out += [
            f"Deleting {deleting['contacts']:,} contacts with "
            + ", ".join(f"{count:,} {name}" for name, count in deleting["with"].items())
            + f"; median of {DELETE_RUNS} runs, each rolled back.",
            "",
            "| Way | Median s | Min s | Statements | × raw DELETE | × raw UPDATE to the Trash |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for way in deleting["ways"]:
            out.append(
                f"| {way['name']} | {way['median_s']:.2f} | {way['min_s']:.2f} | {way['queries']:,} | "
                f"{way['ratio_to_raw_delete']:.2f} | {way['ratio_to_raw_trash']:.2f} |"
            )
        out.append("")
    if sync := report.get("sync"):
        batch, race = sync["batch"], sync["concurrent"]
        out += [
            "| Order sync | Median ms | p95 ms | Queries |",
            "|---|---:|---:|---:|",
            *(
                f"| Webhook, one order: {name} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} | {row['queries']} |"
                for name, row in sync["single"].items()
            ),
            "",
            "| Batch of the same orders | Seconds | Orders/s |",
            "|---|---:|---:|",
            f"| import_orders, {batch['orders']:,} orders (70% known buyers) | {batch['import_orders']['seconds']:.1f} "
            f"| {batch['import_orders']['orders_per_s']:,.0f} |",
            f"| Plain INSERT … ON CONFLICT (no rules: no locks, events, suggestions) "
            f"| {batch['insert_on_conflict']['seconds']:.2f} | {batch['insert_on_conflict']['orders_per_s']:,.0f} |",
            "",
            f"Concurrent sync: {race['threads']} threads placed {race['orders']} orders "
            f"for {race['buyers']} new buyers "
            f"(emails in 4 letter cases) in {race['seconds']:.1f} s: {race['contacts']} contacts, "
            f"{race['duplicates']} duplicates, {race['orders_saved']} orders saved, {race['errors']} errors.",
            "",
        ]
    if throughput := report.get("throughput"):
        out += [
            f"Under gunicorn ({throughput['workers']} workers, DEBUG off, CONN_MAX_AGE={throughput['conn_max_age']}), "
            f"{throughput['concurrency']} keep-alive clients on the same CPUs, {throughput['seconds']:.0f} s each "
            "after a warm-up:",
            "",
            "| URL | Requests/s | × floor |",
            "|---|---:|---:|",
            f"| Floor ({throughput['floor']['url']}) | {throughput['floor']['requests_per_s']:,.0f} | 1.00 |",
            f"| Contacts list, first page | {throughput['list']['requests_per_s']:,.0f} "
            f"| {throughput['list_share_of_floor']:.2f} |",
            "",
        ]
    if duplicates := report.get("duplicates"):
        one = duplicates["one_contact"]
        out += [
            f"Duplicate finder over every live contact, median of {FINDER_RUNS} runs: "
            f"{duplicates['median_s']:.2f} s (fastest {duplicates['min_s']:.2f} s, {duplicates['queries']} queries), "
            f"{duplicates['pairs']:,} pairs ("
            + ", ".join(f"{name.lower()}: {count:,}" for name, count in duplicates["by_reason"].items())
            + ")."
            + (
                f" One contact's live check: median {one['median_ms']:.1f} ms, p95 {one['p95_ms']:.1f} ms, "
                f"{one['queries']} queries."
                if one
                else ""
            ),
            "",
        ]
        whale = duplicates["whale_merge"]
        out += [
            f"Merging the whale ({whale['orders']:,} orders, {whale['activities']:,} activity entries) into a new "
            f"contact: {whale['seconds'] * 1000:.0f} ms, {whale['queries']} queries (rolled back after).",
            "",
        ]
    out += [
        "| Target (PostgreSQL at L; on SQLite at M the admin goal is ≥ 2×) | This run | Goal | Met |",
        "|---|---:|---:|---|",
    ]
    out += [
        f"| {t['target']} | {t['figure']} | {t['goal']} | {'yes' if t['met'] else '**no**'} |"
        for t in report["targets"]
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    main()
