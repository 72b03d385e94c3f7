"""The Labels page (list, add, edit, delete) and the labels box on the contact page."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.db import IntegrityError
from django.db.models.functions import Lower
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.http import require_http_methods, require_POST

from crm_core.actors import Actor
from customers import selectors, services
from customers.forms import ContactLabelAddForm, LabelForm
from customers.models import Contact, Label


@permission_required("customers.view_label", raise_exception=True)
def label_list(request: HttpRequest) -> HttpResponse:
    return render(request, "customers/label_list.html", {"labels": selectors.labels_with_contact_counts()})


@permission_required("customers.add_label", raise_exception=True)
@require_http_methods(["GET", "POST"])
def label_create(request: HttpRequest) -> HttpResponse:
    form = LabelForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            label = services.label_create(**form.cleaned_data)
        except IntegrityError:
            # Another request created the same name between our check and our insert.
            form.add_error("name", f"A label called “{form.cleaned_data['name']}” was added a moment ago.")
        else:
            messages.success(request, f"Label {label.name} created.")
            return redirect("customers:label_list")
    return render(request, "customers/label_form.html", {"form": form})


@permission_required("customers.change_label", raise_exception=True)
@require_http_methods(["GET", "POST"])
def label_update(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(Label, pk=pk)
    form = LabelForm(request.POST if request.method == "POST" else None, instance=label)
    if form.is_valid():
        try:
            services.label_update(label=label, **form.cleaned_data)
        except IntegrityError:
            label.refresh_from_db()  # the service had already set the refused name on it
            form.add_error("name", f"A label called “{form.cleaned_data['name']}” was added a moment ago.")
        else:
            messages.success(request, f"Label {label.name} saved.")
            return redirect("customers:label_list")
    return render(request, "customers/label_form.html", {"form": form, "label": label})


@permission_required("customers.delete_label", raise_exception=True)
@require_http_methods(["GET", "POST"])
def label_delete(request: HttpRequest, pk: int) -> HttpResponse:
    label = get_object_or_404(selectors.labels_with_contact_counts(), pk=pk)
    if request.method == "POST":
        count = services.label_delete(label=label)
        messages.success(
            request, f"Label {label.name} deleted; removed from {intcomma(count)} contact{pluralize(count)}."
        )
        return redirect("customers:label_list")
    return render(request, "customers/label_confirm_delete.html", {"label": label})


@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_label_add(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = _label_add_form(request, contact, data=request.POST if request.method == "POST" else None)
    if form.is_valid():
        label = services.label_get_or_create_by_name(name=form.cleaned_data["label"])
        services.contact_labels_add(contact=contact, labels=[label], actor=Actor.staff(request.user))
        return _labels_changed(request, contact, f"Label {label.name} added.")
    if request.htmx:
        return _labels_box(request, contact, form)
    # Without JavaScript a failed add gets a page of its own, which keeps what was typed.
    return render(request, "customers/contact_label_form.html", {"contact": contact, "form": form})


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def contact_label_remove(request: HttpRequest, pk: int, label_pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    label = get_object_or_404(Label, pk=label_pk)
    services.contact_label_remove(contact=contact, label=label, actor=Actor.staff(request.user))
    return _labels_changed(request, contact, f"Label {label.name} removed.")


def _label_add_form(request: HttpRequest, contact: Contact, data: QueryDict | None = None) -> ContactLabelAddForm:
    return ContactLabelAddForm(data, contact=contact, can_create=request.user.has_perm("customers.add_label"))


def _labels_changed(request: HttpRequest, contact: Contact, message: str) -> HttpResponse:
    if request.htmx:
        return _labels_box(request, contact, _label_add_form(request, contact), status=message)
    messages.success(request, message)
    return redirect(contact)


def _labels_box(request: HttpRequest, contact: Contact, form: ContactLabelAddForm, status: str = "") -> HttpResponse:
    # The swap replaces the button that had focus; put it in the field, ready for the next label.
    form.fields["label"].widget.attrs["autofocus"] = True
    labels = contact.labels.order_by(Lower("name"), "pk")
    context = {"contact": contact, "contact_labels": labels, "label_form": form, "status": status}
    return render(request, "customers/contact_detail.html#labels", context)
