"""What hangs off a contact over time: its timeline (activity), consent records, suggested updates; the export log."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from crm_core.actors import ActorKind
from customers.models.contacts import ConsentState, Contact, choices_check


class ActivityKind(models.TextChoices):
    NOTE = "note", "Note"
    EVENT = "event", "Event"


class ActivityGroup(models.TextChoices):
    """What the activity log filters by, and which icon an entry gets."""

    NOTES = "notes", "Notes"
    MESSAGES = "messages", "Messages"
    ORDERS = "orders", "Orders"
    CHANGES = "changes", "Changes"


# Events by group; every other event is a change to the contact.
MESSAGE_EVENTS = ("message", "message_received", "ticket_opened")
ORDER_EVENTS = ("order_placed", "order_drafted", "draft_deleted", "order_details_unread", "order_status_changed")


class Activity(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=10, choices=ActivityKind)
    # For events, what happened ("created", "edited", "label_added", "order_placed", ...); empty for notes.
    event = models.CharField(max_length=40, blank=True)
    body = models.TextField(blank=True)
    actor_kind = models.CharField(max_length=10, choices=ActorKind, default=ActorKind.STAFF)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "activities"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["contact", "-created_at", "-id"], name="activity_timeline_idx")]
        constraints = [
            choices_check("kind", ActivityKind, "activity_kind_valid"),
            choices_check("actor_kind", ActorKind, "activity_actor_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="note", event="") | Q(kind="event") & ~Q(event=""),
                name="activity_event_named_for_events_only",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.event or self.body[:40]}"

    @property
    def group(self) -> ActivityGroup:
        if self.kind == ActivityKind.NOTE:
            return ActivityGroup.NOTES
        if self.event in MESSAGE_EVENTS:
            return ActivityGroup.MESSAGES
        if self.event in ORDER_EVENTS:
            return ActivityGroup.ORDERS
        return ActivityGroup.CHANGES

    @classmethod
    def in_group(cls, group: ActivityGroup) -> Q:
        """Return the condition for entries of a group, the same rule as Activity.group."""
        notes = Q(kind=ActivityKind.NOTE)
        return {
            ActivityGroup.NOTES: notes,
            ActivityGroup.MESSAGES: ~notes & Q(event__in=MESSAGE_EVENTS),
            ActivityGroup.ORDERS: ~notes & Q(event__in=ORDER_EVENTS),
            ActivityGroup.CHANGES: ~notes & ~Q(event__in=(*MESSAGE_EVENTS, *ORDER_EVENTS)),
        }[group]


class ConsentChannel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"


class OptInLevel(models.TextChoices):
    SINGLE = "single", "Single opt-in"
    CONFIRMED = "confirmed", "Confirmed opt-in"
    UNKNOWN = "unknown", "Unknown"


class ConsentSource(models.TextChoices):
    STAFF = "staff", "Staff"
    CHECKOUT = "checkout", "Checkout"
    CONTACT_FORM = "contact_form", "Contact form"
    IMPORT = "import", "Import"
    SHOP = "shop", "Shop"


class ConsentRecord(models.Model):
    """One entry of marketing consent. Append-only: a change is a new record, never an edit."""

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="consent_records")
    channel = models.CharField(max_length=10, choices=ConsentChannel, default=ConsentChannel.EMAIL)
    state = models.CharField(max_length=20, choices=ConsentState)
    opt_in_level = models.CharField(max_length=10, choices=OptInLevel, default=OptInLevel.UNKNOWN)
    source = models.CharField(max_length=20, choices=ConsentSource)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    given_at = models.DateTimeField(help_text="When the consent was given or withdrawn.")
    collected_how = models.TextField(help_text="How the consent was collected.")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-given_at", "-id"]
        indexes = [models.Index(fields=["contact", "channel", "-given_at", "-id"], name="consent_latest_idx")]
        constraints = [
            choices_check("channel", ConsentChannel, "consent_channel_valid"),
            choices_check("state", ConsentState, "consent_state_valid"),
            choices_check("opt_in_level", OptInLevel, "consent_opt_in_level_valid"),
            choices_check("source", ConsentSource, "consent_source_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()}: {self.get_state_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Consent records are append-only; record a new one instead.")
        super().save(*args, **kwargs)


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"


class SuggestedUpdate(models.Model):
    """A change an order would have made to locked details, kept for staff to accept or dismiss."""

    # A phone number is not a column of the contact: accepting one adds it to the contact's numbers.
    PHONE = "phone"

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="suggested_updates")
    field = models.CharField(max_length=40)
    value = models.TextField(blank=True)
    # Where the suggestion came from, in words staff recognise ("Order #1001").
    source_reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=SuggestionStatus, default=SuggestionStatus.PENDING)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["contact"], name="suggestion_pending_idx", condition=Q(status="pending")),
        ]
        constraints = [choices_check("status", SuggestionStatus, "suggestion_status_valid")]

    def __str__(self) -> str:
        return f"{self.field} → {self.value}"

    @property
    def field_label(self) -> str:
        """Return the words staff read for the field ("Address line 1", "Phone number")."""
        if self.field == self.PHONE:
            return "Phone number"
        label = str(Contact._meta.get_field(self.field).verbose_name)
        return label[:1].upper() + label[1:]

    @property
    def current_value(self) -> str:
        """Return what the contact has now in the suggested field ("" for a new phone number)."""
        return "" if self.field == self.PHONE else getattr(self.contact, self.field)


class ExportLog(models.Model):
    """An audit entry for every export: who, when, what scope, how many rows."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    scope = models.CharField(max_length=20, help_text="selected, filter or all")
    filters = models.JSONField(default=dict, blank=True)
    columns = models.CharField(max_length=20, help_text="full or shopify")
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Export of {self.row_count} contacts"
