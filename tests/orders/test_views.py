"""The Orders page and the contact page's orders: newest first by placed date, drafts by when they were started."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import OrderStatus
from tests.factories import ContactFactory, OrderFactory

pytestmark = pytest.mark.django_db

UTC = ZoneInfo("UTC")


@pytest.fixture
def orders():
    """Orders stored in another order than they were placed: an import brings last year's order after today's."""
    contact = ContactFactory()
    march = OrderFactory(contact=contact, shop_order_id="1001", placed_at=datetime(2026, 3, 1, 10, tzinfo=UTC))
    january = OrderFactory(contact=contact, shop_order_id="1000", placed_at=datetime(2026, 1, 1, 10, tzinfo=UTC))
    draft = OrderFactory(contact=contact, shop_order_id=None, status=OrderStatus.DRAFT, placed_at=None)
    later_import = OrderFactory(contact=contact, shop_order_id="999", placed_at=timezone.now() - timedelta(days=400))
    return contact, [draft, march, january, later_import]


def test_the_orders_page_lists_newest_placed_first_and_drafts_by_when_they_were_started(staff_client, orders):
    _contact, newest_first = orders
    listed = staff_client.get(reverse("orders:list")).context["page_obj"]
    assert [order.pk for order in listed] == [order.pk for order in newest_first]


def test_the_contacts_orders_are_in_the_same_order(staff_client, orders):
    contact, newest_first = orders
    shown = staff_client.get(contact.get_absolute_url()).context["orders"]
    assert [order.pk for order in shown] == [order.pk for order in newest_first]
    listed = staff_client.get(reverse("orders:list"), {"contact": contact.pk}).context["page_obj"]
    assert [order.pk for order in listed] == [order.pk for order in newest_first]
