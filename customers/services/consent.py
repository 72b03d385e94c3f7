"""Marketing consent: the append-only writes (one record or an import's many) and the current consent they keep."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import rows_insert
from customers.models import (
    ConsentChannel,
    ConsentRecord,
    ConsentSource,
    ConsentState,
    Contact,
    OptInLevel,
)
from customers.selectors import (
    consent_current_by_contact,
)
from customers.services.records import activity_record


@transaction.atomic
def consent_record(
    *,
    contact: Contact,
    state: ConsentState,
    source: ConsentSource,
    given_at: datetime,
    collected_how: str,
    actor: Actor,
    opt_in_level: OptInLevel = OptInLevel.UNKNOWN,
    channel: ConsentChannel = ConsentChannel.EMAIL,
) -> ConsentRecord:
    """Append a consent record; the contact's current consent is the latest record by the moment given."""
    # Locking the contact makes concurrent records for it take turns, so each reads back the latest
    # with the others committed and the last writer cannot store an older record's state.
    current = Contact.objects.select_for_update().values_list("marketing_consent", flat=True).get(pk=contact.pk)
    # Nothing is given in the future (a shop clock running fast): such a record would outrank an
    # unsubscribe made now, which must take effect at once.
    given_at = min(given_at, timezone.now())
    record = ConsentRecord.objects.create(
        contact=contact,
        channel=channel,
        state=state,
        opt_in_level=opt_in_level,
        source=source,
        given_at=given_at,
        collected_how=collected_how,
        actor=actor.user,
    )
    superseded = False
    if channel == ConsentChannel.EMAIL:
        # An older record entered later must not override a newer one, so read the latest back.
        latest = consent_current_by_contact(contact_ids=[contact.pk])[contact.pk]
        if latest.state != current:
            Contact.objects.filter(pk=contact.pk).update(marketing_consent=latest.state)
        contact.assume_saved(marketing_consent=latest.state)
        superseded = latest.record_id != record.pk
    body = f"{record.get_channel_display()} marketing: {record.get_state_display()}"
    if superseded:
        when = timezone.localtime(given_at)
        body += f" (entered later for {when.day} {when:%b %Y}; a later entry stays current)"
    activity_record(
        contact=contact,
        event="consent_changed",
        actor=actor,
        body=body,
        data={"state": state, "source": source, "given_at": given_at.isoformat(), "current": not superseded},
    )
    return record


@dataclass(frozen=True)
class ConsentInput:
    contact_id: int
    state: str
    given_at: datetime
    opt_in_level: str = OptInLevel.UNKNOWN
    channel: str = ConsentChannel.EMAIL
    collected_how: str = ""


def consent_records_append(*, records: Sequence[ConsentInput], source: ConsentSource, actor: Actor) -> set[int]:
    """Append many consent records at once (an import) and move each contact's current consent; return whose moved.

    The same rule as consent_record: nothing is dated in the future, and the current consent is the latest
    record by the moment given (consent_current_by_contact), so an older record never outranks a later one.
    The caller holds the contacts' row locks and records the timeline entries.
    """
    if not records:
        return set()
    now = timezone.now()
    rows_insert(
        model=ConsentRecord,
        rows=[
            {
                "contact_id": record.contact_id,
                "channel": record.channel,
                "state": record.state,
                "opt_in_level": record.opt_in_level,
                "source": source,
                "given_at": min(record.given_at, now),
                "collected_how": record.collected_how,
                "actor_id": actor.user.pk if actor.user else None,
            }
            for record in records
        ],
    )
    ids = {record.contact_id for record in records if record.channel == ConsentChannel.EMAIL}
    stored = dict(Contact.objects.filter(pk__in=ids).values_list("pk", "marketing_consent"))
    moved: dict[str, list[int]] = {}
    for contact_id, current in consent_current_by_contact(contact_ids=ids).items():
        if stored.get(contact_id) != current.state:
            moved.setdefault(current.state, []).append(contact_id)
    for state, contact_ids in moved.items():
        Contact.objects.filter(pk__in=contact_ids).update(marketing_consent=state)
    return {contact_id for contact_ids in moved.values() for contact_id in contact_ids}
