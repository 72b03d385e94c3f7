"""One contact: its page, the add and edit forms, unlock, restore, its image, and suggested updates."""

from collections.abc import Callable
from pathlib import PurePosixPath

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import IntegrityError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies.selectors import memberships_for_contact
from companies.services import CompanyNotFound, contact_create_with_companies, contact_update_with_companies
from crm_core.actors import Actor
from customers import selectors, services
from customers.forms import ActivityFilterForm, ContactForm, ContactLabelAddForm, NoteForm
from customers.models import Contact
from customers.pending_images import pending_image_discard, pending_image_keep
from customers.views.notes import ACTIVITY_TARGETS, activity_partial
from customers.views.timeline import timeline_context
from merges.selectors import pairs_of
from merges.services.merge import merge_survivor_of
from merges.services.undo import merge_undo_offered
from orders.selectors import orders_for_contact
from tickets.selectors import tickets_for_contact


@permission_required("customers.view_contact", raise_exception=True)
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    timeline = ActivityFilterForm(request.GET).values()
    if request.htmx and request.htmx.target in ACTIVITY_TARGETS:
        # "Show more" and the filter only need the timeline.
        contact = get_object_or_404(selectors.contacts_live(), pk=pk)
        return activity_partial(request, contact, timeline)
    try:
        contact = selectors.contact_detail(pk=pk)
    except Contact.DoesNotExist as error:
        survivor = merge_survivor_of(merged_id=pk)
        if survivor is None:
            raise Http404("No such contact") from error
        messages.info(request, f"That contact was merged into {survivor.display_name}.")
        return redirect(survivor)
    labels_on, labels_off = selectors.labels_on_and_off(contact=contact)
    context = {
        "contact": contact,
        "memberships": memberships_for_contact(contact=contact),
        "orders": orders_for_contact(contact=contact),
        "tickets": tickets_for_contact(contact=contact) if request.user.has_perm("tickets.view_ticket") else [],
        "contact_labels": labels_on,
        "label_form": ContactLabelAddForm(
            contact=contact, can_create=request.user.has_perm("customers.add_label"), options=labels_off
        ),
        "note_form": NoteForm(),
        "aliases": list(contact.aliases.all()),
        "duplicates": pairs_of(contact=contact),
        "can_merge": request.user.has_perm("customers.merge_contact"),
        "merge_undo": merge_undo_offered(contact=contact) if request.user.has_perm("customers.merge_contact") else None,
        **timeline_context(
            page=selectors.activity_page(contact=contact, **timeline),
            contact=contact,
            user=request.user,
            group=timeline["group"],
        ),
    }
    return render(request, "customers/contact_detail.html", context)


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


def _saved(form: ContactForm, save: Callable[[], Contact]) -> Contact | None:
    """Run the form's save and return the contact; a refusal the form can explain becomes its error, and None."""
    try:
        return save()
    except services.ContactChanged as changed:
        form.mark_stale(version=changed.updated_at)
    except services.ContactGone:
        form.add_error(None, "This contact was merged into another while you were editing it. Nothing was saved.")
    except IntegrityError:
        # Another request took the same email between our check and our write.
        form.add_error("email", "A contact with this email was added a moment ago.")
    except CompanyNotFound as missing:
        # Deleted or renamed since the form found it.
        form.company_missing(name=missing.name)
    return None


@permission_required("customers.add_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    form = _contact_form(request)
    if form.is_bound and form.is_valid():
        actor = Actor.staff(request.user)
        contact = _saved(
            form,
            lambda: contact_create_with_companies(
                links=form.company_links(),
                actor=actor,
                phones=form.phone_inputs(),
                labels=form.cleaned_data["labels"],
                image=form.image_changes()["image"],
                **form.contact_fields(),
            ),
        )
        if contact is not None:
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
        saved = _saved(
            form,
            lambda: contact_update_with_companies(
                contact=contact,
                links=form.company_links(),
                actor=actor,
                version=form.cleaned_data["version"],
                phones=form.phone_inputs(),
                labels=form.cleaned_data["labels"],
                **form.image_changes(),
                **form.contact_fields(),
            ),
        )
        if saved is not None:
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
