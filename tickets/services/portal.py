"""The Customer Portal's sign-in: one-time links by mail, and the customer's own tickets and replies."""

import hashlib
import secrets
from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from companies.models import Company, Membership
from crm_core.throttle import attempt_allowed
from customers.models import Contact
from customers.selectors import contact_live_by_email
from jobs.outbox import mail_queue
from tickets.mailparse import FilePart
from tickets.models import Channel, Message, PortalSignIn, Ticket
from tickets.services.tickets import TicketRefused, customer_message_add, ticket_open_from_customer


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def signin_allowed(*, email: str, client: str) -> bool:
    """Count a request for a link against the email's and the client's allowance; False once either is spent."""
    window = settings.PORTAL_SIGNIN_WINDOW
    by_email = attempt_allowed(
        scope="portal-signin-email",
        client=email.strip().lower(),
        limit=settings.PORTAL_SIGNIN_LIMIT_PER_EMAIL,
        window=window,
    )
    by_client = attempt_allowed(
        scope="portal-signin-client", client=client, limit=settings.PORTAL_SIGNIN_LIMIT_PER_CLIENT, window=window
    )
    return by_email and by_client


def _address_typed(contact: Contact, email: str) -> str:
    """Return the contact's address the person typed, as stored: its own email or, after a merge, an alias."""
    typed = email.strip().lower()
    if contact.email_normalized == typed:
        return contact.email
    return next((alias.email for alias in contact.aliases.all() if alias.email_normalized == typed), contact.email)


@transaction.atomic
def signin_link_send(*, email: str, base_url: str) -> bool:
    """Mail a one-time sign-in link to a live contact with this email; False (and nothing sent) for any other.

    The caller answers the same either way, so the form tells nobody whether an address is known.
    `base_url` is where the customer asked from (or PORTAL_URL); the link is valid PORTAL_SIGNIN_MINUTES, once.
    """
    contact = contact_live_by_email(email=email)
    if contact is None:
        return False
    token = secrets.token_urlsafe(32)
    link = PortalSignIn.objects.create(
        token_hash=_hash(token),
        contact=contact,
        email_normalized=contact.email_normalized,
        expires_at=timezone.now() + timedelta(minutes=settings.PORTAL_SIGNIN_MINUTES),
    )
    minutes = settings.PORTAL_SIGNIN_MINUTES
    body = (
        f"Hello {contact.first_name or contact.display_name},\n\n"
        f"Open this link to sign in to the Customer Portal and see your tickets:\n\n"
        f"{base_url.rstrip('/')}/portal/sign-in/{token}/\n\n"
        f"The link works once, within {minutes} minutes. If you did not ask for it, you can ignore this email."
    )
    mail_queue(
        key=f"portal-signin:{link.pk}",
        to=_address_typed(contact, email),
        subject="Your sign-in link for the Customer Portal",
        body=body,
        topic="portal-signin",
        # A machine's mail: an auto-responder must not answer it (RFC 3834).
        headers={"Auto-Submitted": "auto-generated"},
    )
    return True


def signin_link_peek(*, token: str) -> PortalSignIn | None:
    """Return the unused, unexpired link for a token (to show its "Sign in" button), or None."""
    return PortalSignIn.objects.filter(
        token_hash=_hash(token[:200]), used_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def signin_link_use(*, token: str) -> Contact | None:
    """Use a link once: return its contact when it is unused, unexpired and still that contact's email."""
    link = signin_link_peek(token=token)
    if link is None:
        return None
    # One UPDATE claims it, so two tabs opening the same link cannot both sign in.
    if not PortalSignIn.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=timezone.now()):
        return None
    return portal_contact(contact_id=link.contact_id, email_normalized=link.email_normalized)


def portal_contact(*, contact_id: int, email_normalized: str) -> Contact | None:
    """Return the live contact a portal session belongs to, if its email is still the one it signed in with."""
    return Contact.objects.live().filter(pk=contact_id, email_normalized=Lower(Trim(Value(email_normalized)))).first()


def portal_companies(*, contact: Contact) -> list[Company]:
    """Return the companies a customer may file a new portal ticket under: their own."""
    return [m.company for m in Membership.objects.filter(contact=contact).select_related("company")]


@transaction.atomic
def portal_ticket_open(
    *, contact: Contact, subject: str, body: str, company: Company | None, files: Sequence[FilePart] = ()
) -> Ticket:
    """Open a ticket from the Customer Portal, under one of the customer's companies or none."""
    if company is not None and company.pk not in {c.pk for c in portal_companies(contact=contact)}:
        raise TicketRefused("Choose one of your companies.")
    ticket, _ = ticket_open_from_customer(
        requester=contact, subject=subject, body=body, channel=Channel.PORTAL, company=company, files=files
    )
    return ticket


@transaction.atomic
def portal_reply(*, ticket: Ticket, contact: Contact, body: str, files: Sequence[FilePart] = ()) -> Message:
    """Add the customer's reply from the portal; the caller got `ticket` from tickets_visible_to."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    return customer_message_add(ticket=ticket, contact=contact, body=body, files=files)
