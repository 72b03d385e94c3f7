"""Delete contacts (to the Trash) with its confirmation and Undo, the Trash page, Delete permanently, Erase.

A delete is asked twice: the bulk bar (or the contact page) opens a confirmation that names what is
selected and what happens, and only its own button moves anything. The confirmation carries the
selection itself (the list's query, the scope and the ticked ids), never a list of contacts it worked
out, and the count it shows is checked again when the contacts move: if the selection no longer holds
that many, nothing moves and the confirmation is shown again with the new count.
"""

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse, QueryDict
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm_core.actors import Actor
from crm_core.forms import search_read
from customers import selectors, services
from customers.forms.trash import ContactEraseForm
from customers.models import Contact
from customers.search import MAX_TERM_LENGTH
from customers.selection import SCOPE_MATCHING, ContactSelection, EmptySelection, posted_filters
from customers.services import background, trash

# The confirmation names this many of the selected contacts, then says how many more there are.
NAMES_SHOWN = 5
# The session remembers the last few deletes its user may undo, by the moment they were made.
UNDO_SESSION_KEY = "trash_undo"
UNDO_KEPT = 5


class SelectionChanged(Exception):
    """The selection no longer holds the number of contacts the confirmation showed."""


def _contacts_count(count: int) -> str:
    return f"{intcomma(count)} contact{'' if count == 1 else 's'}"


def _list_url(filters: QueryDict) -> str:
    query = filters.urlencode()
    return reverse("customers:list") + (f"?{query}" if query else "")


def _confirm(
    request: HttpRequest,
    selection: ContactSelection,
    *,
    cancel_url: str,
    back_label: str = "Back to contacts",
    changed: bool = False,
) -> HttpResponse:
    contacts = selection.contacts(contacts=selectors.contacts_live())
    totals = contacts.aggregate(count=Count("pk"), orders=Sum("orders_count"))
    if not totals["count"]:
        messages.error(request, "None of the selected contacts can be deleted: they are in the Trash or gone.")
        return redirect(cancel_url)
    names = list(
        contacts.order_by("last_name", "first_name", "pk").only("first_name", "last_name", "email")[:NAMES_SHOWN]
    )
    context = {
        "query": selection.filters.urlencode(),
        "scope": SCOPE_MATCHING if selection.all_matching else "",
        "ids": sorted(selection.ids or ()),
        "count": totals["count"],
        "orders": totals["orders"] or 0,
        "names": names,
        "more": totals["count"] - len(names),
        "cancel_url": cancel_url,
        "back_label": back_label,
        "changed": changed,
        "trash_days": settings.TRASH_DAYS,
    }
    return render(request, "customers/contact_confirm_delete.html", context)


@permission_required("customers.delete_contact", raise_exception=True)
@require_GET
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """The contact page's Delete: the bulk confirmation, for this one contact."""
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    selection = ContactSelection(filters=QueryDict(), ids=frozenset([contact.pk]))
    return _confirm(
        request, selection, cancel_url=contact.get_absolute_url(), back_label=f"Back to {contact.display_name}"
    )


@permission_required("customers.delete_contact", raise_exception=True)
@require_POST
def contacts_delete(request: HttpRequest) -> HttpResponse:
    """Show the confirmation for the bulk bar's selection; with `confirm`, move the contacts to the Trash."""
    back = _list_url(posted_filters(request.POST))
    try:
        selection = ContactSelection.from_post(request.POST)
    except EmptySelection:
        messages.error(request, "Select at least one contact first.")
        return redirect(back)
    if "confirm" not in request.POST:
        return _confirm(request, selection, cancel_url=back)
    shown = request.POST.get("count", "")
    if selection.all_matching:
        count = selection.contacts(contacts=selectors.contacts_live()).count()
        if str(count) != shown:
            return _confirm(request, selection, cancel_url=back, changed=True)
        if count > settings.BULK_JOB_THRESHOLD:
            background.trash_job_queue(user=request.user, selection=selection, count=count)
            messages.success(
                request, f"Moving {_contacts_count(count)} to the Trash in the background; follow it on the Jobs page."
            )
            return redirect(back)
    at = timezone.now()
    try:
        with transaction.atomic():
            moved = services.contacts_trash(
                contacts=selection.contacts(contacts=selectors.contacts_live()),
                actor=Actor.staff(request.user),
                at=at,
            )
            if str(moved) != shown:
                raise SelectionChanged
    except SelectionChanged:
        return _confirm(request, selection, cancel_url=back, changed=True)
    _undo_remember(request, at)
    messages.success(request, _moved_message(request, moved, at))
    return redirect(back)


def _undo_remember(request: HttpRequest, at: datetime) -> None:
    kept = request.session.get(UNDO_SESSION_KEY, [])[-(UNDO_KEPT - 1) :]
    request.session[UNDO_SESSION_KEY] = [*kept, at.isoformat()]


def _moved_message(request: HttpRequest, moved: int, at: datetime) -> str:
    # The banner carries its own small form: Undo is a POST, so it needs the CSRF token.
    return format_html(
        '{} moved to the Trash — <form method="post" action="{}"><input type="hidden" name="csrfmiddlewaretoken" '
        'value="{}"><input type="hidden" name="moved_at" value="{}"><button class="button button--link" '
        'type="submit">Undo</button></form>',
        _contacts_count(moved),
        reverse("customers:trash_undo"),
        get_token(request),
        at.isoformat(),
    )


@permission_required("customers.delete_contact", raise_exception=True)
@require_POST
def trash_undo(request: HttpRequest) -> HttpResponse:
    """Restore exactly the contacts one delete of this session moved, except those whose email is taken now."""
    moved_at = request.POST.get("moved_at", "")
    remembered = request.session.get(UNDO_SESSION_KEY, [])
    if moved_at not in remembered:
        messages.error(request, "That delete can no longer be undone here. Restore the contacts from the Trash.")
        return redirect("customers:trash")
    request.session[UNDO_SESSION_KEY] = [entry for entry in remembered if entry != moved_at]
    # Every contact of one delete has its moment as deleted_at (customers.services.contacts_trash).
    result = trash.contacts_restore(
        contacts=Contact.objects.filter(deleted_at=datetime.fromisoformat(moved_at)),
        actor=Actor.staff(request.user),
    )
    restored = f"{_contacts_count(result.count)} restored."
    if not result.blocked:
        messages.success(request, restored)
    else:
        messages.warning(request, _blocked_message(restored, result.blocked))
    return redirect("customers:list")


def _blocked_message(restored: str, blocked: list[tuple[int, int]]) -> str:
    owners = Contact.objects.filter(pk__in=[owner for _, owner in blocked[:3]]).order_by("pk")
    links = format_html_join(", ", '<a href="{}">{}</a>', ((c.get_absolute_url(), c.display_name) for c in owners))
    more = f" and {intcomma(len(blocked) - 3)} more" if len(blocked) > 3 else ""
    return format_html(
        "{} {} stayed in the Trash: the email is now used by {}{}.",
        restored,
        _contacts_count(len(blocked)),
        links,
        more,
    )


@permission_required("customers.delete_contact", raise_exception=True)
@require_GET
def trash_list(request: HttpRequest) -> HttpResponse:
    search = search_read(request.GET.get("q"), max_length=MAX_TERM_LENGTH)
    contacts: QuerySet[Contact] = trash.contacts_in_trash(term=search.term).only(
        "first_name", "last_name", "email", "deleted_at"
    )
    page_obj = Paginator(contacts, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    rows = [(contact, trash.purge_days_left(deleted_at=contact.deleted_at, now=now)) for contact in page_obj]
    context = {"page_obj": page_obj, "rows": rows, "search": search, "trash_days": settings.TRASH_DAYS}
    return render(request, "customers/trash_list.html", context)


@permission_required("customers.delete_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def trash_purge(request: HttpRequest, pk: int) -> HttpResponse:
    """Delete one contact in the Trash permanently, after a confirmation."""
    contact = get_object_or_404(trash.contacts_in_trash(), pk=pk)
    if request.method == "POST":
        trash.contacts_purge(contacts=Contact.objects.filter(pk=contact.pk), actor=Actor.staff(request.user))
        messages.success(request, f"{contact.display_name} deleted permanently.")
        return redirect("customers:trash")
    context = {"contact": contact, "days_left": trash.purge_days_left(deleted_at=contact.deleted_at)}
    return render(request, "customers/contact_confirm_purge.html", context)


@permission_required("customers.erase_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_erase(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = ContactEraseForm(request.POST or None, contact=contact)
    if request.method == "POST" and form.is_valid():
        erased = trash.contact_erase(contact=contact, actor=Actor.staff(request.user))
        messages.success(request, "Personal data erased. The orders are kept with their totals.")
        return redirect(erased.contact)
    return render(request, "customers/contact_confirm_erase.html", {"contact": contact, "form": form})
