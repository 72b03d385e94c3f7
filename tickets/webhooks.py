"""The Mailgun inbound webhook: django-anymail checks Mailgun's signature and hands the mail to the intake."""

from typing import Any

from anymail.webhooks.mailgun import MailgunInboundWebhookView
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from tickets.services.intake import mail_receive


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
    return MailgunInboundWebhookView.as_view(webhook_signing_key=key)(request)
