"""A visitor writing in through the website's contact form, and staff finding the lead it made, in a real browser."""

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

pytestmark = pytest.mark.django_db(transaction=True)


def csp_violations(page: Page) -> list[str]:
    """Collect what the browser reports blocking under the Content-Security-Policy."""
    reports: list[str] = []

    def collect(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            reports.append(message.text)

    page.on("console", collect)
    return reports


def test_seed_001_a_visitors_message_becomes_a_lead_staff_find_with_the_message(
    live_server, browser: Browser, signed_in: Page
):
    visitor = browser.new_context().new_page()
    blocked = csp_violations(visitor)
    visitor.goto(f"{live_server.url}/contact/")
    expect(visitor.get_by_role("heading", name="Contact us", level=1)).to_be_visible()
    expect(visitor.get_by_role("navigation", name="Main")).to_have_count(0)
    visitor.get_by_label("Name").fill("Ann Lee")
    visitor.get_by_label("Email", exact=True).fill("ann@example.com")
    visitor.get_by_label("Message").fill("Do you ship to Norway?\nI need it by Friday.")
    consent = visitor.get_by_label("Email me news and offers")
    expect(consent).not_to_be_checked()
    consent.check()
    visitor.get_by_role("button", name="Send message").click()
    expect(visitor.get_by_role("heading", name="Thank you for your message", level=1)).to_be_visible()
    assert visitor.url == f"{live_server.url}/contact/thanks/"
    assert blocked == []

    page = signed_in
    page.reload()
    row = page.get_by_role("row", name="Ann Lee")
    expect(row.get_by_text("Lead", exact=True)).to_be_visible()
    page.get_by_role("link", name="Ann Lee").click()
    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    activity = page.get_by_role("region", name="Activity")
    expect(activity.get_by_text("Do you ship to Norway?")).to_be_visible()
    expect(activity.get_by_text("Message from Ann Lee through the website contact form")).to_be_visible()
    expect(page.get_by_role("region", name="Marketing consent")).to_contain_text("Subscribed")


def test_an_empty_form_comes_back_with_the_problems_listed_and_focused(live_server, page: Page):
    blocked = csp_violations(page)
    page.goto(f"{live_server.url}/contact/")
    page.get_by_label("Email", exact=True).fill("ann.example.com")
    page.get_by_role("button", name="Send message").click()

    expect(page).to_have_title("Error: Contact us · Contacts CRM")
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("Email", exact=True)).to_have_value("ann.example.com")
    summary.get_by_role("link", name="Enter an email address like name@example.com").click()
    expect(page.get_by_label("Email", exact=True)).to_be_focused()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    assert blocked == []
