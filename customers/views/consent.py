"""Email marketing consent on the contact page: change it, unsubscribe in one click, read the history."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm_core.actors import Actor
from customers import selectors, services
from customers.forms.consent import ConsentForm
from customers.models import ConsentRecord, ConsentSource, ConsentState, Contact, OptInLevel

# The states a one-click unsubscribe applies to; from any other there is nothing to withdraw.
UNSUBSCRIBABLE = {ConsentState.SUBSCRIBED, ConsentState.PENDING}


@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def consent_change(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = ConsentForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        record = services.consent_record(
            contact=contact, source=ConsentSource.STAFF, actor=Actor.staff(request.user), **form.cleaned_data
        )
        messages.success(request, _outcome(contact, record))
        return redirect(contact)
    return render(request, "customers/consent_form.html", {"contact": contact, "form": form})


def _outcome(contact: Contact, record: ConsentRecord) -> str:
    current = contact.get_marketing_consent_display()
    if record.state == contact.marketing_consent:
        return f"Consent recorded. Email marketing: {current}."
    # The service kept the later record's state: say so, or staff would think the change was lost.
    given = date_format(timezone.localtime(record.given_at), "j M Y, H:i")
    return (
        f"Consent recorded for {given}. A later entry says {current}, "
        f"so email marketing stays {current}. It is listed in the history."
    )


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def consent_unsubscribe(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    if contact.marketing_consent not in UNSUBSCRIBABLE:
        messages.info(request, f"{contact.display_name} was not subscribed; nothing changed.")
        return redirect(contact)
    staff_name = request.user.get_full_name() or request.user.get_username()
    services.consent_record(
        contact=contact,
        state=ConsentState.UNSUBSCRIBED,
        source=ConsentSource.STAFF,
        given_at=timezone.now(),
        collected_how=f"Unsubscribed by {staff_name} from the contact page",
        opt_in_level=OptInLevel.UNKNOWN,
        actor=Actor.staff(request.user),
    )
    messages.success(request, f"{contact.display_name} unsubscribed from email marketing.")
    return redirect(contact)


@permission_required("customers.view_contact", raise_exception=True)
@require_GET
def consent_history_page(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    records = selectors.consent_history(contact=contact)
    page = Paginator(records, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "customers/consent_history.html", {"contact": contact, "page_obj": page})
