from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from companies.selectors import memberships_for_contact
from customers import selectors, services
from customers.forms import ContactCreateForm
from customers.models import Contact, Stage
from orders.selectors import orders_for_contact


@permission_required("customers.view_contact", raise_exception=True)
def contact_list(request: HttpRequest) -> HttpResponse:
    stage = request.GET.get("stage") if request.GET.get("stage") in Stage.values else None
    page = Paginator(selectors.contact_list(stage=stage), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    tabs = [(None, "All"), (Stage.CUSTOMER.value, "Customers"), (Stage.LEAD.value, "Leads")]
    return render(
        request,
        "customers/contact_list.html",
        {"page_obj": page, "stage": stage, "tabs": tabs, "counts": selectors.contact_stage_counts()},
    )


@permission_required("customers.view_contact", raise_exception=True)
def contact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        contact = selectors.contact_detail(pk=pk)
    except Contact.DoesNotExist as error:
        raise Http404("No such contact") from error
    context = {
        "contact": contact,
        "memberships": memberships_for_contact(contact=contact),
        "orders": orders_for_contact(contact=contact),
    }
    return render(request, "customers/contact_detail.html", context)


@permission_required("customers.add_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
def contact_create(request: HttpRequest) -> HttpResponse:
    form = ContactCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contact = services.contact_create(actor=services.Actor.staff(request.user), **form.cleaned_data)
        except IntegrityError:
            # Another request created the same email between our check and our insert.
            form.add_error("email", "A contact with this email was added a moment ago.")
        else:
            messages.success(request, f"{contact.display_name} added as a lead.")
            return redirect(contact)
    return render(request, "customers/contact_form.html", {"form": form})
