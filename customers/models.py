"""The address book: contacts and what hangs off them."""

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.urls import reverse

from crm_core.actors import ActorKind
from crm_core.models import AddressFields, ChangedColumnsModel, TimeStampedModel, VersionedQuerySet


class Stage(models.TextChoices):
    LEAD = "lead", "Lead"
    CUSTOMER = "customer", "Customer"


class Source(models.TextChoices):
    MANUAL = "manual", "Added by staff"
    ORDER = "order", "Shop order"
    CONTACT_FORM = "contact_form", "Contact form"
    TICKET = "ticket", "Ticket"
    IMPORT = "import", "Import"
    SHOP = "shop", "Shop customer account"


class ConsentState(models.TextChoices):
    SUBSCRIBED = "subscribed", "Subscribed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
    PENDING = "pending", "Pending"
    NOT_SUBSCRIBED = "not_subscribed", "Not subscribed"


def contact_image_path(instance: "Contact", filename: str) -> str:
    """Store every upload under a generated name; the uploader's file name is never used."""
    suffix = PurePosixPath(filename).suffix.lower()
    extension = suffix if suffix in {".jpg", ".png", ".gif", ".webp"} else ".jpg"
    return f"contacts/{uuid.uuid4().hex}{extension}"


def _choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class LabelColour(models.TextChoices):
    # Named colours rather than free hex codes: each pairs with a text colour that keeps 4.5:1 contrast.
    GREY = "grey", "Grey"
    RED = "red", "Red"
    ORANGE = "orange", "Orange"
    YELLOW = "yellow", "Yellow"
    GREEN = "green", "Green"
    TEAL = "teal", "Teal"
    BLUE = "blue", "Blue"
    PURPLE = "purple", "Purple"
    PINK = "pink", "Pink"


class Label(TimeStampedModel):
    name = models.CharField(max_length=50)
    colour = models.CharField(max_length=10, choices=LabelColour, default=LabelColour.GREY)

    class Meta:
        ordering = [Lower("name")]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="label_name_unique_ignoring_case"),
            models.CheckConstraint(condition=~Q(name=""), name="label_name_not_empty"),
            _choices_check("colour", LabelColour, "label_colour_valid"),
        ]

    def __str__(self) -> str:
        return self.name


class ContactQuerySet(VersionedQuerySet):
    # The search document is computed from the name, email, phones and companies; refreshing it changes
    # nothing an edit form shows, so it leaves the version alone.
    derived_fields = frozenset({"search_document"})

    def live(self) -> "ContactQuerySet":
        """Contacts that are not in the trash."""
        return self.filter(deleted_at__isnull=True)


class Contact(AddressFields, ChangedColumnsModel):
    stage = models.CharField(max_length=10, choices=Stage, default=Stage.LEAD)
    first_name = models.CharField("First name", max_length=150, blank=True)
    last_name = models.CharField("Last name", max_length=150, blank=True)
    email = models.EmailField("Email", max_length=254)
    # The identity of a contact, computed by the database itself so that no code path (bulk_create,
    # raw SQL, the admin) can store an email whose normalised form disagrees with it.
    email_normalized = models.GeneratedField(
        expression=Lower(Trim("email")),
        output_field=models.CharField(max_length=254),
        db_persist=True,
    )
    # Both files are written only by customers.images (re-encoded, metadata stripped, generated names).
    image = models.ImageField("Contact image", upload_to=contact_image_path, blank=True)
    image_thumbnail = models.ImageField(upload_to=contact_image_path, blank=True, editable=False)
    details_locked = models.BooleanField(
        default=False,
        help_text="Set when staff edit the details by hand: later orders no longer overwrite them.",
    )
    source = models.CharField(max_length=20, choices=Source, default=Source.MANUAL)
    labels = models.ManyToManyField(Label, related_name="contacts", blank=True)
    # Kept in step by the consent and order services so the list can filter and sort a million
    # contacts on indexed columns instead of aggregating on every request.
    marketing_consent = models.CharField(max_length=20, choices=ConsentState, default=ConsentState.NOT_SUBSCRIBED)
    orders_count = models.PositiveIntegerField(default=0)
    total_spent = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    last_order_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    # What the list's search matches, kept by contacts_search_refresh and indexed per database (search.py).
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        permissions = [
            ("export_contact", "Can export contacts"),
            # Erasure cannot be undone and answers a privacy request, so it is a right of its own (Managers).
            ("erase_contact", "Can erase a contact's personal data"),
        ]
        constraints = [
            models.UniqueConstraint(
                "email_normalized",
                condition=Q(deleted_at__isnull=True),
                name="contact_email_unique_among_live",
                violation_error_message="A contact with this email already exists.",
            ),
            models.CheckConstraint(condition=~Q(email_normalized=""), name="contact_email_required"),
            _choices_check("stage", Stage, "contact_stage_valid"),
            _choices_check("source", Source, "contact_source_valid"),
            _choices_check("marketing_consent", ConsentState, "contact_marketing_consent_valid"),
            models.CheckConstraint(condition=Q(total_spent__gte=0), name="contact_total_spent_not_negative"),
        ]
        # Partial indexes over live contacts, one per sort order of the list; the trailing id keeps the
        # order total so keyset pagination can seek on it.
        indexes = [
            models.Index(
                fields=["-created_at", "-id"], name="contact_live_created_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["stage", "-created_at", "-id"],
                name="contact_live_stage_created_idx",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["last_name", "first_name", "id"],
                name="contact_live_name_idx",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["email_normalized", "id"], name="contact_live_email_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["total_spent", "id"], name="contact_live_spent_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["last_order_at", "id"], name="contact_live_last_order_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(fields=["source"], name="contact_live_source_idx", condition=Q(deleted_at__isnull=True)),
            models.Index(
                fields=["marketing_consent"], name="contact_live_consent_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(
                fields=["details_locked"], name="contact_live_locked_idx", condition=Q(deleted_at__isnull=True)
            ),
            models.Index(fields=["deleted_at"], name="contact_trash_idx", condition=Q(deleted_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.display_name

    def get_absolute_url(self) -> str:
        return reverse("customers:detail", args=[self.pk])

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def initials(self) -> str:
        letters = [part[0] for part in (self.first_name, self.last_name) if part]
        return ("".join(letters) or self.email[:1]).upper()

    @property
    def in_trash(self) -> bool:
        return self.deleted_at is not None


class PhoneNumber(models.Model):
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField("Phone number", max_length=16, help_text="E.164, e.g. +442071838750")
    label = models.CharField(max_length=30, blank=True, help_text="For example mobile or work")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "number"], name="phone_unique_per_contact"),
            models.CheckConstraint(condition=Q(number__startswith="+"), name="phone_is_e164"),
        ]

    def __str__(self) -> str:
        return self.number


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
            _choices_check("kind", ActivityKind, "activity_kind_valid"),
            _choices_check("actor_kind", ActorKind, "activity_actor_kind_valid"),
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
            _choices_check("channel", ConsentChannel, "consent_channel_valid"),
            _choices_check("state", ConsentState, "consent_state_valid"),
            _choices_check("opt_in_level", OptInLevel, "consent_opt_in_level_valid"),
            _choices_check("source", ConsentSource, "consent_source_valid"),
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
        constraints = [_choices_check("status", SuggestionStatus, "suggestion_status_valid")]

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
