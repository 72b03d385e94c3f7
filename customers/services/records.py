"""What every write to contacts also does: the timeline entry, the new version, the fresh search document."""

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from crm_core.actors import Actor
from crm_core.batching import row_copy, rows_update
from customers.models import (
    Activity,
    ActivityKind,
    Contact,
)
from customers.selectors import (
    search_documents_by_contact,
)


def activity_entry(*, contact_id: int, event: str, actor: Actor, body: str, data: dict[str, Any] | None) -> Activity:
    return Activity(
        contact_id=contact_id,
        kind=ActivityKind.EVENT,
        event=event,
        body=body,
        actor_kind=actor.kind,
        actor=actor.user,
        data=data or {},
    )


def activity_record(
    *,
    event: str,
    actor: Actor,
    body: str = "",
    data: dict[str, Any] | None = None,
    contact: Contact | None = None,
    contact_ids: Sequence[int] = (),
) -> Activity | None:
    """Record a system event on the timeline of one `contact`, or of each of `contact_ids`; return the first entry.

    Every service that changes a contact calls this. However many contacts there are, it costs two statements:
    the first entry is saved as usual and the database copies it to the others (crm_core.batching.row_copy).
    """
    ids = [contact.pk] if contact is not None else list(contact_ids)
    if not ids:
        return None
    first = activity_entry(contact_id=ids[0], event=event, actor=actor, body=body, data=data)
    first.save()
    row_copy(model=Activity, source_pk=first.pk, field="contact", targets=ids[1:])
    return first


def contacts_version_move(*, contact_ids: Iterable[int]) -> None:
    """Give these contacts a new version: something their edit form shows (labels, companies, phones) changed.

    An edit form opened before such a change is then refused as stale instead of saving the old list back.
    """
    Contact.objects.filter(pk__in=list(contact_ids)).update(updated_at=timezone.now())


SEARCH_REFRESH_BATCH = 1000


# A change to any of these changes what the contact is found by.
SEARCHED_FIELDS = frozenset({"first_name", "last_name", "email", "phones"})


def contact_search_refresh_if_found_by(*, contact: Contact, fields: Iterable[str]) -> None:
    """Refresh the contact's search document if any of these changed fields is one it is found by."""
    if SEARCHED_FIELDS.intersection(fields):
        contacts_search_refresh(contact_ids=[contact.pk])


def contacts_search_refresh(*, contact_ids: Iterable[int]) -> None:
    """Recompute the search document of these contacts from their name, email, phones and companies."""
    ids = list(dict.fromkeys(contact_ids))
    for start in range(0, len(ids), SEARCH_REFRESH_BATCH):
        documents = search_documents_by_contact(contact_ids=ids[start : start + SEARCH_REFRESH_BATCH])
        # One CASE as SQL text (rows_update): bulk_update's Case/When per row cost an order import a fifth.
        rows_update(model=Contact, changes={pk: {"search_document": document} for pk, document in documents.items()})
