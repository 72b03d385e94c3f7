"""The Mailgun inbound webhook: django-anymail checks Mailgun's signature and hands the mail to the intake."""

import math
import time
from typing import Any

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt

from tickets.services.intake import mail_receive

# Seconds a signed post stays acceptable.
SIGNATURE_MAX_AGE = 15 * 60


def on_inbound(sender: Any, *, event: Any, esp_name: str, **kwargs: Any) -> None:
    """anymail's inbound signal: the mail, rebuilt as Mailgun received it, goes to the one intake service."""
    mail_receive(raw=event.message.as_bytes())


@csrf_exempt
@login_not_required
def mailgun_inbound(request: HttpRequest) -> HttpResponse:
    """Accept a mail Mailgun forwards (its route's "store and notify" or "forward" to this URL).

    A post without a valid signature gets 400 from anymail; with no signing key configured the URL is absent.
    A database failure answers 500, so Mailgun tries again later.
    """
    key = settings.MAILGUN_WEBHOOK_SIGNING_KEY
    if not key:
        raise Http404("Inbound mail from Mailgun is not configured")
    # Mailgun signs only timestamp + token, not the mail, so a captured signature could carry another mail:
    # as Mailgun's documentation advises, a post older than the window is refused, and so is a token seen
    # before (remembered in the cache for the window; several web processes need a shared CACHE_URL).
    try:
        age = time.time() - float(request.POST.get("timestamp", ""))
    except ValueError:
        age = math.inf
    if not -SIGNATURE_MAX_AGE < age < SIGNATURE_MAX_AGE:
        return HttpResponseBadRequest("The signature's timestamp is missing or too old.", content_type="text/plain")
    token = request.POST.get("token", "")[:200]
    if not cache.add(f"mailgun-token:{token}", True, 2 * SIGNATURE_MAX_AGE):
        return HttpResponseBadRequest("This signature was used before.", content_type="text/plain")
    return MailgunInboundWebhookView.as_view(webhook_signing_key=key)(request)
