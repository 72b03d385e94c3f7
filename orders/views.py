"""Orders' pages: the list, one order with its lines and conflicts, and the draft orders staff prepare."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from crm_core.actors import Actor
from crm_core.bounds import id_parsed
from customers.selectors import contacts_live
from orders import selectors, services
from orders.forms import DraftOrderForm
from orders.models import Order, OrderStatus


@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") if request.GET.get("status") in OrderStatus.values else None
    contact_pk = id_parsed(request.GET.get("contact", ""))
    contact = contacts_live().filter(pk=contact_pk).first() if contact_pk is not None else None
    orders = selectors.order_list(status=status, contact=contact)
    page = Paginator(orders, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page_obj": page, "status": status, "statuses": OrderStatus.choices, "contact": contact}
    return render(request, "orders/order_list.html", context)


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_detail(pk=pk)
    except Order.DoesNotExist as error:
        raise Http404("No such order") from error
    return render(request, "orders/order_detail.html", {"order": order})


def _draft_form(request: HttpRequest, order: Order) -> DraftOrderForm:
    if request.method != "POST":
        return DraftOrderForm(order=order)
    return DraftOrderForm.with_row_action(request.POST, order=order) or DraftOrderForm(request.POST, order=order)


def _draft_saved(request: HttpRequest, order: Order, placing: bool) -> HttpResponse:
    messages.success(request, f"Order {order.number} placed." if placing else "Draft saved.")
    return redirect(order.contact if placing and order.contact else order)


@permission_required("orders.add_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def draft_create(request: HttpRequest, contact_pk: int) -> HttpResponse:
    contact = get_object_or_404(contacts_live(), pk=contact_pk)
    order = services.draft_order_unsaved(contact=contact)
    form = _draft_form(request, order)
    if form.is_bound and form.is_valid():
        placing = DraftOrderForm.PLACE in request.POST
        if not form.line_inputs():
            form.add_error(None, "Add at least one item to save the order, or choose Cancel.")
        else:
            actor = Actor.staff(request.user)
            with transaction.atomic():
                order = services.draft_order_create(
                    contact=contact, actor=actor, lines=form.line_inputs(), buyer=form.buyer(), **form.amounts()
                )
                if placing:
                    order = services.draft_order_place(order=order, actor=actor)
            return _draft_saved(request, order, placing)
    return render(request, "orders/draft_form.html", {"form": form, "order": order})


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def draft_update(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.drafts(), pk=pk)
    form = _draft_form(request, order)
    if form.is_bound and form.is_valid():
        placing = DraftOrderForm.PLACE in request.POST
        try:
            with transaction.atomic():
                order = services.draft_order_update(
                    order=order, lines=form.line_inputs(), buyer=form.buyer(), **form.amounts()
                )
                if placing:
                    order = services.draft_order_place(order=order, actor=Actor.staff(request.user))
        except services.NotADraft:
            messages.error(request, "This order was placed or deleted in the meantime; nothing was changed.")
            return redirect("orders:list")
        except services.EmptyDraft:
            form.add_error(None, "Add at least one item before marking the order as placed.")
        else:
            return _draft_saved(request, order, placing)
    return render(request, "orders/draft_form.html", {"form": form, "order": order})


@permission_required("orders.change_order", raise_exception=True)
@require_http_methods(["GET", "POST"])
def draft_delete(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(selectors.drafts(), pk=pk)
    if request.method == "POST":
        try:
            services.draft_order_delete(order=order, actor=Actor.staff(request.user))
        except services.NotADraft:
            messages.error(request, "This order was placed in the meantime; it was not deleted.")
            return redirect(order)
        messages.success(request, f"{order.number} deleted.")
        return redirect(order.contact if order.contact and order.contact.deleted_at is None else "orders:list")
    return render(request, "orders/draft_confirm_delete.html", {"order": order})
