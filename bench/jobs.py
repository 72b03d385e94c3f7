"""Time the background jobs at scale on the database in DATABASE_URL (fill it with bench/data.py first).

    DATABASE_URL=postgres://… .venv/bin/python bench/jobs.py

Two jobs over every live contact, each run as the worker runs it (jobs.services.job_run) in a fresh
process of its own, so its peak resident set size is its own:

- Export: all contacts, Full columns, written to the exports storage as a file. Peer: PostgreSQL's COPY of
  the same columns (bench/run.py --copy all), in a fresh process as well.
- Add label: a new label on every contact, with its timeline entry each. Its rows are removed afterwards
  with plain SQL, so the database is left as it was but for the contacts' versions.

Reported per job: rows, total seconds, rows per second, peak RSS growth over the process's baseline (taken
after a 20-row warm-up job of the same kind), and the longest gap between two progress writes as another
connection saw them (the Jobs page's bar moves on each). Prints a markdown table and writes
bench/results/jobs-<database>-<contacts>.json and .md.
"""

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files.storage import storages  # noqa: E402
from django.db import connection, connections  # noqa: E402
from django.http import QueryDict  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from bench.list_page import superuser  # noqa: E402
from customers.models import Activity, Contact, Label  # noqa: E402
from customers.selection import ContactSelection  # noqa: E402
from customers.services.background import export_job_queue, label_job_queue  # noqa: E402
from jobs.models import Job  # noqa: E402
from jobs.services import job_run  # noqa: E402

WARM_UP_ROWS = 20
# As in production: with DEBUG on, Django keeps the text of the last 9,000 queries, which for batches of
# 2,000 ids is tens of megabytes that no worker in production holds.
settings.DEBUG = False


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class _ProgressWatch(threading.Thread):
    """Reads the job's heartbeat on a connection of its own every 50 ms and keeps the longest gap seen."""

    def __init__(self, job_id: int) -> None:
        super().__init__(daemon=True)
        self.job_id, self.stop, self.longest, self.writes = job_id, threading.Event(), 0.0, 0

    def run(self) -> None:
        last_value, last_seen = None, time.perf_counter()
        while not self.stop.is_set():
            value = Job.objects.filter(pk=self.job_id).values_list("heartbeat_at", flat=True).first()
            now = time.perf_counter()
            if value != last_value:
                if last_value is not None:
                    self.longest = max(self.longest, now - last_seen)
                    self.writes += 1
                last_value, last_seen = value, now
            time.sleep(0.05)
        connections.close_all()


def _queue(kind: str, selection: ContactSelection, label: Label | None) -> Job:
    user = superuser()
    if kind == "export":
        job = export_job_queue(user=user, selection=selection, scope="all", columns="full", bom=False, count=None)
    else:
        job = label_job_queue(user=user, selection=selection, label=label, add=True, count=0)
    # The engine's row for it is not needed: this process is the worker.
    DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).delete()
    return job


def _clean(job: Job, label: Label | None) -> None:
    if job.result_file:
        storages["exports"].delete(job.result_file)
    if label is not None:
        Contact.labels.through.objects.filter(label=label).delete()
        Activity.objects.filter(event="label_added", data__label=label.pk).delete()


def _measure_one(kind: str) -> dict:
    label = Label.objects.create(name=f"bench-{os.getpid()}") if kind == "label" else None
    first = list(Contact.objects.live().order_by("pk").values_list("pk", flat=True)[:WARM_UP_ROWS])
    warm = _queue(kind, ContactSelection(filters=QueryDict(), ids=frozenset(first)), label)
    job_run(warm.pk)
    warm.refresh_from_db()
    _clean(warm, label)
    baseline = _peak_mb()
    job = _queue(kind, ContactSelection(filters=QueryDict(), ids=None), label)
    watch = _ProgressWatch(job.pk)
    watch.start()
    started, cpu_started = time.perf_counter(), time.process_time()
    job_run(job.pk)
    total = time.perf_counter() - started
    watch.stop.set()
    watch.join()
    job.refresh_from_db()
    size = storages["exports"].size(job.result_file) if job.result_file else 0
    result = {
        "rows": job.processed,
        "status": job.status,
        "total_s": total,
        "rows_per_s": job.processed / total,
        "cpu_s": time.process_time() - cpu_started,
        "megabytes": size / 1_000_000,
        "baseline_mb": baseline,
        "peak_growth_mb": _peak_mb() - baseline,
        "longest_progress_gap_s": watch.longest,
        "progress_writes": watch.writes,
    }
    _clean(job, label)
    if label is not None:
        label.delete()
    return result


def _child(command: list[str]) -> dict:
    done = subprocess.run(  # noqa: S603 -- our own scripts, with fixed arguments.
        [sys.executable, *command], capture_output=True, text=True, check=True, cwd=ROOT
    )
    line = done.stdout.strip().splitlines()[-1]
    # Each figure as it comes, so a later failure does not lose the minutes already spent.
    print(f"  {' '.join(command[1:])}: {line}", file=sys.stderr, flush=True)
    return json.loads(line)


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(_measure_one(sys.argv[2])))
        return
    contacts = Contact.objects.live().count()
    results = {
        "database": connection.vendor,
        "contacts": contacts,
        "export": _child([__file__, "--one", "export"]),
        "label": _child([__file__, "--one", "label"]),
        "copy": None,
    }
    if connection.vendor == "postgresql":
        results["copy"] = _child([str(ROOT / "bench" / "run.py"), "--copy", "all"])
    lines = [
        f"## Background jobs, {contacts:,} contacts on {connection.vendor}",
        "",
        "| Job | Rows | Total | Rows/s | Peak RSS growth | Longest gap between progress writes |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, key in (("Export, Full columns, to a file", "export"), ("Add a label to every contact", "label")):
        row = results[key]
        lines.append(
            f"| {name} | {row['rows']:,} | {row['total_s']:.1f} s | {row['rows_per_s']:,.0f} | "
            f"{row['peak_growth_mb']:.1f} MB | {row['longest_progress_gap_s']:.2f} s |"
        )
    if results["copy"]:
        copy = results["copy"]
        lines.append(
            f"| Peer: COPY of the Full columns | {copy['rows']:,} | {copy['total_s']:.1f} s | "
            f"{copy['rows_per_s']:,.0f} | {copy['peak_growth_mb']:.1f} MB | — |"
        )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results" / f"jobs-{connection.vendor}-{contacts}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(table + "\n")


if __name__ == "__main__":
    main()
