"""The shop's webhook, at the site's root and without a namespace: shops are configured with this address."""

from django.urls import path

from orders import webhooks

urlpatterns = [
    path("hooks/shop/orders", webhooks.shop_order, name="shop_order_webhook"),
]
