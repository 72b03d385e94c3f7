"""Requests per second under gunicorn: the contacts list against the floor page, with production settings.

    DATABASE_URL=... .venv/bin/python bench/throughput.py [--seconds 10] [--workers 2] [--concurrency 4]

Starts gunicorn (DEBUG off, persistent connections as the README's deployment section has them,
CONN_MAX_AGE=60 with health checks on PostgreSQL) serving bench/settings.py, signs in as the benchmarks'
superuser, and has `concurrency` keep-alive clients fetch each URL as fast as it answers for `seconds`
after a warm-up. The floor (bench/peer_admin.py) is an empty page behind the same middleware, session,
login and permission check. The clients run on the same two CPUs as the server, which caps the floor's
figure more than the list's. Prints one JSON line: each URL's requests/s, and the list's share of the floor's.
"""

import argparse
import http.client
import json
import os
import secrets
import socket
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
from django.test import Client  # noqa: E402

from bench.list_page import superuser  # noqa: E402

URLS = {"floor": "/bench-floor/", "list": "/contacts/"}
WARM_UP_SECONDS = 2
# What the README's deployment section recommends (contacts_crm/settings.py reads it on PostgreSQL).
CONN_MAX_AGE = 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    port = _free_port()
    # The session is signed with the key the server will check it with.
    secret_key = secrets.token_urlsafe(50)
    settings.SECRET_KEY = secret_key
    cookie = f"{settings.SESSION_COOKIE_NAME}={_session_key()}"
    server = _gunicorn(port, workers=args.workers, secret_key=secret_key)
    try:
        _wait_until_up(port)
        figures = {
            name: _load(port, url, cookie=cookie, seconds=args.seconds, concurrency=args.concurrency)
            for name, url in URLS.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
    print(
        json.dumps(
            {
                "workers": args.workers,
                "concurrency": args.concurrency,
                "seconds": args.seconds,
                "conn_max_age": CONN_MAX_AGE,
                **figures,
                "list_share_of_floor": figures["list"]["requests_per_s"] / figures["floor"]["requests_per_s"],
            }
        )
    )


def _session_key() -> str:
    """Sign the superuser in through Django itself, as the login page would, and return the session's key."""
    client = Client()
    client.force_login(superuser())
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _gunicorn(port: int, *, workers: int, secret_key: str) -> subprocess.Popen:
    """Start gunicorn as the README deploys it: static files collected (hashed, served by whitenoise)."""
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "CONN_MAX_AGE": str(CONN_MAX_AGE),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    manage = [sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v0"]
    subprocess.run(manage, cwd=ROOT, env=env, check=True)  # noqa: S603 -- our own command, fixed arguments.
    command = [str(Path(sys.executable).with_name("gunicorn")), "contacts_crm.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 -- our own server, fixed arguments.


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start within 60 s")


def _load(port: int, url: str, *, cookie: str, seconds: float, concurrency: int) -> dict:
    """Fetch the URL from `concurrency` keep-alive clients; return requests/s over `seconds` after a warm-up."""
    counts = [0] * concurrency
    failures: list[str] = []
    started = time.monotonic()
    measuring_from = started + WARM_UP_SECONDS
    until = measuring_from + seconds

    def client(index: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": cookie, "Host": "127.0.0.1"}
        while (now := time.monotonic()) < until:
            connection.request("GET", url, headers=headers)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{url} answered {response.status}")
                return
            if now >= measuring_from:
                counts[index] += 1
        connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise SystemExit(failures[0])
    return {"url": url, "requests": sum(counts), "requests_per_s": sum(counts) / seconds}


if __name__ == "__main__":
    main()
