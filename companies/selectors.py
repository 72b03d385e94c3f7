"""Reads of companies and memberships."""

import re

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Lower

from companies.models import Company, Membership
from customers.models import Contact
from customers.search import contacts_matching
from customers.selectors import contacts_live

# Pickers fed by htmx (contacts to add) offer at most this many suggestions.
SUGGESTION_LIMIT = 20
# A company row of the contact form offers at most this many companies, as suggestions or after an unknown name.
CLOSEST_LIMIT = 8
# Words of a typed name that help find a company named a little differently ("Newton Ltd" → "Newton PLC").
CLOSEST_WORDS = 5
CLOSEST_WORD_LENGTH = 3


def company_list(*, search: str = "") -> QuerySet[Company]:
    """Return companies by name with their live member counts; a search matches name or domain literally."""
    companies = Company.objects.all()
    if search:
        companies = companies.filter(Q(name__icontains=search) | Q(domain__icontains=search))
    return companies.annotate(
        member_count=Count("memberships", filter=Q(memberships__contact__deleted_at__isnull=True))
    ).order_by(Lower("name"), "id")


def company_detail(*, pk: int) -> Company:
    """Return one company."""
    return Company.objects.get(pk=pk)


def companies_closest(*, name: str, limit: int = CLOSEST_LIMIT) -> QuerySet[Company]:
    """Return the companies whose names come closest to a typed one, the exact name (any letter case) first.

    Then names that start with it, then names that contain it, then names sharing its longer words (the
    more letters shared, the closer); all taken literally, % and _ included. Nothing typed: the first by name.
    Each has its closeness: 0 for the exact name, 1 starts with it, 2 contains it, 3 shares a word or less.
    """
    typed = name.strip()
    companies = Company.objects.order_by(Lower("name"), "id")
    if not typed:
        return companies.annotate(closeness=Value(3)).only("name")[:limit]
    words = [word for word in re.findall(r"\w+", typed) if len(word) >= CLOSEST_WORD_LENGTH][:CLOSEST_WORDS]
    shared = [When(name__icontains=word, then=Value(len(word))) for word in words]
    matches = Q(name__icontains=typed)
    for word in words:
        matches |= Q(name__icontains=word)
    return (
        companies.alias(name_lower=Lower("name"))
        .filter(matches)
        .annotate(
            closeness=Case(
                # The same comparison as companies_named and the unique constraint.
                When(name_lower=Lower(Value(typed)), then=Value(0)),
                When(name__istartswith=typed, then=Value(1)),
                When(name__icontains=typed, then=Value(2)),
                default=Value(3),
                output_field=IntegerField(),
            ),
            letters_shared=sum(
                (Case(when, default=Value(0), output_field=IntegerField()) for when in shared), Value(0)
            ),
        )
        .order_by("closeness", "-letters_shared", Lower("name"), "id")
        .only("name")[:limit]
    )


def company_by_pk(*, pk: int) -> Company | None:
    """Return one company, or None when there is no such company (any more)."""
    return Company.objects.filter(pk=pk).first()


def memberships_for_company(*, company: Company) -> QuerySet[Membership]:
    """Return a company's links to live contacts, with the contact and company loaded."""
    return (
        Membership.objects.filter(company=company, contact__deleted_at__isnull=True)
        .select_related("contact", "company")
        .order_by("contact__last_name", "contact__first_name", "contact__id")
    )


def memberships_for_contact(*, contact: Contact) -> QuerySet[Membership]:
    """Return a contact's links to companies, with the company loaded."""
    return Membership.objects.filter(contact=contact).select_related("company").order_by("company__name", "id")


def company_has_member(*, company: Company, contact: Contact) -> bool:
    """Return whether the contact already belongs to the company."""
    return Membership.objects.filter(company=company, contact=contact).exists()


def contacts_to_add_to_company(*, company: Company, search: str, limit: int = SUGGESTION_LIMIT) -> QuerySet[Contact]:
    """Return the first live contacts by email matching the search (name, email …) that are not members yet."""
    if not search:
        return Contact.objects.none()
    contacts = contacts_matching(contacts_live(), search).exclude(memberships__company=company)
    return contacts.order_by("email_normalized", "id").only("first_name", "last_name", "email")[:limit]


def companies_named(*, name: str) -> QuerySet[Company]:
    """Return the company called name in any letter case (at most one), as its unique constraint compares."""
    return Company.objects.alias(name_lower=Lower("name")).filter(name_lower=Lower(Value(name.strip())))


def membership_detail(*, company_pk: int, pk: int) -> Membership:
    """Return one of a company's links to a live contact, with the contact and company loaded."""
    return (
        Membership.objects.filter(company_id=company_pk, contact__deleted_at__isnull=True)
        .select_related("contact", "company")
        .get(pk=pk)
    )
