from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.dates import MONTHS_3
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.selectors import memberships_for_contact
from companies.services import CompanyNotFound, contact_memberships_set
from crm_core.actors import Actor
from crm_core.pagination import count_from_page
from crm_core.phones import phone_display
from crm_core.templatetags.crm import money
from customers import selectors, services
from customers.filters import ContactListQuery
from customers.forms import ActivityFilterForm, BulkLabelForm, ContactForm, ContactLabelAddForm, NoteForm
from customers.models import Activity, ActivityGroup, Contact
from customers.pending_images import pending_image_discard, pending_image_keep
from customers.selection import ContactSelection, EmptySelection, posted_filters
from orders.selectors import orders_for_contact


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
        "rows": _contact_rows(page.rows),
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

    Formatting here, once per value, costs a fraction of doing it through the template: there each row
    took about a millisecond in reverse() calls, filter lookups and timezone conversions. Dicts rather
    than objects, because the template tries a key lookup first. The template still escapes every value.
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
    actor = Actor.staff(request.user)
    if action == BulkLabelForm.ADD:
        changed = services.contacts_label_add(contacts=contacts, label=label, actor=actor)
        messages.success(request, f"Label {label.name} added to {intcomma(changed)} contact{pluralize(changed)}.")
    else:
        changed = services.contacts_label_remove(contacts=contacts, label=label, actor=actor)
        messages.success(request, f"Label {label.name} removed from {intcomma(changed)} contact{pluralize(changed)}.")
    return redirect(back)


@permission_required("customers.view_contact", raise_exception=True)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    timeline = ActivityFilterForm(request.GET).values()
    if request.htmx and request.htmx.target in ACTIVITY_TARGETS:
        # "Show more" and the filter only need the timeline.
        contact = get_object_or_404(selectors.contacts_live(), pk=pk)
        return _activity_partial(request, contact, timeline)
    try:
        contact = selectors.contact_detail(pk=pk)
    except Contact.DoesNotExist as error:
        raise Http404("No such contact") from error
    context = {
        "contact": contact,
        "memberships": memberships_for_contact(contact=contact),
        "orders": orders_for_contact(contact=contact),
        "label_form": ContactLabelAddForm(contact=contact, can_create=request.user.has_perm("customers.add_label")),
        "note_form": NoteForm(),
        "activity": selectors.activity_page(contact=contact, **timeline),
        "activity_group": timeline["group"],
        "activity_groups": ActivityGroup.choices,
    }
    return render(request, "customers/contact_detail.html", context)


# The element ids htmx targets: the whole activity section (filter) or one page's "Show more" item.
ACTIVITY_TARGETS = {"activity", "activity-more"}


def _activity_partial(request: HttpRequest, contact: Contact, timeline: dict) -> HttpResponse:
    page = selectors.activity_page(contact=contact, **timeline)
    partial = "activity" if request.htmx.target == "activity" else "activity-entries"
    context = {
        "contact": contact,
        "activity": page,
        "activity_group": timeline["group"],
        "activity_groups": ActivityGroup.choices,
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
            return _activity_partial(request, contact, {"group": "", "cursor": None})
        messages.success(request, "Note added.")
        return redirect(contact.get_absolute_url() + "#activity")
    if request.htmx:
        context = {"contact": contact, "note_form": form, "activity": selectors.activity_page(contact=contact)}
        context |= {"activity_group": "", "activity_groups": ActivityGroup.choices}
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


def _contact_form(request: HttpRequest, contact: Contact | None = None) -> ContactForm:
    options = {
        "instance": contact,
        "can_create_company": request.user.has_perm("companies.add_company"),
        "memberships": memberships_for_contact(contact=contact) if contact is not None else (),
        "image_owner": request.user.pk,
    }
    if request.method != "POST":
        return ContactForm(**options)
    # An htmx row button swaps only its own rows, so a chosen image file stays chosen in the page.
    row_files = None if request.htmx else request.FILES
    return ContactForm.with_row_action(request.POST, row_files, **options) or ContactForm(
        request.POST, request.FILES, **options
    )


def _render_form(request: HttpRequest, form: ContactForm, contact: Contact | None = None) -> HttpResponse:
    if form.is_bound or form.row_action:
        _keep_chosen_image(request, form)
    response = render(request, "customers/contact_form.html", {"form": form, "contact": contact})
    patch_vary_headers(response, ("HX-Request",))
    return response


def _keep_chosen_image(request: HttpRequest, form: ContactForm) -> None:
    """Keep a valid image chosen in a form that comes back, so it need not be chosen again; drop a removed one."""
    if request.htmx:
        # Only rows are swapped: the page keeps its file input and its kept image as they are.
        return
    earlier = form.kept_token
    if form.fresh_image is not None:
        form.keep_image(token=pending_image_keep(image=form.fresh_image, user_id=request.user.pk))
    elif form.kept_image_removed:
        form.keep_image(token="")
    else:
        return
    if earlier:
        pending_image_discard(token=earlier, user_id=request.user.pk)


def _kept_image_used(request: HttpRequest, form: ContactForm) -> None:
    """Remove the image kept aside for a form once the contact is saved (with it, or another, or none)."""
    if form.kept_token:
        pending_image_discard(token=form.kept_token, user_id=request.user.pk)


@permission_required("customers.add_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    form = _contact_form(request)
    if form.is_bound and form.is_valid():
        actor = Actor.staff(request.user)
        try:
            with transaction.atomic():
                contact = services.contact_create(
                    actor=actor,
                    phones=form.phone_inputs(),
                    labels=form.cleaned_data["labels"],
                    image=form.image_changes()["image"],
                    **form.contact_fields(),
                )
                contact_memberships_set(contact=contact, links=form.company_links(), actor=actor)
        except IntegrityError:
            # Another request created the same email between our check and our insert.
            form.add_error("email", "A contact with this email was added a moment ago.")
        except CompanyNotFound as missing:
            # Deleted or renamed since the form found it.
            form.company_missing(name=missing.name)
        else:
            _kept_image_used(request, form)
            messages.success(request, f"{contact.display_name} added as a lead.")
            return redirect(contact)
    return _render_form(request, form)


@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_update(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _live_or_404(pk)
    form = _contact_form(request, contact)
    if form.is_bound and form.is_valid():
        actor = Actor.staff(request.user)
        try:
            with transaction.atomic():
                services.contact_update(
                    contact=contact,
                    actor=actor,
                    version=form.cleaned_data["version"],
                    phones=form.phone_inputs(),
                    labels=form.cleaned_data["labels"],
                    **form.image_changes(),
                    **form.contact_fields(),
                )
                contact_memberships_set(contact=contact, links=form.company_links(), actor=actor)
        except services.ContactChanged as changed:
            form.mark_stale(version=changed.updated_at)
        except IntegrityError:
            form.add_error("email", "A contact with this email was added a moment ago.")
        except CompanyNotFound as missing:
            form.company_missing(name=missing.name)
        else:
            _kept_image_used(request, form)
            messages.success(request, "Changes saved.")
            return redirect(contact)
    return _render_form(request, form, contact)


def _live_or_404(pk: int) -> Contact:
    try:
        return selectors.contact_with_phones(pk=pk)
    except Contact.DoesNotExist as error:
        raise Http404("No such contact") from error


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def contact_unlock(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    services.contact_unlock(contact=contact, actor=Actor.staff(request.user))
    messages.success(request, "Details unlocked. Later orders may update the name, address and phones.")
    return redirect(contact)


@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_restore(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(Contact.objects.filter(deleted_at__isnull=False), pk=pk)
    existing = None
    if request.method == "POST":
        try:
            services.contact_restore(contact=contact, actor=Actor.staff(request.user))
        except services.EmailTaken as taken:
            existing = taken.existing
        except IntegrityError:
            # A live contact took the email between the check and the save.
            existing = selectors.contact_live_by_email(email=contact.email)
        else:
            messages.success(request, f"{contact.display_name} restored from the Trash.")
            return redirect(contact)
    return render(request, "customers/contact_confirm_restore.html", {"contact": contact, "existing": existing})


@permission_required("customers.view_contact", raise_exception=True)
@require_GET
def contact_image(request: HttpRequest, pk: int, size: str) -> FileResponse:
    contact = get_object_or_404(selectors.contacts_live().exclude(image=""), pk=pk)
    file = contact.image_thumbnail if size == "thumbnail" else contact.image
    try:
        handle = file.open("rb")
    except FileNotFoundError as error:
        raise Http404("No such image") from error
    # Only the types customers.images writes; the name is generated, so its extension is trustworthy.
    content_type = IMAGE_TYPES.get(PurePosixPath(file.name).suffix, "application/octet-stream")
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


IMAGE_TYPES = {".jpg": "image/jpeg", ".png": "image/png", ".webp": "image/webp"}


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def suggestion_resolve(request: HttpRequest, pk: int, suggestion_pk: int, accept: bool) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    suggestion = get_object_or_404(contact.suggested_updates.all(), pk=suggestion_pk)
    actor = Actor.staff(request.user)
    resolve = services.suggestion_accept if accept else services.suggestion_dismiss
    if not resolve(suggestion=suggestion, actor=actor):
        messages.error(request, "That suggestion was already accepted or dismissed.")
    elif accept:
        messages.success(request, f"{suggestion.field_label} updated from {suggestion.source_reference}.")
    else:
        messages.success(request, f"Suggested {suggestion.field_label.lower()} dismissed.")
    return redirect(contact)
