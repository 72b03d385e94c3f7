"""Orders from the shop and drafts staff prepare, with a snapshot of the buyer at the time, and later
deliveries of a shop order that differed from it."""

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.urls import reverse

from crm_core.models import AddressFields, TimeStampedModel
from customers.models import Contact


class OrderStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PLACED = "placed", "Placed"
    PAID = "paid", "Paid"
    FULFILLED = "fulfilled", "Fulfilled"
    CANCELLED = "cancelled", "Cancelled"


# The orders a contact's orders count, total spent and last order date are made of: every order placed,
# whatever happened to it since, except one cancelled.
COUNTED_STATUSES = (OrderStatus.PLACED, OrderStatus.PAID, OrderStatus.FULFILLED)


class ShopConnector(models.TextChoices):
    SHOPIFY = "shopify", "Shopify"
    WOOCOMMERCE = "woocommerce", "WooCommerce"


class Order(AddressFields, TimeStampedModel):
    # The shop's own order id. Unique, so a webhook delivered twice is recorded once; empty for drafts.
    # From a connected shop it carries the shop's name ("shopify:acme:450789469"), so two shops' ids never meet.
    shop_order_id = models.CharField(max_length=100, null=True, blank=True, unique=True)
    # What the shop calls the order ("#1001"), shown as its number; empty when that is the id itself.
    shop_name = models.CharField(max_length=64, blank=True, default="", db_default="")
    status = models.CharField(max_length=10, choices=OrderStatus, default=OrderStatus.DRAFT)
    # Orders outlive the person: when a contact is purged the order stays, unlinked, with its snapshot.
    contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders")
    buyer_email = models.EmailField(max_length=254)
    buyer_first_name = models.CharField(max_length=150, blank=True)
    buyer_last_name = models.CharField(max_length=150, blank=True)
    buyer_phone = models.CharField(max_length=16, blank=True)
    currency = models.CharField(max_length=3, default="EUR")
    subtotal = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    shipping = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    tax = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    # Taken off the order as a whole by the shop (codes, line discounts): total = subtotal + shipping + tax − discount.
    discount = models.DecimalField(max_digits=12, decimal_places=2, default=0, db_default=0)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    placed_at = models.DateTimeField(null=True, blank=True)
    # Buyer details the shop sent that could not be used (orders.services.UnreadDetail as dicts): kept as
    # sent, shown on the order page, and left off the contact.
    buyer_unread = models.JSONField(default=list, db_default=[], blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What order lists sort by, newest first: when the order was placed, or, for a draft, when it was started.
    # Computed by the database so every list and its index agree, whichever way an order was written.
    list_date = models.GeneratedField(
        expression=Coalesce("placed_at", "created_at"), output_field=models.DateTimeField(), db_persist=True
    )

    class Meta:
        ordering = ["-list_date", "-id"]
        indexes = [
            models.Index(fields=["contact", "-list_date", "-id"], name="order_contact_history_idx"),
            models.Index(fields=["status", "-list_date", "-id"], name="order_status_listed_idx"),
            models.Index(fields=["-list_date", "-id"], name="order_listed_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(
                condition=Q(subtotal__gte=0, shipping__gte=0, tax__gte=0, discount__gte=0, total__gte=0),
                name="order_amounts_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(placed_at__isnull=False), name="order_placed_has_date"
            ),
        ]
        # Totals add up because the order service computes them from the lines. No constraint checks it:
        # SQLite keeps decimals as floats, where 0.1 + 0.2 != 0.3, so an equality check would reject
        # correct orders.

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:detail", args=[self.pk])

    @property
    def number(self) -> str:
        if self.pk is None:
            return "New order"
        if self.shop_name:
            return self.shop_name
        if self.shop_order_id:
            return f"#{self.shop_order_id}"
        # Orders staff drafted here carry a D, so they can never be mistaken for the shop's own numbers.
        if self.status == OrderStatus.DRAFT:
            return f"Draft D{self.pk}"
        return f"#D{self.pk}"

    @property
    def shop_label(self) -> str:
        """Return which connected shop the order came from ("Shopify (acme.myshopify.com)"), or "" for others."""
        connector, _, rest = (self.shop_order_id or "").partition(":")
        if connector == ShopConnector.SHOPIFY and ":" in rest:
            return f"Shopify ({rest.split(':', 1)[0]}.myshopify.com)"
        if connector == ShopConnector.WOOCOMMERCE and rest:
            return "WooCommerce"
        return ""

    @property
    def buyer_name(self) -> str:
        return " ".join(part for part in (self.buyer_first_name, self.buyer_last_name) if part)


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    name = models.CharField(max_length=200)
    sku = models.CharField("SKU", max_length=64, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=12, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.name}"


class ShopDelivery(models.Model):
    """A webhook delivery a connected shop made, by the id the shop gives it: a redelivery is answered, not redone.

    Written in the transaction that acts on the delivery, so a delivery that failed is not remembered and
    its retry is acted on.
    """

    connector = models.CharField(max_length=12, choices=ShopConnector)
    delivery_id = models.CharField(max_length=100)
    topic = models.CharField(max_length=100)
    # The shop it came from: Shopify's shop domain, WooCommerce's site address.
    shop = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField()
    order = models.ForeignKey(Order, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["connector", "delivery_id"], name="shop_delivery_once"),
        ]
        indexes = [models.Index(fields=["received_at"], name="shop_delivery_received_idx")]

    def __str__(self) -> str:
        return f"{self.get_connector_display()} {self.topic} {self.delivery_id}"


class DeliverySource(models.TextChoices):
    WEBHOOK = "webhook", "Webhook"
    IMPORT = "import", "Import"


class OrderConflict(models.Model):
    """A later delivery of a shop order id whose content differed from the stored order, which stays as it was."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=10, choices=DeliverySource)
    # [{"field": "total", "stored": "12.00", "received": "13.00"}, …], fields named as in the shop's payload.
    differences = models.JSONField()
    # A hash of the differences: the same delivery sent again counts on this row instead of adding one.
    digest = models.CharField(max_length=64)
    received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    deliveries = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "source", "digest"], name="order_conflict_once_per_content"),
            models.CheckConstraint(condition=Q(deliveries__gte=1), name="order_conflict_delivered"),
        ]

    def __str__(self) -> str:
        return f"{self.order} received again with different content"

    @property
    def rows(self) -> list[tuple[str, str, str]]:
        """Return each difference as (field, stored, received), the values as text."""
        return [(item["field"], _shown(item["stored"]), _shown(item["received"])) for item in self.differences]

    @property
    def summary(self) -> str:
        """Return the differences on one line: "total 12.00 → 13.00, customer.first_name Ann → Anne"."""
        return ", ".join(f"{field} {stored} → {received}" for field, stored, received in self.rows)


def _shown(value: Any) -> str:
    """Return a value of an order conflict as text; a list of lines as "2 × Mug (MUG-1) at 14.00 + …"."""
    if isinstance(value, list):
        return " + ".join(_line_shown(line) for line in value)
    return "(empty)" if value == "" else str(value)


def _line_shown(line: dict[str, Any]) -> str:
    sku = f" ({line['sku']})" if line["sku"] else ""
    return f"{line['quantity']} × {line['name']}{sku} at {line['unit_price']}"
