"""The ways in for people who write to the business: the public contact form, and finding or adding the writer."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from crm_core.actors import WEBSITE, Actor
from customers.models import ConsentSource, ConsentState, Contact, OptInLevel, Source
from customers.selectors import contact_live_by_email_for_update
from customers.services.consent import consent_record
from customers.services.contacts import contact_create
from customers.services.records import activity_record

CONSENT_COLLECTED_HOW = "Ticked the marketing box on the website contact form"


def name_split(name: str) -> tuple[str, str]:
    """Return the first and last name in a name typed as one: the last word is the last name.

    A single word is taken as the first name, so "Ann" is not filed as someone's surname.
    """
    words = name.split()
    if len(words) < 2:
        return (words[0] if words else ""), ""
    return " ".join(words[:-1]), words[-1]


@transaction.atomic
def contact_form_submit(*, name: str, email: str, message: str, consent: bool, client: str = "") -> Contact:
    """Record a contact form message on the live contact with that email, creating a lead if there is none.

    The email is the identity: a known contact keeps its name, since a name typed into a public form is
    not trusted over what staff or orders stored; the name typed is kept with the message instead.
    """
    contact, _ = contact_live_get_or_create(name=name, email=email, source=Source.CONTACT_FORM, actor=WEBSITE)
    activity_record(
        contact=contact,
        event="message_received",
        actor=WEBSITE,
        body=f"Message from {name} through the website contact form:\n{message}",
        data={"name": name, **({"client_address": client} if client else {})},
    )
    if consent:
        # Subscribed with a single opt-in rather than pending: pending means waiting for the person to
        # confirm by email, and no confirmation email exists, so a pending record would never move on.
        # The opt-in level tells staff it was not confirmed. An unticked box records nothing: it is no
        # answer, and must not overwrite consent given or withdrawn another way.
        consent_record(
            contact=contact,
            state=ConsentState.SUBSCRIBED,
            source=ConsentSource.CONTACT_FORM,
            given_at=timezone.now(),
            collected_how=CONSENT_COLLECTED_HOW,
            actor=WEBSITE,
            opt_in_level=OptInLevel.SINGLE,
        )
    return contact


def contact_live_get_or_create(*, name: str, email: str, source: Source, actor: Actor) -> tuple[Contact, bool]:
    """Return the live contact with this email, or a new lead named `name` (one string), and whether it is new.

    The way in for someone who writes to the business (the contact form, a ticket by mail or by staff): a
    known contact keeps the name staff or orders stored. In a transaction: the contact found is locked, so
    a merge in progress is waited for and its survivor found by the alias.
    """
    contact = contact_live_by_email_for_update(email=email)
    if contact is not None:
        return contact, False
    first_name, last_name = name_split(name)
    try:
        # A savepoint, so that losing the race below leaves the surrounding transaction usable.
        with transaction.atomic():
            contact = contact_create(
                email=email, first_name=first_name, last_name=last_name, source=source, actor=actor
            )
            return contact, True
    except IntegrityError:
        # Another message from the same new email created the contact between our read and our insert;
        # the database refused the second one, so read again and add the message to the winner's contact.
        contact = contact_live_by_email_for_update(email=email)
        if contact is None:
            raise
        return contact, False
