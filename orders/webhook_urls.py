"""The shops' webhooks, at the site's root and without a namespace: shops are configured with these addresses."""

from django.urls import path

from orders import webhooks
from orders.shops import hooks

urlpatterns = [
    path("hooks/shop/orders", webhooks.shop_order, name="shop_order_webhook"),
    path("hooks/shopify/", hooks.shopify_webhook, name="shopify_webhook"),
    path("hooks/woocommerce/", hooks.woocommerce_webhook, name="woocommerce_webhook"),
]
