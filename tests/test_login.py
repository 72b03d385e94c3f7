import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


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
