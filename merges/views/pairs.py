"""Possible duplicates: the list of pairs with their reasons, running the finder now, dismissing a pair."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from crm_core.actors import Actor
from crm_core.bounds import id_parsed
from crm_core.pagination import InvalidCursor, decode_cursor
from customers.models import Contact
from merges import selectors
from merges.finder import GENERIC_LOCALS, GROUP_LIMIT
from merges.models import DuplicatePair, Reason
from merges.services import finder_job_queue
from merges.services import pair_dismiss as dismiss

VIEW, CHANGE, MERGE = "customers.view_contact", "customers.change_contact", "customers.merge_contact"
NOT_FOUND = "That pair could not be found: one of the contacts may have been merged or deleted. Nothing was changed."


def review_url(*, contact_id: int, other_id: int) -> str:
    """The merge preview of a pair, both contacts side by side."""
    return reverse("merges:preview") + f"?contact={contact_id}&other={other_id}"


@permission_required(VIEW, raise_exception=True)
@require_GET
def pair_list(request: HttpRequest) -> HttpResponse:
    token = request.GET.get("cursor", "")
    try:
        cursor = decode_cursor(token[:1000], model=DuplicatePair, ordering=selectors.PAIR_ORDERING) if token else None
    except InvalidCursor:
        cursor = None
    page = selectors.pairs_page(size=settings.LIST_PAGE_SIZE, cursor=cursor, last=request.GET.get("page") == "last")
    can_merge = request.user.has_perm(MERGE)
    rows = [
        {
            "pair": pair,
            "reasons": [Reason(reason).label for reason in pair.reasons if reason in Reason.values],
            "review_url": review_url(contact_id=pair.contact_id, other_id=pair.other_id) if can_merge else "",
        }
        for pair in page.rows
    ]
    context = {
        "page": page,
        "rows": rows,
        "cursor": cursor,
        "count": selectors.pairs_count(),
        "last_run": selectors.finder_last_run(),
        "group_limit": GROUP_LIMIT,
        "generic_locals": ", ".join(f"{local}@" for local in GENERIC_LOCALS[:4]),
    }
    return render(request, "merges/pairs.html", context)


@permission_required(CHANGE, raise_exception=True)
@require_POST
def pairs_find(request: HttpRequest) -> HttpResponse:
    finder_job_queue(user=request.user)
    messages.success(
        request,
        "Looking for possible duplicates in the background; follow it on the Jobs page. "
        "This list is replaced when it is done.",
    )
    return redirect("merges:pairs")


def _back(request: HttpRequest) -> str:
    """Where the form came from (a contact page) when that is on this site, else the list of pairs."""
    wanted = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return wanted if wanted and safe else reverse("merges:pairs")


@permission_required(CHANGE, raise_exception=True)
@require_POST
def pair_dismiss(request: HttpRequest) -> HttpResponse:
    back = _back(request)
    ids = [id_parsed(request.POST.get(name, "")) for name in ("contact", "other")]
    if None in ids:
        messages.error(request, NOT_FOUND)
        return redirect(back)
    if ids[0] == ids[1]:
        messages.error(request, "A contact cannot be set apart from itself. Nothing was changed.")
        return redirect(back)
    found = Contact.objects.in_bulk(ids)
    if len(found) != 2:
        messages.error(request, NOT_FOUND)
        return redirect(back)
    contact, other = found[ids[0]], found[ids[1]]
    dismiss(contact=contact, other=other, actor=Actor.staff(request.user))
    messages.success(
        request,
        f"{contact.display_name} and {other.display_name} are two people: "
        "they will not be suggested as duplicates again.",
    )
    return redirect(back)
