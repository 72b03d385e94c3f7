"""The public contact form the shop's website links to, and its thank-you page. No login needed."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from crm_core.client import client_address
from crm_core.throttle import attempt_allowed
from customers.forms.website import WebsiteContactForm
from customers.services.website import contact_form_submit

RATE_LIMIT_MESSAGE = "Too many messages from your network. Try again in a few minutes."


def submission_allowed(address: str) -> bool:
    """Count one submission from this address; return False once the window's allowance is used up."""
    return attempt_allowed(
        scope="contact-form",
        client=address,
        limit=settings.CONTACT_FORM_RATE_LIMIT,
        window=settings.CONTACT_FORM_RATE_WINDOW,
    )


@login_not_required
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    form = WebsiteContactForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_bound and form.honeypot_filled():
        # Looks accepted, so a bot learns nothing; nothing is saved, and it does not use up the allowance
        # of the people who share its address.
        return redirect("website_contact_thanks")
    if form.is_valid():
        address = client_address(request)
        if submission_allowed(address):
            contact_form_submit(**form.submission(), client=address)
            return redirect("website_contact_thanks")
        form.add_error(None, ValidationError(RATE_LIMIT_MESSAGE, code="rate_limited"))
        status = 429
    return render(request, "website/contact.html", {"form": form}, status=status)


@login_not_required
@require_safe
def contact_thanks(request: HttpRequest) -> HttpResponse:
    return render(request, "website/thanks.html")
