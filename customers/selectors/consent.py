"""Reads of marketing consent: a contact's history, and the current consent of many contacts at once."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from customers.models import (
    ConsentChannel,
    ConsentRecord,
    Contact,
)

# The consent box lists the latest email consent records; the full history is a page away.
CONSENT_RECORDS_SHOWN = 5


def consent_history(*, contact: Contact) -> QuerySet[ConsentRecord]:
    """Return the contact's email consent records, newest moment first, each marked if it was entered later.

    A record is "entered later" when a record for a later moment had already been stored: it went into
    the history without changing the contact's consent.
    """
    records = ConsentRecord.objects.filter(contact=contact, channel=ConsentChannel.EMAIL)
    newer_already_stored = ConsentRecord.objects.filter(
        contact=OuterRef("contact"),
        channel=OuterRef("channel"),
        pk__lt=OuterRef("pk"),
        given_at__gt=OuterRef("given_at"),
    )
    return (
        records.select_related("actor")
        .annotate(entered_later=Exists(newer_already_stored))
        .order_by("-given_at", "-id")
    )


@dataclass(frozen=True)
class CurrentConsent:
    record_id: int
    state: str


def consent_current_by_contact(*, contact_ids: Iterable[int]) -> dict[int, CurrentConsent]:
    """Return each contact's current email consent: its latest record by the moment given (no record: absent).

    The one statement of the rule; consent_record and the integrity check both ask it.
    """
    current: dict[int, CurrentConsent] = {}
    for contact_id, record_id, state in (
        ConsentRecord.objects.filter(contact__in=list(contact_ids), channel=ConsentChannel.EMAIL)
        .order_by("contact_id", "-given_at", "-id")
        .values_list("contact_id", "id", "state")
    ):
        current.setdefault(contact_id, CurrentConsent(record_id=record_id, state=state))
    return current
