"""Time the contacts export against the database in DATABASE_URL (fill it with bench/data.py).

    DATABASE_URL=... .venv/bin/python bench/export.py
    scripts/with-postgres sh -c '.venv/bin/python manage.py migrate -v0 &&
        .venv/bin/python bench/data.py --size M && .venv/bin/python bench/export.py'

Each export is posted to the real view through Django's test client as a superuser, and its stream is
consumed chunk by chunk as a WSGI server would send it, in a fresh process of its own so that its peak
resident set size is its own. Reported per export: time to the first chunk (from the POST), total time,
rows per second, the process's own CPU time, megabytes written, and how far the peak RSS rose over the
process's baseline after a 20-row warm-up export. Prints a markdown table and writes
bench/results/export-<database>-<contacts>.json.
"""

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from bench.list_page import superuser  # noqa: E402
from customers.models import Contact, ExportLog  # noqa: E402

# This times the streamed download; past the threshold the page queues a job instead (bench/jobs.py times that).
# Far beyond any dataset, yet the view's capped count (threshold + 1) still fits PostgreSQL's bigint LIMIT.
settings.EXPORT_BACKGROUND_THRESHOLD = 10**15

# Name, what is posted (besides download), and what it stands for.
EXPORTS = {
    "all-full": ({"scope": "all", "columns": "full"}, "All contacts, Full columns"),
    "all-shopify": ({"scope": "all", "columns": "shopify"}, "All contacts, Shopify-compatible"),
    "filter-10pc-full": ({"scope": "matching", "columns": "full", "query": "{recent}"}, "10% (created since …), Full"),
    "selected-50-full": ({"scope": "selected", "columns": "full", "ids": "{page}"}, "50 ticked rows, Full"),
}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(_measure_one(sys.argv[2])))
        return
    contacts = Contact.objects.live().count()
    results = []
    for name, (_, label) in EXPORTS.items():
        # This same script with one of the names above.
        done = subprocess.run(  # noqa: S603
            [sys.executable, __file__, "--one", name], capture_output=True, text=True, check=True, cwd=ROOT
        )
        results.append({"name": name, "label": label, **json.loads(done.stdout.strip().splitlines()[-1])})
    report = {
        "database": connection.vendor,
        "contacts": contacts,
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "load_average": os.getloadavg(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    print(f"Contacts export, {connection.vendor}, {contacts:,} live contacts, one fresh process per export\n")
    print("| Export | Rows | First chunk ms | Total s | Rows/s | Server CPU s | MB | Peak RSS growth MB |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        print(
            f"| {row['label']} | {row['rows']:,} | {row['first_chunk_ms']:.0f} | {row['total_s']:.2f} "
            f"| {row['rows_per_s']:,.0f} | {row['cpu_s']:.2f} | {row['megabytes']:.1f} | {row['peak_growth_mb']:.1f} |"
        )
    out = ROOT / "bench" / "results" / f"export-{connection.vendor}-{contacts}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nWrote {out.relative_to(ROOT)}")


def _measure_one(name: str) -> dict:
    # What Django's test runner does: allow the test client's host, and no DEBUG, as in production.
    setup_test_environment(debug=False)
    client = Client()
    client.force_login(superuser())
    url = reverse("customers:export")
    live = Contact.objects.live()
    warm_up = list(live.order_by("pk").values_list("pk", flat=True)[:20])
    _export(client, url, {"scope": "selected", "columns": "full", "ids": warm_up})
    baseline = _peak_mb()
    data, _ = EXPORTS[name]
    measured = _export(client, url, {key: _filled(value, live) for key, value in data.items()})
    return {**measured, "baseline_mb": baseline, "peak_growth_mb": _peak_mb() - baseline}


def _filled(value: str, live) -> str | list[int]:
    if value == "{recent}":
        # The creation date after which a tenth of the contacts were created.
        tenth = live.order_by("-created_at").values_list("created_at", flat=True)[live.count() // 10]
        return f"created_from={tenth.date().isoformat()}"
    if value == "{page}":
        return list(live.order_by("-created_at", "-pk").values_list("pk", flat=True)[:50])
    return value


def _export(client: Client, url: str, data: dict) -> dict:
    started, cpu_started = time.perf_counter(), time.process_time()
    response = client.post(url, {"download": "1", **data})
    if response.status_code != 200 or not response.streaming:
        raise SystemExit(f"The export answered {response.status_code}: {response.content[:300]!r}")
    first_chunk = None
    size = 0
    for chunk in response.streaming_content:
        if first_chunk is None:
            first_chunk = time.perf_counter() - started
        size += len(chunk)
    response.close()
    total, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    rows = ExportLog.objects.latest("pk").row_count
    return {
        "rows": rows,
        "first_chunk_ms": first_chunk * 1000,
        "total_s": total,
        "rows_per_s": rows / total,
        # This process's own CPU time: what the export costs the web server, whatever else the machine runs.
        "cpu_s": cpu,
        "megabytes": size / 1_000_000,
        "query": data.get("query", ""),
    }


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    main()
