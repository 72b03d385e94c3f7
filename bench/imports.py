"""Time the contact import at scale on the database in DATABASE_URL (fill it with bench/data.py first).

    DATABASE_URL=postgres://… .venv/bin/python bench/imports.py [--rows 100000]

A Shopify-style CSV is written with --rows rows: four in five are new people, one in five a live contact
of the database with a new town and a tag (so the import updates them). The file is uploaded as the web
page does (imports.services.import_upload), then each job runs as the worker runs it (jobs.services.job_run)
in a fresh process of its own, so its peak resident set size is its own:

- Dry run: every row read, compared and planned; nothing written but the row results.
- Import: the plans applied, a batch of 1,000 rows per transaction.
- Peer: PostgreSQL's COPY of the same file into a scratch table (text columns, no indexes), in a fresh process.

Each is run at a tenth of the rows too, so memory that grew with the file would show. The contacts the
import added are deleted afterwards (the updated ones keep their new town). Prints a markdown table and
writes bench/results/imports-<database>-<contacts>.json and .md.
"""

import csv
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from bench.list_page import superuser  # noqa: E402
from customers.models import Contact, Source  # noqa: E402
from imports import services  # noqa: E402
from imports.mapping import mapping_guess  # noqa: E402
from imports.models import ImportMode, ImportRow, ImportRun  # noqa: E402
from jobs.models import Job  # noqa: E402
from jobs.services import job_run  # noqa: E402

HEADER = ["First Name", "Last Name", "Email", "Phone", "Tags", "Default Address City", "Accepts Email Marketing"]
settings.DEBUG = False


def _peak_reset() -> float:
    """Start counting the peak resident set size again from now (Linux); return the size now, in MB."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(key)


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _write_file(path: Path, rows: int, tag: str) -> None:
    existing = list(Contact.objects.live().order_by("?").values_list("email", flat=True)[: rows // 5])
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADER)
        for n in range(rows):
            if n % 5 == 4 and existing:
                writer.writerow(["", "", existing.pop(), "", "bench-import", "Importville", ""])
            else:
                phone = f"+4477009{n % 100000:05d}"
                writer.writerow(
                    [f"First{n}", f"Last{n}", f"{tag}-{n}@import.example", phone, "bench-import", "York", "yes"]
                )


def _run_job(kind: str, run_id: int) -> dict:
    run = ImportRun.objects.get(pk=run_id)
    user = superuser()
    if kind == "check":
        job = services.import_check_queue(run=run, user=user)
    else:
        job = services.import_apply_queue(run=run, user=user)
    # This process is the worker: the engine's row for the job is not needed.
    DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).delete()
    baseline = _peak_reset()
    started, cpu_started = time.perf_counter(), time.process_time()
    job_run(job.pk)
    total = time.perf_counter() - started
    job.refresh_from_db()
    run.refresh_from_db()
    return {
        "status": job.status,
        "summary": job.summary or job.failure_reason,
        "rows": run.rows,
        "total_s": total,
        "rows_per_s": run.rows / total,
        "cpu_s": time.process_time() - cpu_started,
        "baseline_mb": baseline,
        "peak_growth_mb": _peak_mb() - baseline,
    }


def _copy(path: str) -> dict:
    columns = ", ".join(f"c{index} text" for index in range(len(HEADER)))
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE bench_import_copy ({columns})")
        baseline = _peak_reset()
        started = time.perf_counter()
        with (
            Path(path).open("rb") as file,
            cursor.cursor.copy("COPY bench_import_copy FROM STDIN WITH (FORMAT csv, HEADER)") as copy,
        ):
            while chunk := file.read(1 << 16):
                copy.write(chunk)
        total = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_import_copy")
        rows = cursor.fetchone()[0]
    return {"rows": rows, "total_s": total, "rows_per_s": rows / total, "peak_growth_mb": _peak_mb() - baseline}


def _child(*args: str) -> dict:
    done = subprocess.run(  # noqa: S603 -- this script, with fixed arguments.
        [sys.executable, __file__, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    line = done.stdout.strip().splitlines()[-1]
    print(f"  {' '.join(args)}: {line}", file=sys.stderr, flush=True)
    return json.loads(line)


def _measure(rows: int) -> dict:
    tag = f"bench{os.getpid()}x{rows}"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers_export.csv"
        _write_file(path, rows, tag)
        with path.open("rb") as file:
            run = services.import_upload(user=superuser(), file=file, name=path.name, size=path.stat().st_size)
        services.import_options_set(
            run=run, mapping=mapping_guess(run.header), mode=ImportMode.UPDATE, create_missing=True
        )
        result = {
            "rows": rows,
            "check": _child("--job", "check", str(run.pk)),
            "apply": _child("--job", "apply", str(run.pk)),
            "copy": _child("--copy", str(path)) if connection.vendor == "postgresql" else None,
        }
    run.refresh_from_db()
    result["done"] = run.done
    Contact.objects.filter(source=Source.IMPORT, email__startswith=f"{tag}-").delete()
    ImportRow.objects.filter(run=run).delete()
    Job.objects.filter(params__import=run.pk).delete()
    return result


def main() -> None:
    if sys.argv[1:2] == ["--job"]:
        print(json.dumps(_run_job(sys.argv[2], int(sys.argv[3]))))
        return
    if sys.argv[1:2] == ["--copy"]:
        print(json.dumps(_copy(sys.argv[2])))
        return
    rows = int(sys.argv[sys.argv.index("--rows") + 1]) if "--rows" in sys.argv else 100_000
    contacts = Contact.objects.live().count()
    results = {"database": connection.vendor, "contacts": contacts, "runs": [_measure(rows // 10), _measure(rows)]}
    lines = [
        f"## Contact import into {contacts:,} contacts on {connection.vendor}",
        "",
        "| Rows in the file | Step | Total | Rows/s | Peak RSS growth |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for measured in results["runs"]:
        for name, key in (("Dry run", "check"), ("Import", "apply"), ("Peer: COPY into a scratch table", "copy")):
            row = measured[key]
            if row:
                lines.append(
                    f"| {measured['rows']:,} | {name} | {row['total_s']:.1f} s | {row['rows_per_s']:,.0f} | "
                    f"{row['peak_growth_mb']:.1f} MB |"
                )
    table = "\n".join(lines)
    print(table)
    out = ROOT / "bench" / "results" / f"imports-{connection.vendor}-{contacts}"
    out.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(table + "\n")


if __name__ == "__main__":
    main()
