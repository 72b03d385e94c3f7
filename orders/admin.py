from django.contrib import admin

from crm_core.admin import ReadOnlyAdmin
from orders.models import Order, OrderLine


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    """Orders come from the shop or from draft orders in the app; the admin only shows them."""

    list_display = ("__str__", "status", "buyer_email", "total", "currency", "placed_at")
    list_filter = ("status",)
    list_select_related = ("contact",)
    search_fields = ("shop_order_id", "buyer_email")
    show_full_result_count = False
    inlines = [OrderLineInline]
