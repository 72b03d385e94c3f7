"""Signing in: one throttle, django-axes, guards the app's login and the admin's (SECURITY.md 15, 16, 52)."""

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.test import Client, RequestFactory
from django.urls import reverse

from contacts_crm.signin import LOCKED_OUT_MESSAGE
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
APP_WRONG = b"Please enter a correct username and password"
ADMIN_WRONG = b"Please enter the correct username and password for a superuser account"


def fail(client: Client, url_name: str, username: str, times: int = 5, **headers) -> None:
    for _ in range(times):
        response = client.post(reverse(url_name), {"username": username, "password": "wrong"}, **headers)
        assert response.status_code == 200


def assert_refused(response, client: Client) -> None:
    assert response.status_code == 429
    assert LOCKED_OUT_MESSAGE.encode() in response.content
    assert "_auth_user_id" not in client.session


def test_login_rotates_the_session_key(client):
    UserFactory(username="ann")
    client.get(reverse("login"))
    session = client.session
    session["probe"] = "x"
    session.save()
    before = client.session.session_key
    response = client.post(reverse("login"), {"username": "ann", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.session.session_key != before


@pytest.mark.parametrize("username", ["ann", "nobody"])
def test_repeated_failures_are_throttled_with_the_same_message_for_known_and_unknown_users(client, username):
    UserFactory(username="ann")
    for _ in range(5):
        response = client.post(reverse("login"), {"username": username, "password": "wrong"})
        assert b"Please enter a correct username and password" in response.content
    response = client.post(reverse("login"), {"username": username, "password": "correct-horse-battery"})
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in client.session


def test_the_refusal_is_the_login_page_itself_with_what_was_typed(client):
    UserFactory(username="ann")
    fail(client, "login", "ann")
    response = client.post(reverse("login"), {"username": "ann", "password": PASSWORD})
    assert_refused(response, client)
    html = response.content.decode()
    assert "<title>Error: Log in" in html
    assert "There is a problem" in html
    assert re.search(r'<input type="text" name="username" value="ann"', html)
    assert "Please enter a correct username" not in html


@pytest.mark.parametrize("username", ["root", "nobody"])
def test_five_wrong_passwords_at_the_admin_login_then_the_right_one_is_refused(client, username):
    """Known and unknown usernames get the same answers, in the admin's own login page."""
    UserFactory(username="root", is_staff=True, is_superuser=True)
    for _ in range(5):
        response = client.post(reverse("admin:login"), {"username": username, "password": "wrong"})
        assert response.status_code == 200
        assert ADMIN_WRONG in response.content
    response = client.post(reverse("admin:login"), {"username": username, "password": PASSWORD})
    assert_refused(response, client)
    html = response.content.decode()
    assert f'<p class="errornote">\n    {LOCKED_OUT_MESSAGE}\n</p>' in html
    assert f'name="username" value="{username}"' in html
    assert "Log in | Django site admin</title>" in html
    assert AccessAttempt.objects.get(username=username).failures_since_start == 5


@pytest.mark.parametrize(("locked_at", "tried_at"), [("login", "admin:login"), ("admin:login", "login")])
def test_a_lockout_at_one_door_refuses_the_right_password_at_the_other(client, locked_at, tried_at):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, locked_at, "root")
    assert_refused(client.post(reverse(tried_at), {"username": "root", "password": PASSWORD}), client)


@pytest.mark.parametrize(("locked_at", "tried_at"), [("login", "admin:login"), ("admin:login", "login")])
def test_an_address_locked_out_at_one_door_is_refused_at_the_other_for_any_username(locked_at, tried_at):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(5):
        fail(attacker, locked_at, f"guess{number}", times=1)
    assert_refused(attacker.post(reverse(tried_at), {"username": "root", "password": PASSWORD}), attacker)


def test_authenticate_itself_refuses_a_locked_out_user_so_any_future_door_is_guarded(client):
    UserFactory(username="ann")
    fail(client, "login", "ann")
    request = RequestFactory().post("/some/other/door/", REMOTE_ADDR="198.51.100.9")
    assert authenticate(request, username="ann", password=PASSWORD) is None
    # The refused try is not counted: the lockout still ends a window after the last real failure.
    assert AccessAttempt.objects.get(username="ann").failures_since_start == 5


def test_the_lockout_ends_fifteen_minutes_after_the_last_failure(client):
    UserFactory(username="ann")
    fail(client, "login", "ann")
    assert_refused(client.post(reverse("login"), {"username": "ann", "password": PASSWORD}), client)
    attempt = AccessAttempt.objects.get()
    AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - timedelta(minutes=15))
    assert client.post(reverse("login"), {"username": "ann", "password": PASSWORD}).status_code == 302


def test_a_successful_login_does_not_clear_failures_run_up_from_other_addresses():
    UserFactory(username="ann")
    attacker = Client(REMOTE_ADDR="203.0.113.7")
    fail(attacker, "login", "ann", times=4)
    assert Client(REMOTE_ADDR="198.51.100.1").post(reverse("login"), {"username": "ann", "password": PASSWORD}).url
    fail(attacker, "login", "ann", times=1)
    ann = Client(REMOTE_ADDR="198.51.100.1")
    assert_refused(ann.post(reverse("login"), {"username": "ann", "password": PASSWORD}), ann)


def test_the_address_throttle_follows_the_proxy_header_when_one_is_configured(settings):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    UserFactory(username="ann")
    proxy = Client(REMOTE_ADDR="10.0.0.1")
    for number in range(5):
        fail(proxy, "login", f"guess{number}", times=1, HTTP_X_REAL_IP="203.0.113.7")
    login = {"username": "ann", "password": PASSWORD}
    assert_refused(proxy.post(reverse("login"), login, HTTP_X_REAL_IP="203.0.113.7"), proxy)
    assert proxy.post(reverse("login"), login, HTTP_X_REAL_IP="198.51.100.1").status_code == 302


def test_without_a_configured_proxy_header_a_client_sent_one_changes_nothing(settings):
    settings.CLIENT_ADDRESS_HEADER = ""
    UserFactory(username="ann")
    client = Client(REMOTE_ADDR="203.0.113.7")
    for number in range(5):
        fail(client, "login", f"guess{number}", times=1, HTTP_X_REAL_IP=f"192.0.2.{number}")
    response = client.post(reverse("login"), {"username": "ann", "password": PASSWORD}, HTTP_X_REAL_IP="198.51.100.1")
    assert_refused(response, client)


def test_a_proxy_header_that_is_not_an_address_is_no_error(settings):
    """The attempt is stored with the proxy's address instead (PostgreSQL's inet column refuses text)."""
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    client = Client(REMOTE_ADDR="10.0.0.1")
    fail(client, "login", "ann", times=1, HTTP_X_REAL_IP="unknown")
    assert AccessAttempt.objects.get().ip_address == "10.0.0.1"
