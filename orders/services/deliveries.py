"""The connected shops' webhook deliveries remembered by id, and forgotten once no shop delivers them again."""

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from orders.models import ShopDelivery


def shop_deliveries_forget() -> int:
    """Delete the deliveries received more than SHOP_DELIVERY_DAYS ago; return how many.

    Shopify retries a failed delivery for 48 hours and WooCommerce for less, so after a month no redelivery
    can come; the orders they brought stay.
    """
    before = timezone.now() - timedelta(days=settings.SHOP_DELIVERY_DAYS)
    deleted, _ = ShopDelivery.objects.filter(received_at__lt=before).delete()
    return deleted
