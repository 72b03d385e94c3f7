"""Staff's helpdesk pages: the Tickets list, one ticket with its conversation, New ticket, Unprocessed mail."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm_core.actors import Actor
from crm_core.bounds import id_parsed
from crm_core.forms import search_read
from crm_core.pagination import InvalidCursor, count_rows, decode_cursor
from customers.selectors import contacts_live
from tickets import selectors
from tickets.forms import CompanyForm, NewTicketForm, ReplyForm, StatusForm
from tickets.models import Attachment, Ticket, TicketStatus, UnprocessedMail
from tickets.services.tickets import (
    TicketRefused,
    ticket_company_choices,
    ticket_company_set,
    ticket_note_add,
    ticket_open_by_staff,
    ticket_reply,
    ticket_status_set,
)
from tickets.views.files import file_download

SEARCH_LIMIT = 200


@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    status = status if status in TicketStatus.values else ""
    search = search_read(request.GET.get("q"), max_length=SEARCH_LIMIT)
    tickets = selectors.staff_tickets(status=status or None, search=search.term)
    try:
        token = request.GET.get("cursor", "")
        cursor = decode_cursor(token[:1000], model=Ticket, ordering=selectors.TICKET_ORDERING) if token else None
    except InvalidCursor:
        cursor = None
    page = selectors.staff_ticket_page(
        tickets, size=settings.LIST_PAGE_SIZE, cursor=cursor, last=request.GET.get("page") == "last"
    )
    context = {
        "page": page,
        "status": status,
        "statuses": TicketStatus.choices,
        "search": search,
        "count": count_rows(tickets),
        "cursor": cursor,
    }
    return render(request, "tickets/ticket_list.html", context)


def _detail(request: HttpRequest, ticket: Ticket, *, reply_form: ReplyForm | None = None, status: int = 200):
    context = {
        "ticket": ticket,
        "conversation": selectors.staff_messages(ticket=ticket),
        "reply_form": reply_form or ReplyForm(initial={"status": TicketStatus.PENDING}),
        "status_form": StatusForm(initial={"status": ticket.status}),
        "company_form": CompanyForm(
            initial={"company": ticket.company_id}, companies=ticket_company_choices(ticket=ticket)
        ),
        "helpdesk_email": settings.HELPDESK_EMAIL,
    }
    return render(request, "tickets/ticket_detail.html", context, status=status)


def _ticket_or_404(pk: int) -> Ticket:
    try:
        return selectors.staff_ticket(pk=pk)
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket") from error


@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _ticket_or_404(pk))


@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Reply (mailed to the requester) or Add internal note, by the button pressed."""
    ticket = _ticket_or_404(pk)
    note = request.POST.get("action") == "note"
    form = ReplyForm(request.POST, request.FILES, note=note)
    if not form.is_valid():
        return _detail(request, ticket, reply_form=form, status=400)
    actor = Actor.staff(request.user)
    if note:
        ticket_note_add(ticket=ticket, body=form.cleaned_data["body"], actor=actor, files=form.cleaned_data["file"])
        messages.success(request, "Internal note added. The customer does not see it.")
        return redirect(ticket)
    try:
        ticket_reply(
            ticket=ticket,
            body=form.cleaned_data["body"],
            actor=actor,
            key=f"ticket-reply:{form.cleaned_data['send_key']}",
            status=form.cleaned_data["status"] or TicketStatus.PENDING,
            files=form.cleaned_data["file"],
        )
    except TicketRefused as error:
        form.add_error(None, str(error))
        return _detail(request, ticket, reply_form=form, status=400)
    messages.success(request, f"Reply to {ticket.requester.email} is on its way.")
    return redirect(ticket)


@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_status(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose one of the statuses offered.")
        return redirect(ticket)
    if ticket_status_set(ticket=ticket, status=form.cleaned_data["status"], actor=Actor.staff(request.user)):
        messages.success(request, f"Status set to {TicketStatus(form.cleaned_data['status']).label}.")
    return redirect(ticket)


@permission_required("tickets.change_ticket", raise_exception=True)
@require_POST
def ticket_company(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _ticket_or_404(pk)
    form = CompanyForm(request.POST, companies=ticket_company_choices(ticket=ticket))
    if not form.is_valid():
        messages.error(request, "Choose one of the requester's companies, or No company.")
        return redirect(ticket)
    company = form.cleaned_data["company"]
    try:
        changed = ticket_company_set(ticket=ticket, company=company, actor=Actor.staff(request.user))
    except TicketRefused as error:
        messages.error(request, str(error))
        return redirect(ticket)
    if changed:
        messages.success(request, f"Ticket moved to {company.name if company else 'no company'}.")
    return redirect(ticket)


@permission_required("tickets.add_ticket", raise_exception=True)
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest) -> HttpResponse:
    """New ticket: write to any address; an unknown one is added as a contact."""
    contact_pk = id_parsed(request.GET.get("contact", ""))
    contact = contacts_live().filter(pk=contact_pk).first() if contact_pk is not None else None
    initial = {"email": contact.email, "name": contact.full_name} if contact else {}
    form = NewTicketForm(request.POST if request.method == "POST" else None, initial=initial)
    if form.is_valid():
        data = form.cleaned_data
        ticket = ticket_open_by_staff(
            email=data["email"],
            name=data["name"],
            subject=data["subject"],
            body=data["body"],
            actor=Actor.staff(request.user),
            key=f"ticket-new:{data['send_key']}",
        )
        messages.success(request, f"Ticket #{ticket.pk} opened; the message to {data['email']} is on its way.")
        return redirect(ticket)
    status = 400 if form.is_bound else 200
    return render(request, "tickets/ticket_form.html", {"form": form, "contact": contact}, status=status)


@permission_required("tickets.view_ticket", raise_exception=True)
@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponse:
    attachment = get_object_or_404(Attachment, pk=pk)
    return file_download(attachment.stored_name, name=attachment.name)


@permission_required("tickets.view_unprocessedmail", raise_exception=True)
@require_GET
def unprocessed_list(request: HttpRequest) -> HttpResponse:
    mail = selectors.unprocessed_mail()[:200]
    return render(request, "tickets/unprocessed_list.html", {"mail": mail})


@permission_required("tickets.view_unprocessedmail", raise_exception=True)
@require_GET
def unprocessed_download(request: HttpRequest, pk: int) -> HttpResponse:
    kept = get_object_or_404(UnprocessedMail, pk=pk)
    return file_download(kept.stored_name, name=f"unprocessed-mail-{kept.pk}.eml")
