"""Browser tests drive the system Chromium through pytest-playwright against live_server.

Without Chromium they are skipped with a reason, unless REQUIRE_BROWSER=1, which makes that a failure
so CI can never pass by skipping them.
"""

import io
import os
import shutil

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
# The machine has no network beyond package registries; these flags stop Chromium phoning home.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    if CHROMIUM:
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError("REQUIRE_BROWSER=1 but no Chromium was found (apt-get install chromium).")
    skip = pytest.mark.skip(reason="No Chromium found; install it (apt-get install chromium) to run browser tests")
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *ARGS],
    }


@pytest.fixture
def signed_in(live_server, page, settings):
    """A page signed in as the demo manager, on the contacts list."""
    from django.core.management import call_command
    from playwright.sync_api import expect

    settings.DEBUG = True
    call_command("demo_login", stdout=io.StringIO())
    page.goto(live_server.url)
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo-contacts-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    return page
