"""Contacts with their labels, phone numbers and email aliases, and the choices they are made of."""

import uuid
from pathlib import PurePosixPath

from django.db import models
from django.db.models import Case, Q, Value, When
from django.db.models.functions import Concat, Greatest, Length, Lower, Replace, StrIndex, Substr, Trim
from django.db.models.lookups import GreaterThan, In
from django.urls import reverse

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


def choices_check(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
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
            choices_check("colour", LabelColour, "label_colour_valid"),
        ]

    def __str__(self) -> str:
        return self.name


_TEXT = models.CharField()
_EMAIL = Lower(Trim("email"), output_field=_TEXT)
_AT = StrIndex(_EMAIL, Value("@"))
# The first position, written as an expression: Django's SQLite introspection splits a table's SQL on ", "
# and fails on a one-character argument such as SUBSTR(x, 1, n)'s.
_FIRST = Length(Value("@"))
# At least 0: PostgreSQL refuses a negative length, which an address without "@" would give.
EMAIL_LOCAL = Substr(_EMAIL, _FIRST, Greatest(_AT - 1, Value(0)))
_DOMAIN = Substr(_EMAIL, _AT + 1)
_PLUS = StrIndex(EMAIL_LOCAL, Value("+"))
_UNTAGGED = Case(When(GreaterThan(_PLUS, 0), then=Substr(EMAIL_LOCAL, _FIRST, _PLUS - 1)), default=EMAIL_LOCAL)
# Providers that deliver "ann.lee+shop@" to "annlee@" (dots and tag ignored), and those that ignore only a tag.
DOTS_IGNORED = ("gmail.com", "googlemail.com")
TAGS_IGNORED = ("outlook.com", "hotmail.com", "live.com", "icloud.com", "me.com", "fastmail.com", "proton.me")
EMAIL_CANONICAL = Case(
    When(
        In(_DOMAIN, DOTS_IGNORED),
        then=Concat(Replace(_UNTAGGED, Value("."), Value("")), Value("@"), _DOMAIN, output_field=_TEXT),
    ),
    When(In(_DOMAIN, TAGS_IGNORED), then=Concat(_UNTAGGED, Value("@"), _DOMAIN, output_field=_TEXT)),
    default=_EMAIL,
)


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
    # Keys the duplicate finder groups by (merges.finder), kept by the database like email_normalized: the
    # local part, and the address as a provider that ignores dots and a +tag delivers it (EMAIL_CANONICAL).
    email_local = models.GeneratedField(
        expression=EMAIL_LOCAL, output_field=models.CharField(max_length=254), db_persist=True
    )
    email_canonical = models.GeneratedField(
        expression=EMAIL_CANONICAL, output_field=models.CharField(max_length=254), db_persist=True
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
            # Merging moves one person's orders, tickets and consent onto another: Managers only.
            ("merge_contact", "Can merge contacts"),
        ]
        constraints = [
            models.UniqueConstraint(
                "email_normalized",
                condition=Q(deleted_at__isnull=True),
                name="contact_email_unique_among_live",
                violation_error_message="A contact with this email already exists.",
            ),
            models.CheckConstraint(condition=~Q(email_normalized=""), name="contact_email_required"),
            choices_check("stage", Stage, "contact_stage_valid"),
            choices_check("source", Source, "contact_source_valid"),
            choices_check("marketing_consent", ConsentState, "contact_marketing_consent_valid"),
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
            # The duplicate finder's keys (merges.finder): each group of one key is read off its index.
            models.Index(
                fields=["email_canonical", "id"],
                name="contact_live_canonical_idx",
                condition=Q(deleted_at__isnull=True),
            ),
            models.Index(
                fields=["email_local", "id"], name="contact_live_local_idx", condition=Q(deleted_at__isnull=True)
            ),
            # Names as the finder compares them (lower-cased): one contact's namesakes without a scan.
            models.Index(
                Lower("last_name"),
                Lower("first_name"),
                name="contact_live_lower_name_idx",
                condition=Q(deleted_at__isnull=True),
            ),
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
        # Contacts sharing a number, for the duplicate finder.
        indexes = [models.Index(fields=["number", "contact"], name="phone_number_idx")]

    def __str__(self) -> str:
        return self.number


class EmailAlias(models.Model):
    """Another email of a contact, kept when a contact with that email was merged into it.

    Every lookup by email finds the contact through its own email or one of these, by the same
    normalisation, so an order or a mail from the merged-away address keeps landing on the survivor.
    """

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="aliases")
    email = models.EmailField("Email", max_length=254)
    email_normalized = models.GeneratedField(
        expression=Lower(Trim("email")),
        output_field=models.CharField(max_length=254),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "email aliases"
        ordering = ["created_at", "id"]
        constraints = [
            # One owner per address, live or trashed: a trashed survivor still holds what merged into it.
            models.UniqueConstraint("email_normalized", name="email_alias_unique"),
            models.CheckConstraint(condition=~Q(email_normalized=""), name="email_alias_required"),
        ]
        indexes = [models.Index(fields=["contact", "created_at"], name="email_alias_contact_idx")]

    def __str__(self) -> str:
        return self.email
