"""Reads of companies and memberships."""

from django.db.models import Count, Q, QuerySet, Value
from django.db.models.functions import Lower

from companies.models import Company, Membership
from customers.models import Contact
from customers.search import contacts_matching
from customers.selectors import contacts_live

# Pickers fed by htmx (company names, contacts to add) offer at most this many suggestions.
SUGGESTION_LIMIT = 20


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


def company_names_matching(*, search: str, limit: int = SUGGESTION_LIMIT) -> QuerySet[Company]:
    """Return the first companies by name whose name contains the search, for a picker."""
    return Company.objects.filter(name__icontains=search).order_by(Lower("name"), "id").only("name")[:limit]


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
