"""Draft orders through their pages: create from the contact page, edit lines, place, delete, access."""

from decimal import Decimal

import pytest
from django.urls import reverse

from customers.models import Activity, Contact, Stage
from orders.models import Order, OrderStatus
from orders.services import (
    draft_order_create,
)
from tests.factories import ContactFactory, OrderFactory
from tests.naughty import OUT_OF_RANGE_IDS
from tests.orders.support.drafts import lines_post

pytestmark = pytest.mark.django_db


def test_create_new_order_on_the_contact_page_opens_the_prefilled_draft_and_stores_it_on_save(staff_client, lead):
    assert "Create new order" in staff_client.get(lead.get_absolute_url()).content.decode()
    page = staff_client.get(reverse("orders:draft_create", args=[lead.pk]))
    html = page.content.decode()
    assert "<h1>New order</h1>" in html
    assert 'value="Ann"' in html
    assert 'value="+44 7400 123456"' in html
    assert "ann@example.com" in html
    assert not Order.objects.exists()
    data = lines_post([("Mug", "MUG-1", "2", "12.50")], buyer_first_name="Ann", buyer_phone="07400 123456")
    response = staff_client.post(reverse("orders:draft_create", args=[lead.pk]), data, follow=True)
    order = Order.objects.get()
    assert response.redirect_chain == [(order.get_absolute_url(), 302)]
    assert "Draft saved." in response.content.decode()
    assert (order.status, order.total, order.buyer_email, order.buyer_phone) == (
        OrderStatus.DRAFT,
        Decimal("25.00"),
        "ann@example.com",
        "+447400123456",
    )
    assert Activity.objects.get(contact=lead, event="order_drafted").body == f"Draft D{order.pk} created"


def test_a_new_order_cancelled_or_saved_without_items_leaves_nothing_behind(staff_client, lead):
    page = staff_client.get(reverse("orders:draft_create", args=[lead.pk])).content.decode()
    assert f'href="{lead.get_absolute_url()}">Cancel</a>' in page
    response = staff_client.post(reverse("orders:draft_create", args=[lead.pk]), lines_post([], buyer_first_name="Ann"))
    assert response.status_code == 200
    assert "Add at least one item to save the order, or choose Cancel." in response.content.decode()
    assert not Order.objects.exists()
    assert not Activity.objects.filter(event="order_drafted").exists()


def test_a_new_order_can_be_marked_as_placed_at_once(staff_client, lead):
    data = lines_post([("Mug", "", "1", "10")], buyer_first_name="Ann", place="1")
    response = staff_client.post(reverse("orders:draft_create", args=[lead.pk]), data)
    assert response.url == lead.get_absolute_url()
    assert Order.objects.get().status == OrderStatus.PLACED
    assert Contact.objects.get(pk=lead.pk).stage == Stage.CUSTOMER


def test_mark_as_placed_from_the_form_saves_the_lines_and_lands_on_the_customer(staff_client, lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    data = lines_post([("Mug", "MUG-1", "2", "12.50")], buyer_first_name="Ann", shipping="4.95", place="1")
    response = staff_client.post(reverse("orders:draft_update", args=[order.pk]), data, follow=True)
    assert response.redirect_chain[-1][0] == lead.get_absolute_url()
    html = response.content.decode()
    assert f"Order #D{order.pk} placed." in html
    assert "Customer" in html
    order.refresh_from_db()
    assert (order.status, order.total) == (OrderStatus.PLACED, Decimal("29.95"))


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("Mug", "", "-1", "10"), "Quantity must be at least 1"),
        (("Mug", "", "1.5", "10"), "Enter the quantity as a whole number, like 2"),
        (("Mug", "", "1", "-3"), "Unit price cannot be negative"),
        (("Mug", "", "1", "ten"), "Enter unit price as an amount, like 12.50"),
        (("Mug", "", "1", "1.999"), "Unit price can have at most 2 decimal places"),
        (("", "", "1", "10"), "Enter the item&#x27;s name"),
        (("Mug", "", "1", ""), "Enter the unit price"),
        (("Mug\x00", "", "1", "10"), "hidden control character"),
        (("x" * 10_000, "", "1", "10"), "200 characters or fewer"),
    ],
)
def test_bad_lines_are_field_errors_that_keep_the_rest(staff_client, lead, actor, row, message):
    order = draft_order_create(contact=lead, actor=actor)
    data = lines_post([row, ("Kept item", "", "1", "5")], buyer_first_name="Ann", place="1")
    response = staff_client.post(reverse("orders:draft_update", args=[order.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert message in html
    assert 'value="Kept item"' in html
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT
    assert not order.lines.exists()


def test_placing_an_empty_draft_says_to_add_an_item(staff_client, lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    html = staff_client.post(reverse("orders:draft_update", args=[order.pk]), lines_post([], place="1")).content
    assert "Add at least one item before marking the order as placed." in html.decode()
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


def test_add_item_without_javascript_keeps_what_was_typed(staff_client, lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    data = lines_post([("Mug", "MUG-1", "2", "12.50")], buyer_first_name="Changed", add_line="1")
    form = staff_client.post(reverse("orders:draft_update", args=[order.pk]), data).context["form"]
    assert [row["name"].value() for row in form.lines] == ["Mug", ""]
    assert form["buyer_first_name"].value() == "Changed"
    assert not Order.objects.get(pk=order.pk).lines.exists()


def test_a_placed_order_has_no_draft_form(staff_client):
    order = OrderFactory()
    assert staff_client.get(reverse("orders:draft_update", args=[order.pk])).status_code == 404
    assert staff_client.post(reverse("orders:draft_delete", args=[order.pk])).status_code == 404


def test_deleting_asks_first_and_cancel_keeps_the_draft(staff_client, lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    page = staff_client.get(reverse("orders:draft_delete", args=[order.pk])).content.decode()
    assert f"Delete Draft D{order.pk}?" in page
    assert "Cancel" in page
    assert Order.objects.filter(pk=order.pk).exists()
    response = staff_client.post(reverse("orders:draft_delete", args=[order.pk]))
    assert response.url == lead.get_absolute_url()
    assert not Order.objects.filter(pk=order.pk).exists()


def test_viewers_cannot_draft_edit_or_delete(client, viewer, lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    client.force_login(viewer)
    assert "Create new order" not in client.get(lead.get_absolute_url()).content.decode()
    assert client.get(reverse("orders:draft_create", args=[lead.pk])).status_code == 403
    assert client.post(reverse("orders:draft_create", args=[lead.pk])).status_code == 403
    assert client.post(reverse("orders:draft_update", args=[order.pk]), lines_post([], place="1")).status_code == 403
    assert client.post(reverse("orders:draft_delete", args=[order.pk])).status_code == 403
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


def test_the_contact_page_lists_the_latest_orders_and_links_to_all(staff_client):
    contact = ContactFactory(stage=Stage.CUSTOMER, orders_count=12)
    orders = [OrderFactory(contact=contact) for _ in range(12)]
    html = staff_client.get(contact.get_absolute_url()).content.decode()
    assert orders[-1].number in html
    assert orders[0].number not in html
    assert f"{reverse('orders:list')}?contact={contact.pk}" in html
    listed = staff_client.get(reverse("orders:list"), {"contact": contact.pk}).context["page_obj"]
    assert len(listed) == 12


@pytest.mark.parametrize("contact", ["²", "x", *OUT_OF_RANGE_IDS])
def test_a_contact_parameter_that_names_no_row_lists_every_order_never_a_500(staff_client, production, contact):
    """² is a digit to str.isdigit(), but not to int()."""
    order = OrderFactory()
    response = staff_client.get(reverse("orders:list"), {"contact": contact, "page": "9" * 40})
    assert response.status_code == 200
    assert response.context["contact"] is None
    assert list(response.context["page_obj"]) == [order]
