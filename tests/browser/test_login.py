"""Signing in, as a member of staff does it, in a real browser."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_login(transactional_db, settings):
    settings.DEBUG = True
    call_command("demo_login", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())


def test_logging_in_with_the_demo_login_shows_the_contacts_page(live_server, page: Page, demo_login):
    page.goto(live_server.url)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("demo-contacts-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Contacts", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Add customer")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts", exact=True)
    ).to_have_attribute("aria-current", "page")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Companies", exact=True).click()
    expect(page.get_by_role("heading", name="Companies", level=1)).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()


def test_a_wrong_password_shows_an_error_and_keeps_the_username(live_server, page: Page, demo_login):
    page.goto(live_server.url)
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title("Error: Log in · Contacts CRM")
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    expect(page.get_by_label("Username")).to_have_value("demo")


def test_a_locked_out_login_says_so_on_the_login_page(live_server, page: Page, demo_login, settings):
    settings.AXES_FAILURE_LIMIT = 1
    page.goto(live_server.url)
    page.get_by_label("Username").fill("demo")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
    page.get_by_label("Password").fill("demo-contacts-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title("Error: Log in · Contacts CRM")
    expect(page.get_by_role("alert")).to_contain_text("Too many failed attempts. Wait 15 minutes, then try again.")
    expect(page.get_by_label("Username")).to_have_value("demo")
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
