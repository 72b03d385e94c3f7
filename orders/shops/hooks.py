"""Shopify's and WooCommerce's webhooks: each delivery checked as its shop signs it, translated, handed on.

Handed on to the order services, as every order is.

Answers, for the shop's delivery log: 200 with what was done (and for a redelivery, a topic we do not handle
or WooCommerce's ping, with nothing written); 400 naming the field for a body that cannot be an order; 401
for a wrong or missing signature or a shop not configured; 405 for anything but POST; 413 for a body over
the limit; 503 when the connector's secret is not set or the database is busy (the shop delivers again).
Shops disable a webhook that keeps failing, so only what the shop can fix, or what will pass on a retry, is
answered with an error.
"""

import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import IntegrityError, OperationalError, transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from crm_core.actors import SHOP
from orders.models import DeliverySource, ShopConnector, ShopDelivery
from orders.payload import PayloadError, payload_from_json, placed_order_from_payload
from orders.services import SyncResult, order_sync_placed, shop_customer_sync
from orders.shops.shopify import (
    shopify_customer_input,
    shopify_error,
    shopify_order_payload,
    shopify_unwrapped,
)
from orders.shops.woocommerce import woocommerce_error, woocommerce_order_payload
from orders.webhooks import Refused, webhook_body, webhook_text

logger = logging.getLogger(__name__)

SHOPIFY_ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled"})
SHOPIFY_CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
WOOCOMMERCE_ORDER_TOPICS = frozenset({"order.created", "order.updated"})
# WooCommerce's first delivery to a new webhook: a form post of its id, unsigned, to see the address answers.
WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d{1,20}")
LONGEST_ID = ShopDelivery._meta.get_field("delivery_id").max_length


@csrf_exempt
@login_not_required
def shopify_webhook(request: HttpRequest) -> JsonResponse:
    """Act on one Shopify delivery: an order (created, updated, paid, cancelled) or a customer account."""
    try:
        body = webhook_body(request, secret=settings.SHOPIFY_WEBHOOK_SECRET, setting="SHOPIFY_WEBHOOK_SECRET")
        _signature_check(request, body, header="X-Shopify-Hmac-Sha256", secret=settings.SHOPIFY_WEBHOOK_SECRET)
        shop = request.headers.get("X-Shopify-Shop-Domain", "").strip().lower()
        if shop not in settings.SHOPIFY_SHOP_DOMAINS:
            raise Refused(401, "This shop is not connected (SHOPIFY_SHOP_DOMAINS)")
        topic = request.headers.get("X-Shopify-Topic", "").strip()
        delivery_id = _delivery_id(request, "X-Shopify-Webhook-Id")
    except Refused as refused:
        return _refused(refused, header="X-Shopify-Hmac-Sha256")
    if topic in SHOPIFY_ORDER_TOPICS:

        def act(payload: object) -> dict[str, Any]:
            order = shopify_order_payload(shopify_unwrapped(payload, "order"), shop_domain=shop)
            return _order_sync(order, rename=shopify_error)

    elif topic in SHOPIFY_CUSTOMER_TOPICS:

        def act(payload: object) -> dict[str, Any]:
            data = shopify_customer_input(shopify_unwrapped(payload, "customer"))
            contact = shop_customer_sync(data=data, actor=SHOP, source_reference=f"Shopify customer ({shop})")
            return {"contact": contact.pk}

    else:
        return JsonResponse({"ignored": f"Topic {topic or '(none)'} is not one this app acts on"}, status=200)
    return _delivery_act(
        connector=ShopConnector.SHOPIFY, delivery_id=delivery_id, topic=topic, shop=shop, body=body, act=act
    )


@csrf_exempt
@login_not_required
def woocommerce_webhook(request: HttpRequest) -> JsonResponse:
    """Act on one WooCommerce delivery: an order created or updated; answer the ping of a new webhook."""
    secret = settings.WOOCOMMERCE_WEBHOOK_SECRET
    try:
        body = webhook_body(request, secret=secret, setting="WOOCOMMERCE_WEBHOOK_SECRET")
        if "X-WC-Webhook-Signature" not in request.headers and WOOCOMMERCE_PING.fullmatch(body.strip()):
            # Nothing is written for it, so it needs no signature (WooCommerce sends none).
            return JsonResponse({"ping": "received"}, status=200)
        _signature_check(request, body, header="X-WC-Webhook-Signature", secret=secret)
        topic = request.headers.get("X-WC-Webhook-Topic", "").strip()
        delivery_id = _delivery_id(request, "X-WC-Webhook-Delivery-ID")
    except Refused as refused:
        return _refused(refused, header="X-WC-Webhook-Signature")
    if topic not in WOOCOMMERCE_ORDER_TOPICS:
        return JsonResponse({"ignored": f"Topic {topic or '(none)'} is not one this app acts on"}, status=200)

    def act(payload: object) -> dict[str, Any]:
        return _order_sync(woocommerce_order_payload(payload), rename=woocommerce_error)

    source = request.headers.get("X-WC-Webhook-Source", "").strip()[:255]
    return _delivery_act(
        connector=ShopConnector.WOOCOMMERCE, delivery_id=delivery_id, topic=topic, shop=source, body=body, act=act
    )


def _signature_check(request: HttpRequest, body: bytes, *, header: str, secret: str) -> None:
    """Check the base64 HMAC-SHA256 of the raw body, as both Shopify and WooCommerce sign it."""
    given = request.headers.get(header, "").strip()
    if not given:
        raise Refused(401, f"The {header} header is missing")
    expected = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    # compare_digest takes its time whatever matches, and refuses non-ASCII text, hence the first check.
    if not given.isascii() or not hmac.compare_digest(given, expected):
        raise Refused(401, f"The {header} signature does not match the body")


def _delivery_id(request: HttpRequest, header: str) -> str:
    value = request.headers.get(header, "").strip()
    if not value:
        raise Refused(400, f"The {header} header is missing")
    if len(value) > LONGEST_ID or not value.isprintable():
        raise Refused(400, f"The {header} header is not a delivery id")
    return value


def _refused(refused: Refused, *, header: str) -> JsonResponse:
    response = JsonResponse({"error": str(refused)}, status=refused.status)
    if refused.status == 405:
        response["Allow"] = "POST"
    elif refused.status == 401:
        response["WWW-Authenticate"] = f'HMAC-SHA256 header="{header}"'
    return response


def _delivery_act(
    *,
    connector: ShopConnector,
    delivery_id: str,
    topic: str,
    shop: str,
    body: bytes,
    act: Callable[[object], dict[str, Any]],
) -> JsonResponse:
    """Act on a delivery once: remembered in the transaction that acts on it, so a failed one is retried."""
    if ShopDelivery.objects.filter(connector=connector, delivery_id=delivery_id).exists():
        return JsonResponse({"duplicate": f"Delivery {delivery_id} was received before"}, status=200)
    try:
        payload = payload_from_json(webhook_text(body))
        with transaction.atomic():
            try:
                with transaction.atomic():
                    delivery = ShopDelivery.objects.create(
                        connector=connector,
                        delivery_id=delivery_id,
                        topic=topic,
                        shop=shop,
                        received_at=timezone.now(),
                    )
            except IntegrityError:
                # The same delivery in flight twice: the other one holds it.
                return JsonResponse({"duplicate": f"Delivery {delivery_id} was received before"}, status=200)
            answer = act(payload)
            if answer.get("order"):
                ShopDelivery.objects.filter(pk=delivery.pk).update(order_id=answer["order"])
    except Refused as refused:
        return JsonResponse({"error": str(refused)}, status=refused.status)
    except PayloadError as error:
        return JsonResponse({"error": str(error)} | ({"field": error.field} if error.field else {}), status=400)
    except OperationalError:
        # A deadlock or a lock timeout: the shop delivers again later, and nothing of this one was kept.
        logger.exception("%s delivery %s could not be stored now", connector.label, delivery_id)
        return JsonResponse({"error": "The delivery could not be stored now; try again"}, status=503)
    return JsonResponse(answer, status=200)


def _order_sync(payload: dict[str, Any], *, rename: Callable[[PayloadError], PayloadError]) -> dict[str, Any]:
    try:
        data = placed_order_from_payload(payload)
    except PayloadError as error:
        raise rename(error) from error
    result: SyncResult = order_sync_placed(data=data, actor=SHOP, source=DeliverySource.WEBHOOK)
    answer: dict[str, Any] = {
        "order": result.order.pk,
        "contact": result.contact.pk if result.contact else None,
        "created": result.created,
        "status": result.order.status,
    }
    if result.conflict is not None:
        # Answered 200 all the same: the shop cannot change what is stored, and staff see the difference.
        answer["differences"] = result.conflict.differences
    return answer
