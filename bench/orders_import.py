"""Time `manage.py import_orders` on a Shopify orders export beside plain upserts of the same rows (PostgreSQL).

    DATABASE_URL=postgres://…/bench .venv/bin/python bench/orders_import.py [--orders 10000]

The database in DATABASE_URL (filled by bench/data.py) is copied to two scratch databases (CREATE
DATABASE … TEMPLATE), one for the import and one for the peer, dropped afterwards: it is left as it was.
A Shopify orders CSV is written with --orders orders of one to three line items: half from live contacts
of the database (a fifth of those with the email in upper case), half from new buyers who order about
four times each; one in ten cancelled (refunded), one in five ticked marketing. Then, each in a fresh
process on the copy:

- Import: `manage.py import_orders FILE --shop bench.myshopify.com`, every rule and the per-order report.
- Peer: the same orders and lines as plain upserts: per order one INSERT … ON CONFLICT DO NOTHING RETURNING
  id and one INSERT of its lines, 500 orders to a transaction as the import takes them, with no contact,
  no rule and no timeline — the floor of writing those rows one order at a time.

Prints a markdown table and writes bench/results/orders_import-postgresql-<contacts>.json and .md.
"""

# ruff: noqa: S311 -- `random` makes reproducible test data here, never secrets.

import csv
import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

SHOP = "bench.myshopify.com"
HEADER = (ROOT / "tests" / "fixtures" / "shops" / "shopify-orders-export-header.csv").read_text().strip().split(",")
PRODUCTS = [("Ceramic mug", "MUG-1", "14.00"), ("Tea towel", "TT-2", "6.50"), ("Teapot", "POT-3", "32.00")]
CITIES = ["York", "Leeds", "Bristol", "Cardiff", "Derby"]
BATCH = 500
settings.DEBUG = False


def _write_file(path: Path, count: int) -> list[dict]:
    """Write the export; return the orders as the peer inserts them."""
    rng = random.Random(2026)
    from customers.models import Contact

    known = list(Contact.objects.live().order_by("pk").values_list("email", flat=True)[: count // 2])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    orders = []
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=HEADER)
        writer.writeheader()
        for number in range(count):
            if number % 2 and known:
                email = known[(number // 2) % len(known)]
                email = email.upper() if number % 10 == 1 else email
            else:
                email = f"buyer{rng.randrange(count // 4)}@orders.example"
            lines = [rng.choice(PRODUCTS) for _ in range(rng.randint(1, 3))]
            subtotal = sum(float(price) for _, _, price in lines)
            placed = start + timedelta(minutes=number)
            cancelled = number % 10 == 7
            first = {
                "Name": f"#{1000 + number}",
                "Email": email,
                "Financial Status": "refunded" if cancelled else "paid",
                "Fulfillment Status": "unfulfilled",
                "Accepts Marketing": "yes" if number % 5 == 0 else "no",
                "Currency": "EUR",
                "Subtotal": f"{subtotal:.2f}",
                "Shipping": "4.95",
                "Taxes": "0.00",
                "Total": f"{subtotal + 4.95:.2f}",
                "Discount Amount": "0.00",
                "Created at": placed.strftime("%Y-%m-%d %H:%M:%S +0000"),
                "Billing Name": f"Buyer{number % 97} Lee",
                "Shipping Name": f"Buyer{number % 97} Lee",
                "Shipping Address1": f"{number % 200} High Street",
                "Shipping City": CITIES[number % len(CITIES)],
                "Shipping Zip": "YO1 7HH",
                "Shipping Country": "GB",
                "Phone": f"+4477009{number % 100000:05d}" if number % 3 == 0 else "",
                "Cancelled at": placed.strftime("%Y-%m-%d %H:%M:%S +0000") if cancelled else "",
                "Id": str(5_000_000_000 + number),
            }
            for index, (name, sku, price) in enumerate(lines):
                row = dict(first) if index == 0 else {"Name": first["Name"], "Email": email}
                row.update(
                    {"Lineitem quantity": "1", "Lineitem name": name, "Lineitem price": price, "Lineitem sku": sku}
                )
                writer.writerow(row)
            orders.append({"id": f"shopify:bench:{first['Id']}", "email": email, "placed_at": placed, "lines": lines})
    return orders


def _import(path: str) -> dict:
    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_orders", path, "--shop", SHOP, stdout=out)
    total = time.perf_counter() - started
    summary = out.getvalue().splitlines()[0]
    return {"total_s": total, "summary": summary}


def _peer(path: str) -> dict:
    orders = json.loads(Path(path).read_text())
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("BEGIN")
        for start in range(0, len(orders), BATCH):
            for order in orders[start : start + BATCH]:
                cursor.execute(
                    "INSERT INTO orders_order (created_at, updated_at, shop_order_id, shop_name, status, buyer_email,"
                    " buyer_first_name, buyer_last_name, buyer_phone, currency, subtotal, shipping, tax, discount,"
                    " total, placed_at, buyer_unread, address_line1, address_line2, city, region, postal_code,"
                    " country) VALUES (now(), now(), %s, '', 'paid', %s, '', '', '', 'EUR', 0, 0, 0, 0, 0, %s,"
                    " '[]', '', '', '', '', '', '') ON CONFLICT (shop_order_id) DO NOTHING RETURNING id",
                    [order["id"], order["email"], order["placed_at"]],
                )
                order_id = cursor.fetchone()[0]
                values = ", ".join(["(%s, %s, %s, 1, %s, %s, %s)"] * len(order["lines"]))
                params = []
                for position, (name, sku, price) in enumerate(order["lines"]):
                    params += [order_id, name, sku, price, price, position]
                cursor.execute(
                    "INSERT INTO orders_orderline (order_id, name, sku, quantity, unit_price, total, position)"  # noqa: S608 -- placeholders only
                    f" VALUES {values}",
                    params,
                )
            cursor.execute("COMMIT")
            cursor.execute("BEGIN")
        cursor.execute("COMMIT")
    total = time.perf_counter() - started
    return {"total_s": total}


def _child(database: str, *args: str) -> dict:
    url = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{url['USER']}@{url['HOST']}:{url['PORT']}/{database}",
        "SHOPIFY_SHOP_DOMAINS": SHOP,
    }
    done = subprocess.run(  # noqa: S603 -- this script, with fixed arguments.
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False, cwd=ROOT, env=env
    )
    if done.returncode:
        raise SystemExit(f"{args[0]} failed:\n{done.stderr[-3000:]}")
    line = done.stdout.strip().splitlines()[-1]
    print(f"  {args[0]}: {line}", file=sys.stderr, flush=True)
    return json.loads(line)


def _admin(sql: str) -> None:
    """Run one statement on the server's postgres database: a template must have no connections."""
    import psycopg

    url = settings.DATABASES["default"]
    connections.close_all()
    with psycopg.connect(
        dbname="postgres",
        user=url["USER"],
        host=url["HOST"],
        port=url["PORT"],
        password=url["PASSWORD"] or None,
        autocommit=True,
    ) as admin:
        admin.execute(sql)


def main() -> None:
    if sys.argv[1:2] == ["--import"]:
        print(json.dumps(_import(sys.argv[2])))
        return
    if sys.argv[1:2] == ["--peer"]:
        print(json.dumps(_peer(sys.argv[2])))
        return
    if connection.vendor != "postgresql":
        raise SystemExit("This bench compares against PostgreSQL's upserts: run it with a postgres:// DATABASE_URL.")
    count = int(sys.argv[sys.argv.index("--orders") + 1]) if "--orders" in sys.argv else 10_000
    from customers.models import Contact

    contacts = Contact.objects.live().count()
    source = settings.DATABASES["default"]["NAME"]
    scratch = f"{source}_orders_bench"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders_export.csv"
        orders = _write_file(path, count)
        peer_file = Path(folder) / "peer.json"
        peer_file.write_text(json.dumps(orders, default=str))
        rows = sum(len(order["lines"]) for order in orders)
        # Each on a copy of its own, so neither finds the other's rows.
        for name in (scratch, f"{scratch}_peer"):
            _admin(f'DROP DATABASE IF EXISTS "{name}"')
            _admin(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
        imported = _child(scratch, "--import", str(path))
        again = _child(scratch, "--import", str(path))
        peer = _child(f"{scratch}_peer", "--peer", str(peer_file))
    for name in (scratch, f"{scratch}_peer"):
        _admin(f'DROP DATABASE IF EXISTS "{name}"')
    results = {
        "database": "postgresql",
        "contacts": contacts,
        "orders": count,
        "csv_rows": rows,
        "import": imported | {"orders_per_s": count / imported["total_s"]},
        "import_again": again | {"orders_per_s": count / again["total_s"]},
        "peer_upserts": peer | {"orders_per_s": count / peer["total_s"]},
    }
    results["ratio_to_peer"] = results["import"]["orders_per_s"] / results["peer_upserts"]["orders_per_s"]
    table = "\n".join(
        [
            f"## Order import: {count:,} Shopify-export orders ({rows:,} rows), {contacts:,} contacts, PostgreSQL",
            "",
            "| Step | Total | Orders/s |",
            "| --- | ---: | ---: |",
            f"| `import_orders` (every rule, per-order report) | {imported['total_s']:.1f} s | "
            f"{results['import']['orders_per_s']:,.0f} |",
            f"| The same file again (every order already imported) | {again['total_s']:.1f} s | "
            f"{results['import_again']['orders_per_s']:,.0f} |",
            f"| Peer: plain INSERT … ON CONFLICT of the orders and lines | {peer['total_s']:.1f} s | "
            f"{results['peer_upserts']['orders_per_s']:,.0f} |",
            "",
            f"Import / peer: {results['ratio_to_peer']:.2f}×. {imported['summary']}",
        ]
    )
    print(table)
    out = ROOT / "bench" / "results" / f"orders_import-postgresql-{contacts}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(table + "\n")


if __name__ == "__main__":
    main()
