"""A contact's other emails (aliases, left by a merge): kept off every other contact, removed, made primary."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower, Trim

from crm_core.actors import Actor
from customers.models import Contact, EmailAlias
from customers.services.records import activity_record, contacts_search_refresh, contacts_version_move


class AliasTaken(IntegrityError):
    """The email is another contact's alias: the same refusal as the database's for a second live contact."""


def emails_alias_check(*, emails: Iterable[str]) -> None:
    """Refuse (AliasTaken, an IntegrityError) when a contact just inserted has an email that is an alias.

    Asked after the insert, in the same transaction: an insert that waited on a merge in progress (the
    merged contact still held the email) runs after that merge committed, so this statement sees the alias
    the merge left. The callers already meet the database's duplicate refusal by looking the email up
    again, which then finds the alias's contact.
    """
    keys = [email.strip().lower() for email in emails]
    if keys and EmailAlias.objects.filter(email_normalized__in=keys).exists():
        raise AliasTaken("A contact with this email already exists.")


def email_alias_check(*, email: str) -> None:
    """emails_alias_check for one email, normalised by the database's own expression."""
    if EmailAlias.objects.filter(email_normalized=Lower(Trim(Value(email)))).exists():
        raise AliasTaken("A contact with this email already exists.")


def aliases_add(*, contact: Contact, emails: Iterable[str]) -> list[EmailAlias]:
    """Give the contact these emails as aliases (a merge: the merged contact's email and its aliases)."""
    return EmailAlias.objects.bulk_create(EmailAlias(contact=contact, email=email.strip()) for email in emails)


@transaction.atomic
def alias_remove(*, contact: Contact, alias: EmailAlias, actor: Actor) -> None:
    """Remove one of the contact's aliases: the email is then free for a new contact, and no longer finds this one."""
    EmailAlias.objects.filter(pk=alias.pk, contact=contact).delete()
    contacts_search_refresh(contact_ids=[contact.pk])
    contacts_version_move(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="alias_removed",
        actor=actor,
        body=f"Removed the alias {alias.email}",
        data={"email": alias.email},
    )


@transaction.atomic
def alias_make_primary(*, contact: Contact, alias: EmailAlias, actor: Actor) -> Contact:
    """Make an alias the contact's email; its email until now becomes an alias in its place."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    old = contact.email
    alias = EmailAlias.objects.select_for_update().get(pk=alias.pk, contact=contact)
    new = alias.email
    # The alias row takes the old email first, so the two never hold the same address at once.
    EmailAlias.objects.filter(pk=alias.pk).update(email=old)
    Contact.objects.filter(pk=contact.pk).update(email=new)
    contacts_search_refresh(contact_ids=[contact.pk])
    contacts_version_move(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="alias_made_primary",
        actor=actor,
        body=f"Email changed from {old} to {new}, its alias; {old} is now an alias",
        data={"old": old, "new": new},
    )
    contact.refresh_from_db()
    return contact
