"""What the order services take and give back: a placed order and its lines as the shop sent them, validated."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from customers.models import ConsentState, Contact, OptInLevel
from orders.models import Order, OrderConflict, OrderStatus


@dataclass(frozen=True)
class LineInput:
    name: str
    unit_price: Decimal
    quantity: int = 1
    sku: str = ""


@dataclass(frozen=True)
class UnreadDetail:
    """An optional buyer detail an order carried that could not be used: kept as sent, left off the contact."""

    field: str  # where it was in the order, in the payload's terms: "customer.phone"
    label: str  # what staff call it: "Phone"
    value: str  # as sent
    reason: str  # why it could not be used


@dataclass(frozen=True)
class PlacedOrderInput:
    """A placed order as the shop sends it, already validated."""

    shop_order_id: str
    email: str
    placed_at: datetime
    lines: tuple[LineInput, ...]
    currency: str = "EUR"
    first_name: str = ""
    last_name: str = ""
    phone: str = ""  # E.164
    address: dict[str, str] = field(default_factory=dict)
    shipping: Decimal = Decimal("0")
    tax: Decimal = Decimal("0")
    discount: Decimal = Decimal("0")
    # Where the order stands at the shop: placed, paid, fulfilled or cancelled (a cancelled one is not counted).
    status: OrderStatus = OrderStatus.PLACED
    # What the shop calls the order when that is not its id ("#1001" for Shopify's order 450789469).
    name: str = ""
    # The buyer ticked the shop's marketing box at checkout: appended as a consent record from checkout.
    accepts_marketing: bool = False
    # When the buyer gave that consent, if the shop says (Shopify's consent_updated_at); else when the order was placed.
    accepts_marketing_at: datetime | None = None
    # Buyer details that could not be used (orders.buyer); the order is stored all the same.
    unread: tuple[UnreadDetail, ...] = ()


@dataclass(frozen=True)
class ShopCustomerInput:
    """A customer account at a connected shop (Shopify's customers/create and customers/update), validated."""

    email: str
    first_name: str = ""
    last_name: str = ""
    phone: str = ""  # E.164
    address: dict[str, str] = field(default_factory=dict)
    # The email marketing consent the shop holds, when it sent one, and when it was given or withdrawn.
    consent_state: ConsentState | None = None
    consent_level: OptInLevel = OptInLevel.UNKNOWN
    consent_at: datetime | None = None
    unread: tuple[UnreadDetail, ...] = ()


@dataclass(frozen=True)
class SyncResult:
    order: Order
    contact: Contact | None
    created: bool
    # Set when the order id was stored before with other content: that first version is kept.
    conflict: OrderConflict | None = None
