"""Reads of the address book shared by pages, exports and services."""

from django.db.models import Count, Prefetch, Q, QuerySet, Value
from django.db.models.functions import Lower, Trim

from contacts_crm.pagination import Cursor, KeysetPage, Ordering, RowCount, count_rows, keyset_page
from customers.models import Activity, Contact, Label, PhoneNumber, Stage, SuggestedUpdate, SuggestionStatus


def contacts_live() -> QuerySet[Contact]:
    """Return contacts that are not in the trash."""
    return Contact.objects.live()


def contact_live_by_email(*, email: str) -> Contact | None:
    """Return the live contact whose email matches, ignoring case and surrounding spaces.

    The database normalises the input with the same expression it uses for the stored column, so
    Python and the database can never disagree about which emails are the same.
    """
    return contacts_live().filter(email_normalized=Lower(Trim(Value(email)))).first()


def contact_trashed_by_email(*, email: str) -> Contact | None:
    """Return the most recently trashed contact whose email matches, ignoring case and surrounding spaces."""
    return (
        Contact.objects.filter(deleted_at__isnull=False, email_normalized=Lower(Trim(Value(email))))
        .order_by("-deleted_at", "-pk")
        .first()
    )


def contact_stage_counts() -> dict[str, RowCount]:
    """Return how many live contacts there are in all and per stage: exact when cheap, else estimated."""
    contacts = contacts_live()
    return {
        "all": count_rows(contacts),
        Stage.CUSTOMER: count_rows(contacts.filter(stage=Stage.CUSTOMER)),
        Stage.LEAD: count_rows(contacts.filter(stage=Stage.LEAD)),
    }


def contact_list_page(
    *, contacts: QuerySet[Contact], ordering: Ordering, size: int, cursor: Cursor | None = None, last: bool = False
) -> KeysetPage:
    """Return one page of contacts with what the list shows, in a fixed number of queries."""
    # Lists rather than related managers: fifty rows would otherwise build a hundred managers and
    # querysets just to read what is already prefetched.
    contacts = contacts.prefetch_related(
        Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
        Prefetch("labels", queryset=Label.objects.all(), to_attr="label_list"),
        Prefetch("companies", to_attr="company_list"),
    )
    return keyset_page(contacts, ordering=ordering, size=size, cursor=cursor, last=last)


# The contact page shows the latest entries; older ones are a page away, so a contact with thousands
# of entries still loads in one bounded query.
ACTIVITY_PAGE_SIZE = 50


def contact_detail(*, pk: int) -> Contact:
    """Return one live contact with its phones, labels, pending suggestions and latest activity."""
    return (
        contacts_live()
        .prefetch_related(
            Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
            "labels",
            Prefetch(
                "suggested_updates",
                queryset=SuggestedUpdate.objects.filter(status=SuggestionStatus.PENDING).order_by("created_at", "id"),
                to_attr="pending_suggestions",
            ),
            Prefetch(
                "activities",
                queryset=Activity.objects.select_related("actor").order_by("-created_at", "-id")[:ACTIVITY_PAGE_SIZE],
                to_attr="activity_list",
            ),
        )
        .get(pk=pk)
    )


def contact_with_phones(*, pk: int) -> Contact:
    """Return one live contact with its phones in order and its labels, for the edit form."""
    return (
        contacts_live()
        .prefetch_related(
            Prefetch("phones", queryset=PhoneNumber.objects.order_by("position", "id"), to_attr="phone_list"),
            "labels",
        )
        .get(pk=pk)
    )


def labels_all() -> list[Label]:
    """Return every label by name, for pickers: the list's filter panel and its bulk bar."""
    return list(Label.objects.order_by(Lower("name"), "pk"))


def labels_with_contact_counts() -> QuerySet[Label]:
    """Return every label by name, each with how many contacts outside the trash have it, in one query."""
    return Label.objects.annotate(
        contact_count=Count("contacts", filter=Q(contacts__deleted_at__isnull=True))
    ).order_by(Lower("name"), "pk")


def labels_named(*, name: str) -> QuerySet[Label]:
    """Return the label called name in any letter case (at most one).

    Both sides are lower-cased by the database with the expression its unique constraint uses, so this
    finds exactly the label that would make an insert of name fail.
    """
    return Label.objects.alias(name_lower=Lower("name")).filter(name_lower=Lower(Value(name.strip())))


def label_by_name(*, name: str) -> Label | None:
    """Return the label called name in any letter case, or None."""
    return labels_named(name=name).first()


def labels_not_on_contact(*, contact: Contact) -> QuerySet[Label]:
    """Return the labels the contact does not have yet, by name."""
    return Label.objects.exclude(contacts=contact).order_by(Lower("name"), "pk")
