"""Every write to companies and memberships; each permission change is recorded on the contact."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from companies.models import Company, CompanyAccess, Membership, MembershipAccess
from companies.selectors import companies_named, memberships_for_contact
from crm_core.actors import Actor
from customers.models import Contact
from customers.services import (
    activity_record,
    contact_create,
    contact_update,
    contacts_search_refresh,
    contacts_version_move,
)


@transaction.atomic
def company_create(
    *, name: str, actor: Actor, domain: str = "", default_portal_access: CompanyAccess = CompanyAccess.PERSONAL
) -> Company:
    """Create a company; the database refuses a name that differs from another only in case."""
    return Company.objects.create(name=name.strip(), domain=domain.strip(), default_portal_access=default_portal_access)


@transaction.atomic
def company_update(*, company: Company, actor: Actor, name: str, domain: str, default_portal_access: str) -> Company:
    """Change a company. A new default changes every inheriting member's access at once, on their timeline."""
    old_name, old_default = (
        Company.objects.select_for_update().values_list("name", "default_portal_access").get(pk=company.pk)
    )
    company.name, company.domain, company.default_portal_access = name.strip(), domain.strip(), default_portal_access
    company.save()
    if old_name != company.name:
        contacts_search_refresh(contact_ids=company.memberships.values_list("contact_id", flat=True))
    if old_default != default_portal_access:
        inheriting = Contact.objects.live().filter(
            memberships__company=company, memberships__portal_access=MembershipAccess.INHERIT
        )
        activity_record(
            contact_ids=list(inheriting.values_list("pk", flat=True)),
            event="portal_access_changed",
            actor=actor,
            body=(
                f"{company.name} changed its Customer Portal permission to {CompanyAccess(default_portal_access).label}"
            ),
            data={"company": company.pk, "from": old_default, "to": default_portal_access, "inherited": True},
        )
    return company


@transaction.atomic
def company_delete(*, company: Company, actor: Actor) -> None:
    """Delete a company and its links; each former member's timeline says so."""
    member_ids = list(company.memberships.values_list("contact_id", flat=True))
    activity_record(
        contact_ids=member_ids,
        event="company_removed",
        actor=actor,
        body=f"Company {company.name} deleted",
    )
    company.delete()
    contacts_version_move(contact_ids=member_ids)
    contacts_search_refresh(contact_ids=member_ids)


@transaction.atomic
def membership_add(
    *, contact: Contact, company: Company, actor: Actor, portal_access: MembershipAccess = MembershipAccess.INHERIT
) -> Membership:
    """Link a contact to a company with a Customer Portal permission."""
    membership = Membership.objects.create(contact=contact, company=company, portal_access=portal_access)
    contacts_version_move(contact_ids=[contact.pk])
    contacts_search_refresh(contact_ids=[contact.pk])
    activity_record(
        contact=contact,
        event="company_added",
        actor=actor,
        body=f"Added to {company.name}: {membership.get_portal_access_display()}",
        data={"company": company.pk, "portal_access": portal_access},
    )
    return membership


@transaction.atomic
def membership_set_access(*, membership: Membership, portal_access: MembershipAccess, actor: Actor) -> Membership:
    """Change one link's Customer Portal permission and record the change on the contact."""
    old = membership.portal_access
    if old == portal_access:
        return membership
    membership.portal_access = portal_access
    membership.save(update_fields=["portal_access", "updated_at"])
    contacts_version_move(contact_ids=[membership.contact_id])
    activity_record(
        contact=membership.contact,
        event="portal_access_changed",
        actor=actor,
        body=f"{membership.company.name}: {membership.get_portal_access_display()}",
        data={"company": membership.company_id, "from": old, "to": portal_access},
    )
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership, actor: Actor) -> None:
    """Unlink a contact from a company."""
    activity_record(
        contact=membership.contact,
        event="company_removed",
        actor=actor,
        body=f"Removed from {membership.company.name}",
        data={"company": membership.company_id},
    )
    membership.delete()
    contacts_version_move(contact_ids=[membership.contact_id])
    contacts_search_refresh(contact_ids=[membership.contact_id])


@dataclass(frozen=True)
class CompanyLink:
    """One company a contact should belong to, by name, with its portal permission.

    create says staff chose to create the company when no company has the name; without it an unknown name
    is refused, so a typing slip never makes a company.
    """

    name: str
    portal_access: MembershipAccess = MembershipAccess.INHERIT
    create: bool = False


class CompanyNotFound(Exception):
    """A link names a company that does not exist, and does not say to create it."""

    def __init__(self, name: str) -> None:
        super().__init__(f"No company called {name!r}")
        self.name = name


@transaction.atomic
def company_get_or_create_by_name(*, name: str, actor: Actor) -> Company:
    """Return the company called name in any letter case, creating it with the default permission if new."""
    # get_or_create retries the read when a concurrent request inserted the same name first.
    company, _ = companies_named(name=name).get_or_create(defaults={"name": name.strip()})
    return company


@transaction.atomic
def company_for_link(*, link: CompanyLink, actor: Actor) -> Company:
    """Return the company a link names in any letter case; create it only when the link says so."""
    company = companies_named(name=link.name).first()
    if company is not None:
        return company
    if not link.create:
        raise CompanyNotFound(link.name)
    return company_get_or_create_by_name(name=link.name, actor=actor)


@transaction.atomic
def contact_memberships_set(*, contact: Contact, links: Sequence[CompanyLink], actor: Actor) -> None:
    """Make the contact belong to exactly these companies with these permissions, creating those chosen to be.

    Each link added, changed or removed goes through its own service, so every change is on the timeline.
    """
    wanted: dict[int, tuple[Company, MembershipAccess]] = {}
    for link in links:
        company = company_for_link(link=link, actor=actor)
        wanted[company.pk] = (company, link.portal_access)
    current = {membership.company_id: membership for membership in memberships_for_contact(contact=contact)}
    for company_id, membership in current.items():
        membership.contact = contact
        if company_id not in wanted:
            membership_remove(membership=membership, actor=actor)
    for company_id, (company, access) in wanted.items():
        if company_id in current:
            membership_set_access(membership=current[company_id], portal_access=access, actor=actor)
        else:
            membership_add(contact=contact, company=company, portal_access=access, actor=actor)


@transaction.atomic
def contact_create_with_companies(*, links: Sequence[CompanyLink], actor: Actor, **details: Any) -> Contact:
    """Add a contact and link it to its companies, all or nothing: the contact form's save.

    `details` are customers.services.contact_create's. Raises CompanyNotFound for a company gone since the form
    found it, and IntegrityError for an email a concurrent request took; either way nothing is saved.
    """
    contact = contact_create(actor=actor, **details)
    contact_memberships_set(contact=contact, links=links, actor=actor)
    return contact


@transaction.atomic
def contact_update_with_companies(
    *, contact: Contact, links: Sequence[CompanyLink], actor: Actor, **changes: Any
) -> Contact:
    """Save an edited contact and its company links, all or nothing: the contact form's save.

    `changes` are customers.services.contact_update's; it raises ContactChanged for a stale form, and the errors
    of contact_create_with_companies.
    """
    contact_update(contact=contact, actor=actor, **changes)
    contact_memberships_set(contact=contact, links=links, actor=actor)
    return contact


@transaction.atomic
def memberships_import(
    *, added: Sequence[tuple[int, Company, str]], access: Sequence[tuple[int, str]], refresh: Sequence[int] = ()
) -> None:
    """An import's company links, a batch at once: new links (contact id, company, access) and changed permissions.

    The import's one timeline entry per contact names these changes, so none is recorded here. The contacts
    in `refresh` get their search document recomputed (a new contact's already names its companies).
    """
    Membership.objects.bulk_create(
        (
            Membership(contact_id=contact_id, company=company, portal_access=value)
            for contact_id, company, value in added
        ),
        ignore_conflicts=True,
    )
    by_access: dict[str, list[int]] = {}
    for membership_id, value in access:
        by_access.setdefault(value, []).append(membership_id)
    for value, ids in by_access.items():
        Membership.objects.filter(pk__in=ids).update(portal_access=value)
    contacts_search_refresh(contact_ids=refresh)
