"""The contacts list (search, filters, tabs, keyset pages) and the bulk label actions over its selection."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from crm_core.actors import Actor
from crm_core.jinja import partial_render
from crm_core.moments import moment_formatter
from crm_core.pagination import count_from_page
from crm_core.phones import phone_display
from crm_core.templatetags.crm import money
from crm_core.urls import url_for_pk
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
    # The tabs count what the search and filters match, free when the All tab's first page holds every match.
    tab = query.stage or "all"
    every = tab == "all" and count_from_page(page, from_start=query.from_start) is not None
    counts = selectors.contact_stage_counts(contacts=query.contacts_any_stage, shown=page.rows if every else None)
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
    detail_url = url_for_pk("customers:detail")
    thumbnail_url = url_for_pk("customers:thumbnail")
    list_date = moment_formatter()
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
