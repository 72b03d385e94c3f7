"""The contacts list (search, filters, tabs, keyset pages) and the bulk label actions over its selection."""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dates import MONTHS_3
from django.views.decorators.http import require_GET, require_POST

from crm_core.actors import Actor
from crm_core.jinja import partial_render
from crm_core.pagination import count_from_page
from crm_core.phones import phone_display
from crm_core.templatetags.crm import money
from customers import selectors, services
from customers.filters import ContactListQuery
from customers.forms import BulkLabelForm
from customers.models import Contact
from customers.selection import ContactSelection, EmptySelection, posted_filters
from customers.services import background


@permission_required("customers.view_contact", raise_exception=True)
@require_GET
def contact_list(request: HttpRequest) -> HttpResponse:
    query = ContactListQuery.from_params(request.GET, contacts=selectors.contacts_live())
    labels = selectors.labels_all()
    page = selectors.contact_list_page(
        contacts=query.contacts,
        labels=labels,
        ordering=query.ordering,
        size=settings.LIST_PAGE_SIZE,
        cursor=query.cursor,
        last=query.last,
    )
    # The tabs count what the search and filters match; the open tab's count is the list's own, free when
    # its first page holds every match.
    tab = query.stage or "all"
    shown = count_from_page(page, from_start=query.from_start)
    counts = selectors.contact_stage_counts(contacts=query.contacts_any_stage, known={tab: shown} if shown else {})
    context = {
        "query": query,
        "page": page,
        "rows_html": partial_render(
            "customers/contact_rows.html",
            {
                "rows": _contact_rows(page.rows),
                "selectable": request.user.has_perm("customers.change_contact")
                or request.user.has_perm("customers.export_contact"),
            },
        ),
        "count": counts[tab],
        "counts": counts,
        # Tells the first-use empty state from "no contacts found"; asked only when nothing matches.
        "has_contacts": bool(counts["all"].value) or selectors.contacts_live().exists(),
        "labels": labels,
    }
    # A history restore asks for the whole page: htmx lost its snapshot and reloads the URL.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "customers/contact_list.html" + ("#results" if partial else "")
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _contact_rows(contacts: Iterable[Contact]) -> list[dict[str, Any]]:
    """Return what each row of the list shows, as text ready for the template.

    Formatting here, once per value, costs a fraction of doing it through a template: there each row
    took about a millisecond in reverse() calls, filter lookups and timezone conversions. The template
    (Jinja2's, jinja2/customers/contact_rows.html) still escapes every value.
    """
    detail_url = _url_for_pk("customers:detail")
    thumbnail_url = _url_for_pk("customers:thumbnail")
    list_date = _list_date_formatter()
    return [
        {
            "pk": str(contact.pk),
            "name": contact.display_name,
            "initials": contact.initials,
            "thumbnail_url": thumbnail_url(contact.pk) if contact.image_thumbnail else "",
            "url": detail_url(contact.pk),
            "email": contact.email,
            "phone": phone_display(contact.first_phone) if contact.first_phone else "",
            "stage": contact.stage,
            "stage_label": contact.get_stage_display(),
            "labels": contact.label_list,
            "companies": ", ".join(contact.company_names),
            "orders_count": intcomma(contact.orders_count),
            "total_spent": money(contact.total_spent) if contact.orders_count else "",
            "last_order": list_date(contact.last_order_at) if contact.last_order_at else None,
            "created": list_date(contact.created_at),
        }
        for contact in contacts
    ]


# A pk no real row has; its digits mark where a row's pk goes in a URL reversed once.
_PK_PLACEHOLDER = 987654321


def _url_for_pk(name: str) -> Callable[[int], str]:
    """Return a function making the URL `name` has for a pk, with one reverse() for the whole page.

    Safe because the URL's only argument is an <int:pk>: a pk's digits need no quoting and the rest of
    the URL does not depend on it. Reversed per request, so a script prefix is honoured.
    """
    before, _, after = reverse(name, args=[_PK_PLACEHOLDER]).rpartition(str(_PK_PLACEHOLDER))
    return lambda pk: f"{before}{pk}{after}"


def _list_date_formatter() -> Callable[[datetime], dict[str, str]]:
    """Return a function giving a moment as the list shows it: ISO 8601 for <time datetime>, "5 Mar 2025" to read.

    The template's date filters "c" and "j M Y" give the same, but look up the time zone, search the
    locale's format modules and parse the format again for each of up to a hundred dates a page shows.
    """
    tz = timezone.get_current_timezone()
    # dateformat's "M": the current language's three-letter month names.
    months = {number: name.title() for number, name in MONTHS_3.items()}

    def formatted(moment: datetime) -> dict[str, str]:
        local = moment.astimezone(tz)
        return {"iso": local.isoformat(), "text": f"{local.day} {months[local.month]} {local.year:04d}"}

    return formatted


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def contact_bulk(request: HttpRequest) -> HttpResponse:
    back = reverse("customers:list") + "?" + posted_filters(request.POST).urlencode()
    form = BulkLabelForm(request.POST)
    try:
        selection = ContactSelection.from_post(request.POST)
    except EmptySelection:
        messages.error(request, "Select at least one contact first.")
        return redirect(back)
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
        return redirect(back)
    label, action = form.cleaned_data["label"], form.cleaned_data["action"]
    contacts = selection.contacts(contacts=selectors.contacts_live())
    # Ticked rows are a page at most; only "all that match" can be too many for one request.
    count = contacts.count() if selection.all_matching else 0
    if count > settings.BULK_JOB_THRESHOLD:
        add = action == BulkLabelForm.ADD
        background.label_job_queue(user=request.user, selection=selection, label=label, add=add, count=count)
        doing = f"Adding label {label.name} to" if add else f"Removing label {label.name} from"
        messages.success(request, f"{doing} {intcomma(count)} contacts in the background; follow it on the Jobs page.")
        return redirect(back)
    actor = Actor.staff(request.user)
    if action == BulkLabelForm.ADD:
        changed = services.contacts_label_add(contacts=contacts, label=label, actor=actor)
        messages.success(request, f"Label {label.name} added to {intcomma(changed)} contact{pluralize(changed)}.")
    else:
        changed = services.contacts_label_remove(contacts=contacts, label=label, actor=actor)
        messages.success(request, f"Label {label.name} removed from {intcomma(changed)} contact{pluralize(changed)}.")
    return redirect(back)
