"""Production settings come from the environment and are safe by default."""

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="crm.example.com",
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DEBUG="false", ALLOWED_HOSTS="crm.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_key():
    from django.conf import settings

    result = manage("check", DEBUG="false", SECRET_KEY=settings.DEV_SECRET_KEY, ALLOWED_HOSTS="crm.example.com")
    assert result.returncode != 0
    assert "SECRET_KEY must be a random string" in result.stderr


def test_production_refuses_the_published_development_webhook_secret():
    from django.conf import settings

    result = manage(
        "check",
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="crm.example.com",
        SHOP_WEBHOOK_SECRET=settings.DEV_SHOP_WEBHOOK_SECRET,
    )
    assert result.returncode != 0
    assert "SHOP_WEBHOOK_SECRET is the published development secret" in result.stderr


@pytest.mark.parametrize(
    ("domains", "refused"),
    [("acme.myshopify.com, Other-2.myshopify.com", None), ("acme.example.com", "'acme.example.com'")],
)
def test_shopify_shop_domains_must_be_myshopify_names(domains, refused):
    result = manage("check", SHOPIFY_SHOP_DOMAINS=domains)
    if refused is None:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert f"SHOPIFY_SHOP_DOMAINS: {refused} is not a shop's *.myshopify.com name." in result.stderr


def test_make_run_signs_with_the_development_secret_it_prints():
    """The README's webhook example works against `make run` with the secret the Makefile prints."""
    from django.conf import settings

    plan = subprocess.run(
        [shutil.which("make") or "make", "-n", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**{key: value for key, value in os.environ.items() if key != "SHOP_WEBHOOK_SECRET"}},
    )
    assert f"SHOP_WEBHOOK_SECRET={settings.DEV_SHOP_WEBHOOK_SECRET}" in plan.stdout
    assert f"SHOP_WEBHOOK_SECRET={settings.DEV_SHOP_WEBHOOK_SECRET} scripts/serve" in plan.stdout


def test_make_runs_serve_brings_up_the_web_server_and_a_worker_and_ctrl_c_stops_both(tmp_path):
    """scripts/serve, what `make run` ends with: both processes up, and one Ctrl+C (SIGINT to the group) ends both."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}"}
    assert manage("migrate", "--noinput", DATABASE_URL=env["DATABASE_URL"]).returncode == 0
    serve = subprocess.Popen(
        [str(ROOT / "scripts" / "serve"), "127.0.0.1", str(port)],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as page:
                    assert page.status == 200
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("The web server did not answer")
        children = subprocess.run(
            [shutil.which("ps") or "ps", "-o", "args=", "--ppid", str(serve.pid)], capture_output=True, text=True
        )
        assert "manage.py worker" in children.stdout
        assert "manage.py runserver" in children.stdout
        os.killpg(serve.pid, signal.SIGINT)
        assert serve.wait(timeout=30) is not None
        left = subprocess.run([shutil.which("pgrep") or "pgrep", "-g", str(serve.pid)], capture_output=True, text=True)
        assert left.stdout == ""
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)


def test_a_sqlite_database_runs_in_wal_mode_with_immediate_transactions(tmp_path):
    probe = (
        "from django.db import connection; connection.ensure_connection(); "
        "cursor = connection.cursor(); cursor.execute('PRAGMA journal_mode'); "
        "print(cursor.fetchone()[0], connection.transaction_mode)"
    )
    result = manage("shell", "-c", probe, DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["wal", "IMMEDIATE"]


def test_with_no_environment_the_app_uses_sqlite_in_the_project_folder():
    result = manage("shell", "-c", "from django.conf import settings; print(settings.DATABASES['default']['NAME'])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == str(ROOT / "db.sqlite3")


@pytest.mark.django_db
def test_responses_carry_the_security_headers(client):
    response = client.get(reverse("login"))
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"CLIENT_ADDRESS_HEADER": "X-Real-IP"}, "X-Real-IP"),
        # Deployments configured before the login throttle shared the setting keep working.
        ({"CONTACT_FORM_CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}, "X-Forwarded-For"),
        ({"CLIENT_ADDRESS_HEADER": "X-Real-IP", "CONTACT_FORM_CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}, "X-Real-IP"),
        ({}, "none"),
    ],
)
def test_the_client_address_header_is_read_under_its_new_and_its_old_name(env, expected):
    clean = {"CLIENT_ADDRESS_HEADER": "", "CONTACT_FORM_CLIENT_ADDRESS_HEADER": "", **env}
    result = manage(
        "shell", "-c", "from django.conf import settings; print(settings.CLIENT_ADDRESS_HEADER or 'none')", **clean
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


@pytest.mark.parametrize(
    ("email_url", "expected"),
    [
        ("", "console localhost 25 False False"),
        ("console://", "console localhost 25 False False"),
        ("smtp+tls://ann:pw@mail.example.com:587", "smtp mail.example.com 587 True False"),
        ("smtp://ann:pw@mail.example.com:587/?tls=True", "smtp mail.example.com 587 True False"),
        ("smtp+ssl://ann:pw@mail.example.com:465", "smtp mail.example.com 465 False True"),
        ("smtp://127.0.0.1:1025", "smtp 127.0.0.1 1025 False False"),
    ],
)
def test_email_url_is_read_by_one_reader_with_the_forms_documented_before(email_url, expected):
    probe = (
        "from django.conf import settings as s; "
        "print(s.EMAIL_BACKEND.split('.')[-2], s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_USE_SSL)"
    )
    result = manage("shell", "-v", "0", "-c", probe, EMAIL_URL=email_url)
    assert result.stdout.strip() == expected, result.stderr


def test_postgresql_connections_are_kept_and_checked_before_reuse():
    probe = (
        "from django.conf import settings as s; d = s.DATABASES['default']; "
        "print(d['CONN_MAX_AGE'], d['CONN_HEALTH_CHECKS'])"
    )
    database = "postgres://crm@db.example.com:5432/crm"
    result = manage("shell", "-v", "0", "-c", probe, DATABASE_URL=database)
    assert result.stdout.strip() == "60 True", result.stderr
    result = manage("shell", "-v", "0", "-c", probe, DATABASE_URL=database, CONN_MAX_AGE="0")
    assert result.stdout.strip() == "0 True", result.stderr
