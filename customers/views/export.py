"""Export contacts: choose which contacts and which columns, then download the CSV as it is written.

The page is reached three ways: the list's Actions → Export contacts posts the list's selection form here
(the list's query and the ticked ids, or "all that match"); with no rows on the list to tick, the same menu
item is a link carrying the list's query string; and a contact page's Actions → Export contact posts that one
contact's id. Either way the person chooses the scope on this page; "Export" posts it back with `download`
and gets the file, streamed (customers/export.py).
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_http_methods

from crm_core.pagination import RowCount, count_rows
from customers import selectors
from customers.export import FULL, NOTHING_TO_EXPORT, export_csv, export_filename
from customers.filters import ContactFilter, filter_params
from customers.forms.export import SCOPE_ALL, ExportForm
from customers.models import Contact
from customers.selection import SCOPE_MATCHING, SCOPE_SELECTED, ContactSelection, EmptySelection, posted_filters
from customers.services.background import export_job_queue
from customers.services.export import export_log_start

# How ExportLog names each scope.
LOG_SCOPES = {SCOPE_SELECTED: "selected", SCOPE_MATCHING: "filter", SCOPE_ALL: "all"}


@dataclass(frozen=True)
class ExportRequest:
    """What the list sent: its filters, the rows ticked on it, and the scope that fits them best.

    `contact` is set when a contact page sent its own contact, so the way back leads there.
    """

    filters: QueryDict
    ids: frozenset[int]
    suggested_scope: str
    contact: int | None = None

    @classmethod
    def read(cls, request: HttpRequest) -> "ExportRequest":
        if request.method != "POST":
            filters = filter_params(request.GET)
            return cls(filters=filters, ids=frozenset(), suggested_scope=SCOPE_MATCHING if filters else SCOPE_ALL)
        filters = posted_filters(request.POST)
        ids = _ticked_ids(request.POST)
        if request.POST.get("scope") != SCOPE_MATCHING and ids:
            suggested = SCOPE_SELECTED
        else:
            suggested = SCOPE_MATCHING if filters else SCOPE_ALL
        contact = request.POST.get("contact", "")
        # Only ever the one id that is also the selection, so it names nothing the selection does not.
        from_contact = min(ids) if len(ids) == 1 and contact == str(min(ids)) else None
        return cls(filters=filters, ids=ids, suggested_scope=suggested, contact=from_contact)

    def selection(self, scope: str) -> ContactSelection | None:
        """Return the contacts a scope names, or None when it names none (no rows were ticked)."""
        if scope == SCOPE_SELECTED:
            return ContactSelection(filters=self.filters, ids=self.ids) if self.ids else None
        return ContactSelection(filters=self.filters if scope == SCOPE_MATCHING else QueryDict(), ids=None)


def _ticked_ids(data: QueryDict) -> frozenset[int]:
    """Return the ticked ids the list posted, read by the same rule as every bulk action."""
    ticked = data.copy()
    # "All that match" also ticks every row on the page; the ids still make the "selected" choice.
    ticked.pop("scope", None)
    try:
        return ContactSelection.from_post(ticked).ids
    except EmptySelection:
        return frozenset()


@permission_required("customers.export_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_export(request: HttpRequest) -> HttpResponse:
    asked = ExportRequest.read(request)
    data = request.POST if "download" in request.POST else None
    form = ExportForm(data, initial={"scope": asked.suggested_scope, "columns": FULL})
    if form.is_valid():
        scope = form.cleaned_data["scope"]
        selection = asked.selection(scope)
        contacts = selection.contacts(contacts=selectors.contacts_live()) if selection else None
        # Counted only as far as the threshold: past it, the exact number is the job's to find.
        threshold = settings.EXPORT_BACKGROUND_THRESHOLD
        count = contacts[: threshold + 1].count() if contacts is not None else 0
        if count and (form.cleaned_data["background"] or count > threshold):
            return _queue(request, form.cleaned_data, selection, count if count <= threshold else None)
        if count:
            return _download(request, form.cleaned_data, selection, contacts)
        form.add_error(None, NOTHING_TO_EXPORT)
    return render(request, "customers/export_form.html", _page_context(asked, form))


def _queue(
    request: HttpRequest, choice: dict[str, Any], selection: ContactSelection, count: int | None
) -> HttpResponse:
    job = export_job_queue(
        user=request.user,
        selection=selection,
        scope=LOG_SCOPES[choice["scope"]],
        columns=choice["columns"],
        bom=choice["bom"],
        count=count,
    )
    size = (
        f"{intcomma(count)} contact{pluralize(count)}"
        if count
        else f"more than {intcomma(settings.EXPORT_BACKGROUND_THRESHOLD)} contacts"
    )
    where = f" and emailed to {request.user.email}" if request.user.email else ""
    messages.success(
        request,
        f"Your export of {size} is being prepared in the background. It will be ready on this page{where}.",
    )
    return redirect(reverse("jobs:list") + f"#job-{job.pk}")


def _download(
    request: HttpRequest, choice: dict[str, Any], selection: ContactSelection, contacts: QuerySet[Contact]
) -> HttpResponse:
    described = {key: value for key, value in selection.describe().items() if key != "scope"}
    log = export_log_start(
        user=request.user, scope=LOG_SCOPES[choice["scope"]], columns=choice["columns"], selection=described
    )
    stream = export_csv(contacts=contacts, columns=choice["columns"], bom=choice["bom"], log=log)
    response = StreamingHttpResponse(stream, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=export_filename())
    response["Cache-Control"] = "no-store"
    # Tells nginx not to hold the stream back until it has all of it.
    response["X-Accel-Buffering"] = "no"
    return response


def _page_context(asked: ExportRequest, form: ExportForm) -> dict[str, Any]:
    live = selectors.contacts_live()
    filterset = ContactFilter(asked.filters, queryset=live)
    filterset.is_valid()
    query = asked.filters.urlencode()
    options = []
    if asked.ids:
        # Counted through the same selection the download uses, so the number shown is the number exported.
        selected = ContactSelection(filters=asked.filters, ids=asked.ids).contacts(contacts=live).count()
        options.append(
            (SCOPE_SELECTED, f"The {intcomma(selected)} selected contact{pluralize(selected)}", "", selected)
        )
    if asked.filters:
        matching = count_rows(filterset.qs)
        options.append(
            (SCOPE_MATCHING, f"All {_rows(matching)} contact{pluralize(matching.value)} that match", "", matching.value)
        )
    everyone = count_rows(live)
    options.append(
        (
            SCOPE_ALL,
            "All contacts",
            f"{_rows(everyone)} contact{pluralize(everyone.value)}, whatever the filters",
            everyone.value,
        )
    )
    return {
        "form": form,
        "query": query,
        "ids": sorted(asked.ids),
        "scope_options": [
            {
                "value": value,
                "id": f"id_scope_{index}",
                "label": label,
                "hint": hint,
                # Past the threshold the file is prepared as a job; the page says so before Export is pressed.
                "background": count > settings.EXPORT_BACKGROUND_THRESHOLD,
            }
            for index, (value, label, hint, count) in enumerate(options)
        ],
        "threshold": settings.EXPORT_BACKGROUND_THRESHOLD,
        "scope": form["scope"].value(),
        "columns": form["columns"].value(),
        "pills": [text for text, _ in filterset.pills()],
        "problems": filterset.problems(),
        "filename": export_filename(),
        "contact": asked.contact,
        **_way_back(asked, query),
    }


def _way_back(asked: ExportRequest, query: str) -> dict[str, str]:
    """Return where Back and Cancel lead: the contact page the export was asked from, or the list."""
    if asked.contact is not None:
        contact = selectors.contacts_live().filter(pk=asked.contact).only("first_name", "last_name", "email").first()
        if contact is not None:
            return {"back_url": contact.get_absolute_url(), "back_label": f"Back to {contact.display_name}"}
    return {"back_url": reverse("customers:list") + (f"?{query}" if query else ""), "back_label": "Back to contacts"}


def _rows(count: RowCount) -> str:
    """Return a row count as the list shows it (components/_count.html): exact, or "about N"."""
    return intcomma(count.value) if count.exact else f"about {intcomma(count.value)}"
