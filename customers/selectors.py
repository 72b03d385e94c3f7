"""Reads of the address book shared by pages, exports and services."""

from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim

from customers.models import Activity, Contact, PhoneNumber, Stage


def contacts_live() -> QuerySet[Contact]:
    """Return contacts that are not in the trash."""
    return Contact.objects.live()


def contact_live_by_email(*, email: str) -> Contact | None:
    """Return the live contact whose email matches, ignoring case and surrounding spaces.

    The database normalises the input with the same expression it uses for the stored column, so
    Python and the database can never disagree about which emails are the same.
    """
    return contacts_live().filter(email_normalized=Lower(Trim(Value(email)))).first()


def contact_stage_counts() -> dict[str, int]:
    """Return how many live contacts there are in all, and per stage, in one query."""
    return contacts_live().aggregate(
        all=Count("pk"),
        customer=Count("pk", filter=Q(stage=Stage.CUSTOMER)),
        lead=Count("pk", filter=Q(stage=Stage.LEAD)),
    )


def contact_list(*, stage: str | None = None) -> QuerySet[Contact]:
    """Return live contacts, newest first, with what the list shows loaded in a fixed number of queries."""
    contacts = contacts_live()
    if stage in Stage.values:
        contacts = contacts.filter(stage=stage)
    return contacts.order_by("-created_at", "-id").prefetch_related(
        Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
        "labels",
        "companies",
    )


# The contact page shows the latest entries; older ones are a page away, so a contact with thousands
# of entries still loads in one bounded query.
ACTIVITY_PAGE_SIZE = 50


def contact_detail(*, pk: int) -> Contact:
    """Return one live contact with its phones, labels and latest activity."""
    return (
        contacts_live()
        .prefetch_related(
            Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
            "labels",
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("actor").order_by("-created_at", "-id")[:ACTIVITY_PAGE_SIZE],
                to_attr="activity_list",
            ),
        )
        .get(pk=pk)
    )
