from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from orders import selectors
from orders.models import Order, OrderStatus


@permission_required("orders.view_order", raise_exception=True)
def order_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") if request.GET.get("status") in OrderStatus.values else None
    page = Paginator(selectors.order_list(status=status), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request, "orders/order_list.html", {"page_obj": page, "status": status, "statuses": OrderStatus.choices}
    )


@permission_required("orders.view_order", raise_exception=True)
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        order = selectors.order_detail(pk=pk)
    except Order.DoesNotExist as error:
        raise Http404("No such order") from error
    return render(request, "orders/order_detail.html", {"order": order})
