"""The peers the contacts list is measured against: Django's admin for the same model, stock and tuned.

bench/run.py serves these URLs beside the app's own (ROOT_URLCONF points here during the run only):

- /bench-admin/stock/ — a ModelAdmin with Django's defaults plus search_fields and list_filter, as most
  projects write one. It counts every row twice per page (the filtered and the full count), searches with
  `icontains` on each field, and deletes with delete_selected, which collects every related row first.
- /bench-admin/tuned/ — the same with the documented tuning: show_full_result_count = False and
  list_select_related.

Both show as many rows a page as the app's list, so the comparison is per page, not per row count.

- /bench-floor/ — Django's floor for any page here: an empty response behind the same middleware, session,
  login and permission check as the contacts list, with no query or template of its own.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.urls import path

from contacts_crm.urls import urlpatterns as app_urlpatterns
from customers.models import Contact

SEARCH_FIELDS = ("first_name", "last_name", "email")
LIST_FILTER = ("stage", "source", "labels")


class StockContactAdmin(admin.ModelAdmin):
    search_fields = SEARCH_FIELDS
    list_filter = LIST_FILTER
    list_per_page = settings.LIST_PAGE_SIZE


class TunedContactAdmin(StockContactAdmin):
    show_full_result_count = False
    list_select_related = True


@permission_required("customers.view_contact", raise_exception=True)
def floor(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"", content_type="text/html; charset=utf-8")


stock = admin.AdminSite(name="bench_stock_admin")
stock.register(Contact, StockContactAdmin)
tuned = admin.AdminSite(name="bench_tuned_admin")
tuned.register(Contact, TunedContactAdmin)

urlpatterns = [
    *app_urlpatterns,
    path("bench-admin/stock/", stock.urls),
    path("bench-admin/tuned/", tuned.urls),
    path("bench-floor/", floor),
]
