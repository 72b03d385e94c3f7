"""Show where one contacts-list request spends its time: each query with its duration, and the rest.

DATABASE_URL=... .venv/bin/python bench/profile_list.py "/contacts/?labels=1"
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contacts_crm.settings")

import django  # noqa: E402 -- Django must find the project and its settings first.

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from bench.list_page import superuser  # noqa: E402


def main() -> None:
    setup_test_environment(debug=False)
    client = Client()
    client.force_login(superuser())
    for url in sys.argv[1:] or ["/contacts/"]:
        for _ in range(5):
            client.get(url)
        with CaptureQueriesContext(connection) as queries:
            start = time.perf_counter()
            client.get(url)
            total = (time.perf_counter() - start) * 1000
        in_queries = sum(float(query["time"]) for query in queries.captured_queries) * 1000
        print(f"\n{url}: {total:.1f} ms, of which {in_queries:.1f} ms in {len(queries)} queries")
        for query in queries.captured_queries:
            print(f"  {float(query['time']) * 1000:7.1f} ms  {query['sql'][:150]}")


if __name__ == "__main__":
    main()
