"""Merging a duplicate as staff do it: from the possible duplicates, through the preview, then an order from the
merged email landing on the survivor; and undoing a merge from the contact page."""

import json
import urllib.request
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm_core.actors import SYSTEM
from customers.models import ConsentSource, ConsentState, Contact, Stage
from customers.services import consent_record, note_add
from merges.finder import pairs_find
from tests.factories import ContactFactory, OrderFactory, PhoneNumberFactory
from tests.orders.test_payload import order_payload
from tests.orders.test_webhooks import SECRET, URL, sign
from tests.tickets.support import ticket_for

pytestmark = pytest.mark.django_db(transaction=True)


def _two_ann_lees() -> tuple[Contact, Contact]:
    """Ann Lee twice: a customer with two orders, and a lead with a ticket, a note and consent; one phone."""
    home = ContactFactory(first_name="Ann", last_name="Lee", email="ann@home.example", stage=Stage.CUSTOMER)
    work = ContactFactory(first_name="Annie", last_name="Lee", email="ann@work.example", city="Leeds")
    for contact in (home, work):
        PhoneNumberFactory(contact=contact, number="+447700900123")
    for shop_id in ("8001", "8002"):
        OrderFactory(contact=home, shop_order_id=shop_id, total=Decimal("25.00"))
    Contact.objects.filter(pk=home.pk).update(orders_count=2, total_spent=Decimal("50.00"))
    ticket_for(work, subject="Lost parcel")
    note_add(contact=work, body="Prefers mail to calls", actor=SYSTEM)
    consent_record(
        contact=work,
        state=ConsentState.SUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now() - timedelta(days=1),
        collected_how="Asked at the counter",
        actor=SYSTEM,
    )
    return home, work


def _order_posted(base_url: str, *, shop_id: str, email: str) -> None:
    raw = json.dumps(order_payload(id=shop_id, email=email)).encode()
    request = urllib.request.Request(  # noqa: S310 -- the test's own live server
        base_url + URL,
        data=raw,
        method="POST",
        headers={"Content-Type": "application/json", "X-Shop-Signature": sign(raw)},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- the test's own live server
        assert response.status in (200, 201)


def test_merge_from_the_pair_page_then_an_order_from_the_merged_email_lands_on_the_survivor(
    live_server, signed_in: Page, settings
):
    settings.SHOP_WEBHOOK_SECRET = SECRET
    home, _ = _two_ann_lees()
    pairs_find()
    page = signed_in
    page.get_by_role("link", name="Possible duplicates").first.click()
    expect(page.get_by_role("heading", name="Possible duplicates", level=1)).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("Same phone number")
    page.get_by_role("link", name="Review and merge").first.click()

    expect(page.get_by_role("heading", name="Merge two contacts", level=1)).to_be_visible()
    # The customer is kept; what moves is said before anything is done.
    expect(page.get_by_role("heading", name="Keeps: Ann Lee")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("0 orders, 1 ticket")
    expect(page.get_by_role("main")).to_contain_text("1 consent record")
    page.get_by_role("group", name="Address").get_by_label("Leeds").check()
    page.get_by_role("button", name="Merge contacts").click()

    expect(page.get_by_role("heading", name="Ann Lee", level=1)).to_be_visible()
    expect(page.get_by_text("Merged Annie Lee <ann@work.example> into this contact.")).to_be_visible()
    details = page.get_by_role("region", name="Contact", exact=True)
    expect(details).to_contain_text("ann@work.example")
    expect(details).to_contain_text("Leeds")
    expect(page.get_by_role("region", name="Tickets")).to_contain_text("Lost parcel")
    activity = page.get_by_role("region", name="Activity")
    expect(activity).to_contain_text("Merged with Annie Lee <ann@work.example>")
    expect(activity).to_contain_text("Prefers mail to calls")
    expect(page.get_by_role("button", name="Undo merge")).to_be_visible()

    _order_posted(live_server.url, shop_id="8003", email="ANN@work.example")
    page.reload()
    orders = page.get_by_role("region", name="Orders", exact=True)
    expect(orders.get_by_role("link", name="#8003")).to_be_visible()
    # Something new was recorded on the survivor: undo is no longer offered.
    expect(page.get_by_role("button", name="Undo merge")).to_have_count(0)
    assert list(Contact.objects.values_list("pk", flat=True)) == [home.pk]


def test_merge_with_from_the_contact_page_and_undo(live_server, signed_in: Page):
    _, work = _two_ann_lees()
    page = signed_in
    page.goto(f"{live_server.url}/contacts/{work.pk}/")
    page.get_by_text("Actions").click()
    page.get_by_role("link", name="Merge with…").click()
    # The live rules already suggest Ann Lee (same phone); the search finds her too.
    expect(page.get_by_role("region", name="Possible duplicates of Annie Lee")).to_contain_text("Same phone number")
    page.get_by_label("Find the other contact").fill("ann@home")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("region", name="Contacts found").get_by_role("link", name="Ann Lee").click()
    page.get_by_role("button", name="Merge contacts").click()
    expect(page.get_by_text("Merged Annie Lee <ann@work.example> into this contact.")).to_be_visible()

    page.get_by_role("button", name="Undo merge").click()
    expect(
        page.get_by_text("Merge undone: Annie Lee <ann@work.example> is a contact of its own again.")
    ).to_be_visible()
    assert Contact.objects.count() == 2
    page.goto(f"{live_server.url}/contacts/{work.pk}/")
    expect(page.get_by_role("heading", name="Annie Lee", level=1)).to_be_visible()
    expect(page.get_by_role("region", name="Tickets")).to_contain_text("Lost parcel")
