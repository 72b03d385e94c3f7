"""The shop's order webhook: a signed JSON order in, one call to order_sync_placed, a JSON answer out.

It also holds what every webhook checks before reading a body (webhook_body), for the connected shops' too.
"""

import hashlib
import hmac
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from orders.models import DeliverySource
from orders.payload import PayloadError, payload_from_json, placed_order_from_payload
from orders.services import SyncResult, order_sync_placed

logger = logging.getLogger(__name__)

# A real order is a few kilobytes; 500 lines of long names stay well under this.
MAX_BODY_BYTES = 1_000_000
SIGNATURE_HEADER = "X-Shop-Signature"
SIGNATURE_PREFIX = "sha256="


class Refused(Exception):
    """The request is answered with this status and reason; nothing has been written."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@csrf_exempt
@login_not_required
def shop_order(request: HttpRequest) -> JsonResponse:
    """Record the order the shop posted, once: a replay of the same order id answers 200 and writes nothing.

    The same id with other content answers 409 with the differences, recorded on the order for staff.
    """
    try:
        data = placed_order_from_payload(payload_from_json(webhook_text(_signed_body(request))))
    except PayloadError as error:
        return JsonResponse({"error": str(error)} | ({"field": error.field} if error.field else {}), status=400)
    except Refused as refused:
        response = JsonResponse({"error": str(refused)}, status=refused.status)
        if refused.status == 405:
            response["Allow"] = "POST"
        elif refused.status == 401:
            response["WWW-Authenticate"] = f'HMAC-SHA256 header="{SIGNATURE_HEADER}"'
        return response
    try:
        result = order_sync_placed(data=data, source=DeliverySource.WEBHOOK)
    except OperationalError:
        # A deadlock or a lock timeout: the shop delivers again later, and the replay is safe.
        logger.exception("Order %s could not be stored now", data.shop_order_id)
        return JsonResponse({"error": "The order could not be stored now; try again"}, status=503)
    return _answer(result, shop_order_id=data.shop_order_id)


def _answer(result: SyncResult, *, shop_order_id: str) -> JsonResponse:
    """Answer 201 for a new order, 200 for a replay, 409 for the same id with other content."""
    answer = {"order": result.order.pk, "contact": result.contact.pk if result.contact else None}
    if result.conflict is None:
        return JsonResponse(answer | {"created": result.created}, status=201 if result.created else 200)
    # 409 rather than 200: the shop meant to change an order, and the change was not made.
    error = f"Order {shop_order_id} was sent before with different content; the first version is kept"
    return JsonResponse(
        {"error": error, **answer, "created": False, "differences": result.conflict.differences}, status=409
    )


def _signed_body(request: HttpRequest) -> bytes:
    """Return the raw body once its size and signature are checked."""
    secret = settings.SHOP_WEBHOOK_SECRET
    body = webhook_body(request, secret=secret, setting="SHOP_WEBHOOK_SECRET")
    given = request.headers.get(SIGNATURE_HEADER, "").strip()
    if not given:
        raise Refused(401, f"The {SIGNATURE_HEADER} header is missing")
    expected = SIGNATURE_PREFIX + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    # compare_digest takes its time whatever matches, and refuses non-ASCII text, hence the first check.
    if not given.isascii() or not hmac.compare_digest(given.lower(), expected):
        raise Refused(401, f"The {SIGNATURE_HEADER} signature does not match the body")
    return body


def webhook_body(request: HttpRequest, *, secret: str, setting: str) -> bytes:
    """Return the raw body of a webhook POST once the method, the server's secret and the size are checked.

    Every webhook (this shop's, Shopify's, WooCommerce's) starts here, so each answers these cases alike.
    """
    if request.method != "POST":
        raise Refused(405, "Only POST is allowed")
    if not secret:
        # Without a secret any sender could sign; this is the server's misconfiguration, not the shop's
        # fault, so 503 (the shop keeps retrying and the orders arrive once the secret is set), not 401.
        logger.error("%s is not set: refusing every delivery of its webhook", setting)
        raise Refused(503, "This webhook is not configured")
    try:
        declared = int(request.headers.get("Content-Length") or 0)
    except ValueError as error:
        raise Refused(400, "Content-Length is not a number") from error
    if declared > MAX_BODY_BYTES:
        raise Refused(413, f"The body is larger than {MAX_BODY_BYTES:,} bytes")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        raise Refused(413, f"The body is larger than {MAX_BODY_BYTES:,} bytes")
    return body


def webhook_text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise Refused(400, "The body is not UTF-8 text") from error
