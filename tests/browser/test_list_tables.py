"""The list pages' tables fit the screen: no sideways scrolling at 1280–1440 px, and at 390 px each row's
essentials are in view, stacked like a card, while the page still reads as a table."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from companies.models import CompanyAccess
from customers.models import Stage
from tests.factories import (
    CompanyFactory,
    ContactFactory,
    LabelFactory,
    MembershipFactory,
    OrderFactory,
    PhoneNumberFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP_WIDTHS = [1280, 1366, 1440]
PHONE_WIDTH = 390


def contacts_with_everything():
    """Rows as wide as the demo data's: long names and emails, two labels, companies, every total filled."""
    vip, newsletter = LabelFactory(name="VIP"), LabelFactory(name="Newsletter")
    company = CompanyFactory(name="Edwards, Herbert and Baker")
    for index in range(5):
        contact = ContactFactory(
            first_name="Alexandra",
            last_name=f"Stokes-Whitfield {index}",
            email=f"alexandra.stokes.whitfield.{index}@example.com",
            stage=Stage.CUSTOMER,
            orders_count=12,
            total_spent=Decimal("12345.67"),
            last_order_at=timezone.now() - timedelta(days=3),
        )
        PhoneNumberFactory(contact=contact, number="+441314960526")
        contact.labels.add(vip, newsletter)
        MembershipFactory(contact=contact, company=company)
        MembershipFactory(contact=contact, company=CompanyFactory(name=f"Harris, Murphy and Hawkins {index}"))


def table_overflow(page: Page, table: Locator) -> int:
    """Return how far the table's scrolling box, and the page, can scroll sideways (0: everything fits)."""
    return table.evaluate(
        """table => Math.max(
            table.parentElement.scrollWidth - table.parentElement.clientWidth,
            document.documentElement.scrollWidth - document.documentElement.clientWidth)"""
    )


def assert_in_view(page: Page, table: Locator, *parts: Locator):
    """Each part is shown, whole, inside the table's box and the window, with nothing scrolled."""
    box = table.evaluate("table => table.parentElement.getBoundingClientRect().toJSON()")
    for part in parts:
        expect(part).to_be_visible()
        rect = part.bounding_box()
        assert rect["width"] > 0, part
        assert box["left"] <= rect["x"], part
        assert rect["x"] + rect["width"] <= box["right"] + 0.5, part
        assert rect["x"] + rect["width"] <= PHONE_WIDTH, part


@pytest.mark.parametrize("width", DESKTOP_WIDTHS)
def test_the_contacts_table_fits_at_desktop_widths(live_server, signed_in: Page, width):
    page = signed_in
    contacts_with_everything()
    page.set_viewport_size({"width": width, "height": 900})
    page.reload()
    table = page.get_by_role("table", name="Contacts")
    expect(table.get_by_role("link", name="Alexandra Stokes-Whitfield 0")).to_be_visible()
    assert table_overflow(page, table) == 0
    # The essentials and the sort headers are always among the columns shown.
    for header in ("Name", "Email", "Stage", "Labels", "Total spent"):
        expect(table.get_by_role("columnheader", name=header, exact=True)).to_be_visible()


def test_a_contact_row_at_390_shows_name_email_stage_and_labels(live_server, signed_in: Page):
    page = signed_in
    contacts_with_everything()
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    page.reload()
    table = page.get_by_role("table", name="Contacts")
    row = table.get_by_role("row", name="Alexandra Stokes-Whitfield 0")
    assert table_overflow(page, table) == 0
    assert_in_view(
        page,
        table,
        row.get_by_role("checkbox", name="Select Alexandra Stokes-Whitfield 0"),
        row.get_by_role("rowheader").get_by_role("link", name="Alexandra Stokes-Whitfield 0"),
        row.get_by_text("alexandra.stokes.whitfield.0@example.com"),
        row.get_by_text("Customer", exact=True),
        row.get_by_text("VIP", exact=True),
        row.get_by_text("Newsletter", exact=True),
    )
    # The header keeps its controls: the page's checkbox and the sort links.
    assert_in_view(
        page,
        table,
        table.get_by_role("checkbox", name="Select all 5 contacts on this page"),
        table.get_by_role("link", name="Name", exact=True),
    )
    # Laid out as cards, it is still a table to the browser's accessibility tree, cell by cell.
    session = page.context.new_cdp_session(page)
    roles = [node["role"]["value"] for node in session.send("Accessibility.getFullAXTree")["nodes"]]
    assert roles.count("table") == 1
    assert roles.count("rowheader") == 5
    assert {"columnheader", "row", "cell"} <= set(roles)


def orders_of_long_named_buyers():
    for index in range(3):
        OrderFactory(
            contact=ContactFactory(first_name="Alexandra", last_name=f"Stokes-Whitfield {index}", stage=Stage.CUSTOMER),
            buyer_first_name="Alexandra",
            buyer_last_name=f"Stokes-Whitfield {index}",
            total=Decimal("12345.67"),
        )


def companies_with_long_names():
    for index in range(3):
        company = CompanyFactory(
            name=f"Edwards, Herbert and Baker {index}",
            domain=f"edwards-herbert-baker-{index}.example.com",
            default_portal_access=CompanyAccess.COMPANY,
        )
        MembershipFactory(company=company)


def contacts_in_the_trash():
    for index in range(3):
        ContactFactory(
            first_name="Alexandra",
            last_name=f"Stokes-Whitfield {index}",
            email=f"alexandra.stokes.whitfield.{index}@example.com",
            deleted_at=timezone.now(),
        )


# Each list page: its address, the table's name, its rows, the text that finds one row, and that row's essentials.
OTHER_LISTS = {
    "orders": (
        "/orders/",
        "Orders",
        orders_of_long_named_buyers,
        "Stokes-Whitfield 0",
        lambda row: [
            row.get_by_role("rowheader"),
            row.get_by_text("Placed", exact=True),
            row.get_by_role("link", name="Alexandra Stokes-Whitfield 0"),
            row.get_by_text("12,345.67", exact=False),
        ],
    ),
    "companies": (
        "/companies/",
        "Companies",
        companies_with_long_names,
        "Baker 0",
        lambda row: [
            row.get_by_role("link", name="Edwards, Herbert and Baker 0"),
            row.get_by_text("Access all company's tickets"),
            row.get_by_role("cell").filter(has_text="1").last,
        ],
    ),
    "trash": (
        "/contacts/trash/",
        "Trash",
        contacts_in_the_trash,
        "Stokes-Whitfield 0",
        lambda row: [
            row.get_by_role("rowheader", name="Alexandra Stokes-Whitfield 0"),
            row.get_by_text("alexandra.stokes.whitfield.0@example.com"),
            row.get_by_text("in 30 days"),
            row.get_by_role("button", name="Restore Alexandra Stokes-Whitfield 0"),
            row.get_by_role("link", name="Delete permanently Alexandra Stokes-Whitfield 0"),
        ],
    ),
}


@pytest.mark.parametrize("name", OTHER_LISTS)
def test_the_other_lists_fit_at_desktop_widths_and_stack_at_390(live_server, signed_in: Page, name):
    page = signed_in
    path, title, make_rows, row_text, essentials = OTHER_LISTS[name]
    make_rows()
    for width in [*DESKTOP_WIDTHS, PHONE_WIDTH]:
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(live_server.url + path)
        table = page.get_by_role("table", name=title)
        row = table.get_by_role("row").filter(has_text=row_text)
        assert table_overflow(page, table) == 0, width
        if width == PHONE_WIDTH:
            assert_in_view(page, table, *essentials(row))
