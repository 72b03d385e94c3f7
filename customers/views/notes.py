"""The contact page's timeline: its htmx partial, and adding, editing and deleting notes."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST

from crm_core.actors import Actor
from customers import selectors, services
from customers.forms import NoteForm
from customers.models import Activity, Contact
from customers.views.timeline import timeline_context

# The element ids htmx targets: the whole activity section (filter) or one page's "Show more" item.
ACTIVITY_TARGETS = {"activity", "activity-more"}


def activity_partial(request: HttpRequest, contact: Contact, timeline: dict) -> HttpResponse:
    page = selectors.activity_page(contact=contact, **timeline)
    partial = "activity" if request.htmx.target == "activity" else "activity-entries"
    context = {
        "contact": contact,
        **timeline_context(page=page, contact=contact, user=request.user, group=timeline["group"]),
        "note_form": NoteForm(),
    }
    response = render(request, f"customers/contact_detail.html#{partial}", context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.note_add(contact=contact, body=form.cleaned_data["body"], actor=Actor.staff(request.user))
        if request.htmx:
            return activity_partial(request, contact, {"group": "", "cursor": None})
        messages.success(request, "Note added.")
        return redirect(contact.get_absolute_url() + "#activity")
    if request.htmx:
        page = selectors.activity_page(contact=contact)
        context = {
            "contact": contact,
            "note_form": form,
            **timeline_context(page=page, contact=contact, user=request.user),
        }
        return render(request, "customers/contact_detail.html#activity", context)
    return render(request, "customers/note_form.html", {"contact": contact, "form": form})


def _note_or_404(pk: int, note_pk: int) -> Activity:
    return get_object_or_404(
        Activity.objects.select_related("contact", "actor").filter(contact__deleted_at__isnull=True, kind="note"),
        pk=note_pk,
        contact_id=pk,
    )


@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def note_update(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    note = _note_or_404(pk, note_pk)
    if not services.note_can_edit(user=request.user, note=note):
        raise PermissionDenied("Only the author may edit a note.")
    form = NoteForm(request.POST or None, initial={"body": note.body})
    if request.method == "POST" and form.is_valid():
        services.note_update(note=note, body=form.cleaned_data["body"], actor=Actor.staff(request.user))
        messages.success(request, "Note saved.")
        return redirect(note.contact.get_absolute_url() + "#activity")
    return render(request, "customers/note_form.html", {"contact": note.contact, "form": form, "note": note})


@permission_required("customers.view_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def note_delete(request: HttpRequest, pk: int, note_pk: int) -> HttpResponse:
    note = _note_or_404(pk, note_pk)
    if not services.note_can_delete(user=request.user, note=note):
        raise PermissionDenied("Only the author or a manager may delete a note.")
    if request.method == "POST":
        services.note_delete(note=note, actor=Actor.staff(request.user))
        messages.success(request, "Note deleted.")
        return redirect(note.contact.get_absolute_url() + "#activity")
    return render(request, "customers/note_confirm_delete.html", {"contact": note.contact, "note": note})
