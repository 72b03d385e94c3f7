import os

# Playwright's sync API runs an event loop in the test thread; Django must allow its ORM there.
# It has to be set before the test database is created, so it lives at the top of the root conftest.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import factory.random
import pytest
from django.core.cache import cache

from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate limits and cached counts live in the cache; each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _repeatable_fake_data(request):
    """Faker's names are seeded by the test's id, so a test that passed once passes on every run.

    A random surname such as "Hanna" once matched another test's search for "ann" and failed CI.
    """
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture
def viewer(db):
    return UserFactory(username="viewer", role="Viewer")


@pytest.fixture
def staff_user(db):
    return UserFactory(username="staffer", role="Staff")


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", role="Manager")


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def production(settings, client):
    """Answer as production does: DEBUG off, and an exception in a view is the 500 page a visitor gets,
    not raised into the test, so the status asserted is the one a user would see."""
    settings.DEBUG = False
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    client.raise_request_exception = False
    return client


@pytest.fixture(autouse=True)
def export_files(settings, tmp_path_factory):
    """Files jobs make and ticket attachments go to folders of the test's own, never the project's private/ folder."""
    location = tmp_path_factory.mktemp("exports")
    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
        "attachments": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path_factory.mktemp("attachments")},
        },
    }
    return location
