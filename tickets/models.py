"""Tickets, their messages and attachments, mail that could not become a ticket, and portal sign-in links."""

from django.conf import settings
from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q
from django.urls import reverse

from companies.models import Company
from customers.models import Contact
from jobs.models import OutboxMail


def attachment_storage() -> Storage:
    """The private storage of attachments and kept mail: outside MEDIA_ROOT, handed out only by the app.

    Looked up on each use rather than bound to a FileField, which would fix it when models load.
    """
    return storages["attachments"]


class TicketStatus(models.TextChoices):
    OPEN = "open", "Open"
    PENDING = "pending", "Pending"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PORTAL = "portal", "Customer Portal"
    STAFF = "staff", "Staff"


class Ticket(models.Model):
    """A conversation with a contact; its number is its id, written `[#12]` in the subjects of its mail."""

    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=TicketStatus, default=TicketStatus.OPEN)
    # Kept when the requester is purged from the Trash (like orders), so a company keeps its history.
    requester = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, related_name="tickets")
    company = models.ForeignKey(Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    channel = models.CharField(max_length=10, choices=Channel)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_message_at = models.DateTimeField()

    class Meta:
        ordering = ["-last_message_at", "-id"]
        # One per way the lists read tickets: all, by status tab, a requester's, a company's; newest first,
        # the trailing id keeping the order total for keyset pages.
        indexes = [
            models.Index(fields=["-last_message_at", "-id"], name="ticket_recent_idx"),
            models.Index(fields=["status", "-last_message_at", "-id"], name="ticket_status_idx"),
            models.Index(fields=["requester", "-last_message_at", "-id"], name="ticket_requester_idx"),
            models.Index(fields=["company", "-last_message_at", "-id"], name="ticket_company_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="ticket_channel_valid"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def get_absolute_url(self) -> str:
        return reverse("tickets:detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"[#{self.pk}]"


class Message(models.Model):
    """One message on a ticket: from the contact, a staff reply, an internal note, or a recorded change."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="ticket_messages"
    )
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The name shown, kept as it was written (a staff member's account may go; a sender's From name).
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    # Internal notes and recorded changes are for staff only; the portal and the mail never show them.
    internal = models.BooleanField(default=False)
    # For a recorded change ("status", "company"), what changed; empty for messages and notes.
    event = models.CharField(max_length=20, blank=True)
    # The RFC 5322 Message-ID, with its angle brackets: of the mail received, or of the reply the app sent.
    message_id = models.CharField(max_length=255, blank=True)
    mail = models.ForeignKey(OutboxMail, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="ticket_message_idx"),
            models.Index(fields=["author_contact"], name="ticket_message_author_idx"),
        ]
        constraints = [
            # Each mail is stored once, however often the mail system or provider delivers it.
            models.UniqueConstraint(
                fields=["message_id"], condition=~Q(message_id=""), name="ticket_message_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(author_contact__isnull=True) | Q(author_user__isnull=True),
                name="ticket_message_one_author",
            ),
        ]

    def __str__(self) -> str:
        return f"Message {self.pk} on ticket {self.ticket_id}"

    @property
    def from_staff(self) -> bool:
        return self.author_contact_id is None


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    # The name in attachment_storage(), generated; the sender's file name (`name`) is shown, never a path.
    stored_name = models.CharField(max_length=300)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150)
    size = models.PositiveIntegerField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class UnprocessedReason(models.TextChoices):
    AUTOMATIC = "automatic", "Auto-reply or bounce"
    STAFF_SENDER = "staff_sender", "Sent from a staff address"
    NO_SENDER = "no_sender", "No usable sender"
    TOO_LARGE = "too_large", "Too large"
    UNREADABLE = "unreadable", "Could not be read"


class UnprocessedMail(models.Model):
    """A received mail kept whole because it did not become a ticket message, for staff to look at."""

    reason = models.CharField(max_length=20, choices=UnprocessedReason)
    detail = models.CharField(max_length=300, blank=True)
    sender = models.CharField(max_length=320, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField()
    # The whole mail as received, in attachment_storage().
    stored_name = models.CharField(max_length=300)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name_plural = "unprocessed mail"
        constraints = [
            models.CheckConstraint(condition=Q(reason__in=UnprocessedReason.values), name="unprocessed_reason_valid")
        ]

    def __str__(self) -> str:
        return f"{self.get_reason_display()}: {self.subject or '(no subject)'}"


class PortalSignIn(models.Model):
    """A one-time Customer Portal sign-in link: only a hash of its secret is kept, bound to one email."""

    token_hash = models.CharField(max_length=64, unique=True)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="+")
    email_normalized = models.CharField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="portal_signin_expiry_idx")]

    def __str__(self) -> str:
        return f"Sign-in link for {self.email_normalized}"
