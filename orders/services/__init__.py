"""Every write to orders, by way in: placed orders from the shop and their status, redeliveries, drafts, erasure.

The names are gathered here so callers write `module.name` whichever file it lives in.
"""

from orders.services.batch import orders_sync_placed_batch
from orders.services.conflicts import (
    ADDRESS_FIELDS,
    order_conflict_record,
)
from orders.services.deliveries import shop_deliveries_forget
from orders.services.drafts import (
    EmptyDraft,
    NotADraft,
    draft_buyer_prefill,
    draft_order_create,
    draft_order_delete,
    draft_order_place,
    draft_order_unsaved,
    draft_order_update,
)
from orders.services.erasure import (
    ERASED_DOMAIN,
    orders_buyer_erase,
)
from orders.services.inputs import (
    LineInput,
    PlacedOrderInput,
    ShopCustomerInput,
    SyncResult,
    UnreadDetail,
)
from orders.services.lines import (
    line_totals,
    lines_create,
    lines_replace,
    order_totals_set,
)
from orders.services.placed import (
    SYNC_ATTEMPTS,
    UNREAD_SHOWN,
    order_record_placed,
    order_sync_placed,
    order_unread_described,
)
from orders.services.shop_customers import shop_customer_sync
from orders.services.status import order_status_sync

__all__ = [
    "ADDRESS_FIELDS",
    "ERASED_DOMAIN",
    "SYNC_ATTEMPTS",
    "UNREAD_SHOWN",
    "EmptyDraft",
    "LineInput",
    "NotADraft",
    "PlacedOrderInput",
    "ShopCustomerInput",
    "SyncResult",
    "UnreadDetail",
    "draft_buyer_prefill",
    "draft_order_create",
    "draft_order_delete",
    "draft_order_place",
    "draft_order_unsaved",
    "draft_order_update",
    "line_totals",
    "lines_create",
    "lines_replace",
    "order_conflict_record",
    "order_record_placed",
    "order_status_sync",
    "order_sync_placed",
    "order_totals_set",
    "order_unread_described",
    "orders_buyer_erase",
    "orders_sync_placed_batch",
    "shop_customer_sync",
    "shop_deliveries_forget",
]
