"""Reads of companies and memberships."""

from django.db.models import Count, Q, QuerySet

from companies.models import Company, Membership
from customers.models import Contact


def company_list() -> QuerySet[Company]:
    """Return companies by name with how many live contacts belong to each."""
    return Company.objects.annotate(
        member_count=Count("memberships", filter=Q(memberships__contact__deleted_at__isnull=True))
    ).order_by("name", "id")


def company_detail(*, pk: int) -> Company:
    """Return one company."""
    return Company.objects.get(pk=pk)


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
