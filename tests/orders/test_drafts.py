"""Draft orders: prefilled from the contact, edited line by line, deleted, or marked as placed."""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm_core.actors import Actor
from customers.models import Activity, Contact, Stage, SuggestedUpdate
from orders.models import Order, OrderStatus
from orders.services import (
    EmptyDraft,
    LineInput,
    NotADraft,
    draft_order_create,
    draft_order_delete,
    draft_order_place,
    draft_order_update,
)
from tests.factories import ContactFactory, OrderFactory, PhoneNumberFactory, UserFactory
from tests.naughty import OUT_OF_RANGE_IDS

pytestmark = pytest.mark.django_db

MUG = LineInput(name="Mug", sku="MUG-1", quantity=2, unit_price=Decimal("12.50"))


@pytest.fixture
def actor():
    return Actor.staff(UserFactory())


@pytest.fixture
def lead():
    contact = ContactFactory(
        email="ann@example.com", first_name="Ann", last_name="Lee", city="Leeds", country="GB", stage=Stage.LEAD
    )
    PhoneNumberFactory(contact=contact, number="+447400123456", position=0)
    PhoneNumberFactory(contact=contact, number="+442071838750", position=1)
    return contact


def test_a_draft_is_prefilled_with_the_contacts_email_name_first_phone_and_address(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    assert (order.status, order.buyer_email, order.buyer_name) == (OrderStatus.DRAFT, "ann@example.com", "Ann Lee")
    assert (order.buyer_phone, order.city, order.country) == ("+447400123456", "Leeds", "GB")
    assert order.number == f"Draft D{order.pk}"
    assert Activity.objects.get(contact=lead, event="order_drafted").actor == actor.user


def test_saving_a_draft_recomputes_the_totals_from_its_lines(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    order = draft_order_update(order=order, lines=[MUG, MUG], buyer={"city": "York"}, shipping=Decimal("4.95"))
    assert (order.subtotal, order.total, order.city) == (Decimal("50.00"), Decimal("54.95"), "York")
    assert order.lines.count() == 2


def test_marking_a_draft_placed_makes_the_lead_a_customer_with_the_order(lead, actor):
    order = draft_order_update(order=draft_order_create(contact=lead, actor=actor), lines=[MUG], buyer={})
    order = draft_order_place(order=order, actor=actor)
    lead.refresh_from_db()
    assert (order.status, order.number) == (OrderStatus.PLACED, f"#D{order.pk}")
    assert order.placed_at is not None
    assert (lead.stage, lead.orders_count, lead.total_spent) == (Stage.CUSTOMER, 1, Decimal("25.00"))
    events = list(Activity.objects.filter(contact=lead).values_list("event", flat=True))
    assert {"became_customer", "order_placed"} <= set(events)


def test_a_placed_draft_follows_the_lock_like_a_shop_order(lead, actor):
    Contact.objects.filter(pk=lead.pk).update(details_locked=True)
    lead.refresh_from_db()
    order = draft_order_update(order=draft_order_create(contact=lead, actor=actor), lines=[MUG], buyer={"city": "York"})
    draft_order_place(order=order, actor=actor)
    assert Contact.objects.get(pk=lead.pk).city == "Leeds"
    assert SuggestedUpdate.objects.get(contact=lead).value == "York"


def test_a_draft_without_items_cannot_be_placed(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    with pytest.raises(EmptyDraft):
        draft_order_place(order=order, actor=actor)
    assert Order.objects.get(pk=order.pk).status == OrderStatus.DRAFT


def test_a_placed_order_is_no_longer_a_draft_to_edit_or_delete(actor):
    order = OrderFactory()
    with pytest.raises(NotADraft):
        draft_order_update(order=order, lines=[MUG], buyer={})
    with pytest.raises(NotADraft):
        draft_order_delete(order=order, actor=actor)
    assert Order.objects.filter(pk=order.pk).exists()


def test_deleting_a_draft_is_recorded_on_the_contact(lead, actor):
    order = draft_order_create(contact=lead, actor=actor)
    draft_order_delete(order=order, actor=actor)
    assert not Order.objects.filter(pk=order.pk).exists()
    assert Activity.objects.filter(contact=lead, event="draft_deleted").exists()


def lines_post(rows, **fields) -> dict:
    data = {"lines-TOTAL_FORMS": str(len(rows)), "lines-INITIAL_FORMS": "0", **fields}
    for index, (name, sku, quantity, price) in enumerate(rows):
        data |= {
            f"lines-{index}-name": name,
            f"lines-{index}-sku": sku,
            f"lines-{index}-quantity": quantity,
            f"lines-{index}-unit_price": price,
        }
    return data


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
