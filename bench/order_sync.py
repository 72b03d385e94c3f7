"""Measure order sync: queries per single order, and the import rate of a 10k-order file.

    .venv/bin/python bench/order_sync.py                                   # SQLite (a file in .cache/)
    scripts/with-postgres .venv/bin/python bench/order_sync.py             # PostgreSQL
    .venv/bin/python bench/order_sync.py --orders 2000 --format csv

Runs on a fresh test database of its own (the one in DATABASE_URL is left alone; SQLite gets a file, not
memory, so writes cost what they cost in production). It writes a generated order file (a few thousand
buyers, a fifth of their orders typed with the email in other case, some with phones, 1–4 lines each),
counts the queries of single syncs with CaptureQueriesContext, then times `manage.py import_orders` on the
file and again on the same file (every order a replay). Prints a table and writes
bench/results/order_sync-<database>-<orders>.json.
"""

# ruff: noqa: S311 -- `random` makes reproducible test data here, never secrets.

import argparse
import csv
import io
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")
os.environ.setdefault("SQLITE_TEST_NAME", str(ROOT / ".cache" / "bench-order-sync.sqlite3"))

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from customers.models import Contact  # noqa: E402
from orders.management.commands.import_orders import CSV_COLUMNS, CSV_ORDER_COLUMNS  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.payload import placed_order_from_payload  # noqa: E402
from orders.services import order_sync_placed  # noqa: E402

SEED = 2026
FIRST = ["Ann", "Ben", "Cara", "Dev", "Eve", "Finn", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lea"]
LAST = ["Lee", "Khan", "Smith", "Jones", "Okafor", "Novak", "Rossi", "Evans", "Patel", "Brown"]
CITIES = ["York", "Leeds", "Bristol", "Cardiff", "Derby", "Exeter", "Hull", "Bath"]
PRODUCTS = [("Ceramic mug", "14.00"), ("Tea towel", "6.50"), ("Teapot", "32.00"), ("Coasters", "9.95")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    args = parser.parse_args()
    # As in production: no DEBUG, so Django does not keep every query it runs.
    setup_test_environment(debug=False)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        report = _measure(args.orders, args.format)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    _print(report)
    out = ROOT / "bench" / "results" / f"order_sync-{report['database']}-{args.orders}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")


def _measure(count: int, file_format: str) -> dict:
    queries = _queries_per_sync()
    Order.objects.all().delete()
    Contact.objects.all().delete()
    orders = generate_orders(count)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"orders.{file_format}"
        (write_csv if file_format == "csv" else write_jsonl)(orders, path)
        first = _import(path)
        again = _import(path)
    return {
        "database": connection.vendor,
        "orders": count,
        "format": file_format,
        "buyers": len({order["email"].lower() for order in orders}),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "queries_per_sync": queries,
        "import": first,
        "import_again": again,
        "contacts_after": Contact.objects.count(),
        "orders_after": Order.objects.count(),
    }


def _queries_per_sync() -> dict[str, int]:
    """Count the queries of one sync in each situation an order meets, each on its own."""
    situations = {
        "new email": _order("1", "ann@example.com"),
        "known customer, same details": _order("2", "ann@example.com"),
        "known customer, same details, ticked marketing": _order("3", "ann@example.com", accepts_marketing=True),
        "known customer, case variant, new name, city and phone": _order(
            "4", "ANN@Example.com", first_name="Annie", city="Leeds", phone="+44 20 7946 0123"
        ),
        "replay": _order("1", "ann@example.com"),
        "re-sent with other content": _order("1", "ann@example.com", first_name="Anne"),
        "re-sent with the same other content again": _order("1", "ann@example.com", first_name="Anne"),
    }
    counts = {}
    for name, payload in situations.items():
        data = placed_order_from_payload(payload)
        with CaptureQueriesContext(connection) as captured:
            order_sync_placed(data=data)
        counts[name] = len(captured)
    return counts


def _order(shop_order_id: str, email: str, *, first_name="Ann", city="York", phone="", accepts_marketing=False):
    return {
        "id": shop_order_id,
        "email": email,
        "placed_at": "2026-03-01T10:00:00+00:00",
        "currency": "EUR",
        "customer": {
            "first_name": first_name,
            "last_name": "Lee",
            "phone": phone,
            "accepts_marketing": accepts_marketing,
        },
        "shipping_address": {"address1": "1 High Street", "city": city, "zip": "YO1 7HH", "country_code": "GB"},
        "lines": [{"name": "Ceramic mug", "sku": "MUG", "quantity": 2, "unit_price": "14.00"}],
        "shipping": "4.95",
    }


def generate_orders(count: int) -> list[dict]:
    """Return `count` orders from about count / 2.5 buyers, shuffled; a fifth use the email in other case."""
    rng = random.Random(SEED)
    buyers = max(1, int(count / 2.5))
    start = datetime(2025, 1, 1, tzinfo=UTC)
    orders = []
    for number in range(count):
        buyer = rng.randrange(buyers)
        email = f"buyer{buyer}@example.com"
        if rng.random() < 0.2:
            email = email.capitalize() if rng.random() < 0.5 else email.upper()
        lines = []
        for name, price in rng.sample(PRODUCTS, rng.randint(1, 4)):
            lines.append({"name": name, "sku": name[:3].upper(), "quantity": rng.randint(1, 3), "unit_price": price})
        subtotal = sum(Decimal(line["unit_price"]) * line["quantity"] for line in lines)
        orders.append(
            {
                "id": str(100_000 + number),
                "email": email,
                "placed_at": (start + timedelta(minutes=rng.randrange(525_600))).isoformat(),
                "currency": "EUR",
                "customer": {
                    "first_name": FIRST[buyer % len(FIRST)],
                    "last_name": LAST[buyer % len(LAST)],
                    "phone": f"+44 20 7946 0{buyer % 1000:03d}" if buyer % 3 == 0 else "",
                    "accepts_marketing": rng.random() < 0.3,
                },
                "shipping_address": {
                    "address1": f"{buyer % 200 + 1} High Street",
                    "city": rng.choice(CITIES),
                    "zip": "YO1 7HH",
                    "country_code": "GB",
                },
                "lines": lines,
                "shipping": "4.95",
                "tax": "0.00",
                "total": str(subtotal + Decimal("4.95")),
            }
        )
    return orders


def write_jsonl(orders: list[dict], path: Path) -> None:
    with path.open("w") as handle:
        for order in orders:
            handle.write(json.dumps(order) + "\n")


def write_csv(orders: list[dict], path: Path) -> None:
    """Write one row per order line; the order's own columns on its first row only, as the shop exports."""
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_COLUMNS)
        for order in orders:
            flat = {**order, **order["customer"], **order["shipping_address"]}
            order_values = {name: flat.get(name, "") for name in CSV_ORDER_COLUMNS}
            for index, line in enumerate(order["lines"]):
                values = {
                    **(order_values if index == 0 else {"id": order["id"]}),
                    **{f"line_{key}": value for key, value in line.items()},
                }
                writer.writerow([values.get(name, "") for name in CSV_COLUMNS])


def _import(path: Path) -> dict:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_orders", str(path), "--no-progress", stdout=out, stderr=io.StringIO())
    seconds = time.perf_counter() - started
    orders = sum(1 for line in path.read_text().splitlines() if line.strip())
    if path.suffix == ".csv":
        orders = len({row["id"] for row in csv.DictReader(path.open(newline=""))})
    return {"seconds": round(seconds, 2), "orders_per_second": round(orders / seconds, 1), "summary": out.getvalue()}


def _print(report: dict) -> None:
    print(f"Order sync, {report['database']}, {report['orders']:,} orders from {report['buyers']:,} buyers\n")
    print("| Single sync | Queries |")
    print("|---|---:|")
    for name, count in report["queries_per_sync"].items():
        print(f"| {name} | {count} |")
    print(f"\n| Import of the {report['format']} file | Seconds | Orders per second |")
    print("|---|---:|---:|")
    for name, label in (("import", "first run"), ("import_again", "same file again")):
        row = report[name]
        print(f"| {label} | {row['seconds']} | {row['orders_per_second']:,} |")
    print(f"\n{report['import']['summary'].strip()}\n{report['import_again']['summary'].strip()}")


if __name__ == "__main__":
    main()
