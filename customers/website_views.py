"""The public contact form the shop's website links to, and its thank-you page. No login needed."""

import hashlib

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from crm_core.client import client_address
from customers.services.website import contact_form_submit
from customers.website_forms import WebsiteContactForm

RATE_LIMIT_MESSAGE = "Too many messages from your network. Try again in a few minutes."


def submission_allowed(address: str) -> bool:
    """Count one submission from this address; return False once the window's allowance is used up."""
    key = "contact-form:addr:" + hashlib.sha256(address.encode()).hexdigest()
    # add + incr are atomic in every cache backend Django ships with, so simultaneous submissions from
    # one address cannot all read the same count and slip past the limit together.
    cache.add(key, 0, settings.CONTACT_FORM_RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:
        # The window ended between add and incr, so this submission opens the next window; if a simultaneous
        # one opened it first, this one is counted in it rather than lost.
        count = 1 if cache.add(key, 1, settings.CONTACT_FORM_RATE_WINDOW) else cache.incr(key)
    return count <= settings.CONTACT_FORM_RATE_LIMIT


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
