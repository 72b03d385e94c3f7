"""The merge: choosing the other contact, the preview side by side with the choices, the merge, and its undo."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crm_core.actors import Actor
from crm_core.bounds import id_parsed
from crm_core.forms import search_read
from customers.models import Contact
from customers.search import contacts_matching
from merges.finder import duplicates_of
from merges.forms import MergeForm
from merges.models import Merge
from merges.services.merge import (
    MergeRefused,
    contacts_merge,
    display_with_email,
    merge_counts,
    merge_refusal,
)
from merges.services.undo import merge_undo as undo
from orders.selectors import orders_for_contact

SEARCH_RESULTS = 10


def _contact(request: HttpRequest, name: str) -> Contact | None:
    pk = id_parsed(request.GET.get(name, "") or request.POST.get(name, ""))
    return Contact.objects.filter(pk=pk).first() if pk is not None else None


def _default_survivor(one: Contact, other: Contact) -> Contact:
    # A customer over a lead, then the one with more orders, then the older record.
    return min((one, other), key=lambda contact: (contact.stage != "customer", -contact.orders_count, contact.pk))


@permission_required("customers.merge_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def merge_preview(request: HttpRequest) -> HttpResponse:
    contact, other = _contact(request, "contact"), _contact(request, "other")
    problem = merge_refusal(contact, label="first")
    if problem is None and other is None and "other" not in request.GET and "other" not in request.POST:
        return _other_chosen(request, contact)
    problem = problem or merge_refusal(other, label="other")
    if problem is None and contact.pk == other.pk:
        problem = "A contact cannot be merged with itself. Choose another contact."
    if problem is not None:
        return render(request, "merges/merge_problem.html", {"problem": problem, "contact": contact}, status=400)
    chosen = id_parsed(request.GET.get("survivor", "") or request.POST.get("survivor", ""))
    survivor = other if chosen == other.pk else contact if chosen == contact.pk else _default_survivor(contact, other)
    merged = other if survivor is contact else contact
    form = MergeForm(request.POST if request.method == "POST" else None, survivor=survivor, merged=merged)
    if form.is_bound and form.is_valid():
        try:
            merge = contacts_merge(
                survivor_id=survivor.pk,
                merged_id=merged.pk,
                choices=form.choices(),
                versions=form.versions,
                actor=Actor.staff(request.user),
            )
        except MergeRefused as refused:
            if not refused.stale:
                return render(request, "merges/merge_problem.html", {"problem": refused.message}, status=409)
            # Shown again with the contacts as they are now; the choices made are kept.
            survivor.refresh_from_db()
            merged.refresh_from_db()
            form = MergeForm(request.POST, survivor=survivor, merged=merged)
            form.is_valid()
            form.add_error(None, refused.message)
            form.data = form.data.copy()
            form.data["survivor_version"] = survivor.updated_at.isoformat()
            form.data["merged_version"] = merged.updated_at.isoformat()
        else:
            messages.success(request, f"Merged {display_with_email(merged)} into this contact.")
            return redirect(reverse("customers:detail", args=[merge.survivor_id]))
    context = {
        "form": form,
        "survivor": survivor,
        "merged": merged,
        "counts": merge_counts(contact=merged),
        "orders": {side.pk: orders_for_contact(contact=side)[:3] for side in (survivor, merged)},
        "phones": _united(survivor, merged, lambda c: [p.number for p in c.phones.all()]),
        "labels": _united(survivor, merged, lambda c: [label.name for label in c.labels.all()]),
        "companies": _united(
            survivor, merged, lambda c: [m.company.name for m in c.memberships.select_related("company")]
        ),
        "stage": "Customer" if "customer" in (survivor.stage, merged.stage) else "Lead",
    }
    return render(request, "merges/merge_preview.html", context, status=200 if not form.errors else 400)


def _united(survivor: Contact, merged: Contact, values) -> list[str]:
    return list(dict.fromkeys([*values(survivor), *values(merged)]))


def _other_chosen(request: HttpRequest, contact: Contact) -> HttpResponse:
    """The first step from a contact page: find the other contact by name, email or phone."""
    search = search_read(request.GET.get("q"), max_length=200)
    results = []
    if search.term:
        results = list(
            contacts_matching(Contact.objects.live().exclude(pk=contact.pk), search.term).order_by("pk")[
                :SEARCH_RESULTS
            ]
        )
    context = {"contact": contact, "search": search, "results": results, "duplicates": duplicates_of(contact=contact)}
    return render(request, "merges/merge_choose.html", context)


@permission_required("customers.merge_contact", raise_exception=True)
@require_POST
def merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = get_object_or_404(Merge, pk=pk)
    try:
        survivor, merged = undo(merge=merge, actor=Actor.staff(request.user))
    except MergeRefused as refused:
        messages.error(request, refused.message)
        return redirect(reverse("customers:detail", args=[merge.survivor_id]))
    messages.success(request, f"Merge undone: {display_with_email(merged)} is a contact of its own again.")
    return redirect(survivor)
