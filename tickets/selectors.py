"""Reads of tickets, and the one rule of which tickets a contact may see and answer in the Customer Portal."""

from dataclasses import dataclass

from django.db.models import Count, Prefetch, Q, QuerySet

from companies.models import Company, CompanyAccess, Membership, portal_access_condition
from crm_core.pagination import Cursor, KeysetPage, Ordering, keyset_page
from customers.models import Contact
from customers.search import contacts_matching
from tickets.models import Attachment, Message, Ticket, TicketStatus, UnprocessedMail

TICKET_ORDERING = Ordering(fields=("last_message_at", "id"), descending=True)


def tickets_visible_to(contact: Contact) -> QuerySet[Ticket]:
    """Return the tickets `contact` may see and reply to in the Customer Portal.

    Their own tickets, and every ticket of each company whose effective Customer Portal permission for them
    is "all the company's tickets" (companies.models.effective_portal_access). Every portal page, reply and
    download, and the staff pages' "what they see", ask this; read per request, so a changed permission or a
    removed link holds from the next request on.
    """
    company_wide = Membership.objects.filter(portal_access_condition(CompanyAccess.COMPANY), contact=contact)
    # The companies are read first and named in the query: with a subquery in the OR, PostgreSQL walked the
    # newest-first index over every ticket (3.5 s at 2M tickets); named, each side uses its own index.
    company_ids = list(company_wide.values_list("company_id", flat=True))
    if not company_ids:
        return Ticket.objects.filter(requester=contact)
    return Ticket.objects.filter(Q(requester=contact) | Q(company_id__in=company_ids))


def portal_ticket(*, contact: Contact, pk: int) -> Ticket:
    """Return one ticket the contact may see, with its requester and company; Ticket.DoesNotExist otherwise."""
    return tickets_visible_to(contact).select_related("requester", "company").get(pk=pk)


def portal_messages(*, ticket: Ticket) -> list[Message]:
    """Return what the customer sees of a ticket's conversation: no internal notes, no recorded changes."""
    return list(
        ticket.messages.filter(internal=False)
        .select_related("author_contact")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    )


def portal_attachment(*, contact: Contact, pk: int) -> Attachment:
    """Return an attachment of a message the contact may see; Attachment.DoesNotExist otherwise."""
    return Attachment.objects.select_related("message").get(
        pk=pk, message__internal=False, message__ticket__in=tickets_visible_to(contact)
    )


def portal_ticket_page(*, contact: Contact, size: int, cursor: Cursor | None = None, last: bool = False) -> KeysetPage:
    """Return one page of the contact's portal list, newest activity first, with requester and company."""
    tickets = tickets_visible_to(contact).select_related("requester", "company")
    return keyset_page(tickets, ordering=TICKET_ORDERING, size=size, cursor=cursor, last=last)


@dataclass(frozen=True)
class PortalView:
    """What a member of a company sees of its tickets in the portal, as the company page says it."""

    company_wide: bool
    tickets: int


def portal_views_for_company(*, company_id: int, contact_ids: list[int]) -> dict[int, PortalView]:
    """Return, for each member, how many of the company's tickets tickets_visible_to gives them.

    Three queries whatever the number of members, with the same condition as tickets_visible_to (the
    effective access), so the company page and the portal cannot disagree; the tests compare the two.
    """
    wide = set(
        Membership.objects.filter(
            portal_access_condition(CompanyAccess.COMPANY), company_id=company_id, contact_id__in=contact_ids
        ).values_list("contact_id", flat=True)
    )
    company_tickets = Ticket.objects.filter(company_id=company_id)
    total = company_tickets.count()
    own = dict(
        company_tickets.filter(requester_id__in=contact_ids)
        .order_by()
        .values("requester_id")
        .annotate(n=Count("id"))
        .values_list("requester_id", "n")
    )
    return {
        contact_id: PortalView(
            company_wide=contact_id in wide, tickets=total if contact_id in wide else own.get(contact_id, 0)
        )
        for contact_id in contact_ids
    }


# Up to this many matching contacts or companies are named in the ticket query, so PostgreSQL reads their
# tickets by index; more (a common term) stay a subquery, and the newest-first index fills the page early.
NAMED_MATCHES = 500
SEARCH_WORDS = 5


def _named_or_subquery(queryset: QuerySet) -> list[int] | QuerySet:
    ids = list(queryset.values_list("pk", flat=True)[: NAMED_MATCHES + 1])
    return ids if len(ids) <= NAMED_MATCHES else queryset.values("pk")


def staff_tickets(*, status: str | None = None, search: str = "") -> QuerySet[Ticket]:
    """Return tickets for the staff list: of one status (or all), each word of the search found in the subject,
    the requester (through the contacts' own search: name, email, phone, company) or the ticket's company.

    `#123` finds that ticket.
    """
    tickets = Ticket.objects.select_related("requester", "company")
    if status in TicketStatus.values:
        tickets = tickets.filter(status=status)
    search = search.strip()
    if search.startswith("#") and search[1:].isdigit() and len(search) < 20:
        return tickets.filter(pk=int(search[1:]))
    for word in search.split()[:SEARCH_WORDS]:
        requesters = contacts_matching(Contact.objects.live(), word)
        companies = Company.objects.filter(name__icontains=word)
        tickets = tickets.filter(
            Q(subject__icontains=word)
            | Q(requester_id__in=_named_or_subquery(requesters))
            | Q(company_id__in=_named_or_subquery(companies))
        )
    return tickets


def staff_ticket_page(
    tickets: QuerySet[Ticket], *, size: int, cursor: Cursor | None = None, last: bool = False
) -> KeysetPage:
    return keyset_page(tickets, ordering=TICKET_ORDERING, size=size, cursor=cursor, last=last)


def staff_ticket(*, pk: int) -> Ticket:
    return Ticket.objects.select_related("requester", "company").get(pk=pk)


def staff_messages(*, ticket: Ticket) -> list[Message]:
    return list(ticket.messages.select_related("author_contact", "author_user", "mail").prefetch_related("attachments"))


def tickets_for_contact(*, contact: Contact, limit: int = 10) -> list[Ticket]:
    """Return a contact's latest tickets as requester, for the contact page's Tickets box."""
    return list(contact.tickets.select_related("company").order_by("-last_message_at", "-id")[:limit])


def tickets_for_company(*, company_id: int, limit: int = 10) -> list[Ticket]:
    return list(
        Ticket.objects.filter(company_id=company_id)
        .select_related("requester")
        .order_by("-last_message_at", "-id")[:limit]
    )


def unprocessed_mail() -> QuerySet[UnprocessedMail]:
    return UnprocessedMail.objects.all()
