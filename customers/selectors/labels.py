"""Reads of labels: all of them, with their live contact counts, by name, and those a contact has and lacks."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower

from customers.models import (
    Contact,
    Label,
)


def labels_all() -> list[Label]:
    """Return every label by name, for pickers: the list's filter panel and its bulk bar."""
    return list(Label.objects.order_by(Lower("name"), "pk"))


def labels_on_and_off(*, contact: Contact) -> tuple[list[Label], list[Label]]:
    """Return the contact's labels and those it does not have yet, each by name, in one query.

    The contact page shows the first and offers the second in its picker; asked apart they cost a query each.
    """
    links = Contact.labels.through.objects.filter(contact=contact, label=OuterRef("pk"))
    on, off = [], []
    # Only what the page shows of a label: building fifty with their timestamps took a third longer.
    chosen = Label.objects.only("pk", "name", "colour").annotate(on_contact=Exists(links))
    for label in chosen.order_by(Lower("name"), "pk"):
        (on if label.on_contact else off).append(label)
    return on, off


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
