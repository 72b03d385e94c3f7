"""Time the contacts list on the server, against the database in DATABASE_URL (fill it with bench/data.py).

    DATABASE_URL=... .venv/bin/python bench/list_page.py

Each request goes through Django's test client as a superuser, so the times are the server's own: URL
routing, middleware, queries and template, without a network. Prints a markdown table and writes
bench/results/list_page-<database>-<contacts>.json.
"""

import html
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from customers.models import Contact, Label  # noqa: E402

# The requests timed: a name and a URL, whose {placeholders} are filled from the data (see _placeholders).
REQUESTS = [
    ("First page", "/contacts/"),
    ("Last page", "/contacts/?page=last"),
    ("Deep page (Next followed 20 times)", "{deep}"),
    ("Search, selective (one email)", "/contacts/?q={selective}"),
    ("Search, common (3 letters)", "/contacts/?q={common}"),
    ("One label (the most used)", "/contacts/?labels={label}"),
    ("A whale's contact page (500 orders, 2,000 activity entries)", "/contacts/{whale}/"),
]
COMMON_TERM = "son"  # Johnson, Wilson, Robinson, … in a few per cent of names
NEXT_LINKS = 20
WARM_UP = 5
TIMED = 30

ANCHOR = re.compile(r"<a\b[^>]*>", re.IGNORECASE)
NEXT_REL = re.compile(r"""\brel=["']?next\b""", re.IGNORECASE)
HREF = re.compile(r"""\bhref=["']([^"']*)["']""", re.IGNORECASE)


def main() -> None:
    # What Django's test runner does: allow the test client's host, and no DEBUG, as in production.
    setup_test_environment(debug=False)
    client = Client()
    client.force_login(superuser())
    contacts = Contact.objects.live().count()
    placeholders = _placeholders(client)
    results = [_measure(client, name, url.format(**placeholders)) for name, url in REQUESTS]
    report = {
        "database": connection.vendor,
        "contacts": contacts,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "warm_up": WARM_UP,
        "timed": TIMED,
        "results": results,
    }
    print(f"Contacts list, {connection.vendor}, {contacts:,} contacts, median and p95 of {TIMED} requests\n")
    print("| Request | URL | Status | Median ms | p95 ms | Queries |")
    print("|---|---|---|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['name']} | `{row['url']}` | {row['status']} | {row['median_ms']:.1f} | {row['p95_ms']:.1f} "
            f"| {row['queries']} |"
        )
    out = ROOT / "bench" / "results" / f"list_page-{connection.vendor}-{contacts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")


def superuser():
    """Return the benchmarks' superuser, created on first use; every bench script signs in as it."""
    user_model = get_user_model()
    user = user_model.objects.filter(username="bench").first()
    return user or user_model.objects.create_superuser("bench", email="bench@example.com", password=None)


def _placeholders(client: Client) -> dict[str, str]:
    live = Contact.objects.live()
    last_id = live.order_by("-pk").values_list("pk", flat=True).first() or 0
    # The local part of one contact's email, from the middle of the table: it matches that contact only.
    email = live.filter(pk__gte=last_id // 2).order_by("pk").values_list("email", flat=True).first() or ""
    label = Label.objects.annotate(uses=Count("contacts")).order_by("-uses", "pk").first()
    return {
        "selective": email.split("@")[0],
        "common": COMMON_TERM,
        "label": str(label.pk if label else ""),
        "deep": _follow_next(client, "/contacts/", NEXT_LINKS),
        "whale": str(live.order_by("-orders_count", "pk").values_list("pk", flat=True).first() or 0),
    }


def _follow_next(client: Client, url: str, times: int) -> str:
    """Return the URL reached by following the page's rel="next" link the given number of times."""
    for followed in range(times):
        page = client.get(url).content.decode()
        links = [tag for tag in ANCHOR.findall(page) if NEXT_REL.search(tag) and HREF.search(tag)]
        if not links:
            print(f"Only {followed} Next links from /contacts/; timing the last page reached.", file=sys.stderr)
            break
        url = urljoin(url, html.unescape(HREF.search(links[0]).group(1)))
    return url


def _measure(client: Client, name: str, url: str) -> dict:
    return {"name": name, **timed_get(client, url, warm_up=WARM_UP, timed=TIMED)}


def timed_get(client: Client, url: str, *, warm_up: int, timed: int) -> dict:
    """Return a GET's median and p95 server time over `timed` requests after `warm_up`, and its queries."""
    for _ in range(warm_up):
        client.get(url)
    times = []
    for _ in range(timed):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    # Counted on a request of its own: recording queries slows them a little.
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return {
        "url": url,
        "status": response.status_code,
        "median_ms": statistics.median(times),
        "p95_ms": statistics.quantiles(times, n=20, method="inclusive")[-1],
        "queries": len(queries),
        "times_ms": [round(value, 2) for value in times],
    }


if __name__ == "__main__":
    main()
