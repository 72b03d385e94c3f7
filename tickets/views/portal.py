"""The Customer Portal's pages, for contacts (never staff): sign-in by emailed link, their tickets, replies.

Which tickets a customer sees is tickets.selectors.tickets_visible_to, asked on every request; anything
outside it answers 404, the same as a ticket that does not exist.
"""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm_core.client import client_address
from crm_core.pagination import InvalidCursor, decode_cursor
from customers.models import Contact
from tickets import selectors
from tickets.forms import PortalReplyForm, PortalTicketForm, SignInForm
from tickets.models import Attachment, Ticket
from tickets.services.portal import (
    portal_companies,
    portal_contact,
    portal_reply,
    portal_ticket_open,
    signin_allowed,
    signin_link_peek,
    signin_link_send,
    signin_link_use,
)
from tickets.services.tickets import TicketRefused
from tickets.views.files import file_download

# The portal's own key in the session; a staff login never sets it, and a portal sign-in never logs in a user.
SESSION_KEY = "portal_contact"


def _signed_in(request: HttpRequest) -> Contact | None:
    held = request.session.get(SESSION_KEY)
    if not isinstance(held, dict):
        return None
    contact = portal_contact(contact_id=held.get("id"), email_normalized=held.get("email", ""))
    if contact is None:
        # Trashed, erased or given another email since: the session no longer stands for anyone.
        request.session.pop(SESSION_KEY, None)
    return contact


def portal_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page for a signed-in customer; others are sent to the sign-in page."""

    @login_not_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        contact = _signed_in(request)
        if contact is None:
            return redirect("portal:sign_in")
        return view(request, contact, *args, **kwargs)

    return wrapped


def _base_url(request: HttpRequest) -> str:
    # The host was checked against ALLOWED_HOSTS by Django, so the link goes where the customer asked from.
    return settings.PORTAL_URL or request.build_absolute_uri("/").rstrip("/")


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    if _signed_in(request) is not None:
        return redirect("portal:list")
    form = SignInForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        email = form.cleaned_data["email"]
        if not signin_allowed(email=email, client=client_address(request)):
            context = {"form": form, "limited": True}
            return render(request, "portal/sign_in.html", context, status=429)
        signin_link_send(email=email, base_url=_base_url(request))
        # The same page whether or not the address is known, so the form tells nobody who is a customer.
        return render(request, "portal/sign_in_sent.html", {"email": email})
    return render(request, "portal/sign_in.html", {"form": form}, status=400 if form.is_bound else 200)


@login_not_required
@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a Sign in button (mail scanners that open links must not use them up); POST signs in."""
    if request.method == "GET":
        valid = signin_link_peek(token=token) is not None
        return render(
            request, "portal/sign_in_link.html", {"valid": valid, "form": SignInForm()}, status=200 if valid else 410
        )
    contact = signin_link_use(token=token)
    if contact is None:
        return render(request, "portal/sign_in_link.html", {"valid": False, "form": SignInForm()}, status=410)
    request.session.cycle_key()
    request.session[SESSION_KEY] = {"id": contact.pk, "email": contact.email_normalized}
    return redirect("portal:list")


@login_not_required
@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()
    messages.info(request, "You have signed out of the Customer Portal.")
    return redirect("portal:sign_in")


@portal_page
@require_GET
def ticket_list(request: HttpRequest, contact: Contact) -> HttpResponse:
    token = request.GET.get("cursor", "")
    try:
        cursor = decode_cursor(token[:1000], model=Ticket, ordering=selectors.TICKET_ORDERING) if token else None
    except InvalidCursor:
        cursor = None
    page = selectors.portal_ticket_page(
        contact=contact, size=settings.LIST_PAGE_SIZE, cursor=cursor, last=request.GET.get("page") == "last"
    )
    return render(request, "portal/ticket_list.html", {"contact": contact, "page": page, "cursor": cursor})


def _visible(contact: Contact, pk: int) -> Ticket:
    try:
        return selectors.portal_ticket(contact=contact, pk=pk)
    except Ticket.DoesNotExist as error:
        raise Http404("No such ticket") from error


@portal_page
@require_http_methods(["GET", "POST"])
def ticket_detail(request: HttpRequest, contact: Contact, pk: int) -> HttpResponse:
    ticket = _visible(contact, pk)
    form = PortalReplyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        portal_reply(ticket=ticket, contact=contact, body=form.cleaned_data["body"], files=form.cleaned_data["file"])
        messages.success(request, "Your reply has been added. We will answer here and by email.")
        return redirect("portal:detail", pk=ticket.pk)
    context = {
        "contact": contact,
        "ticket": ticket,
        "conversation": selectors.portal_messages(ticket=ticket),
        "form": form,
    }
    return render(request, "portal/ticket_detail.html", context, status=400 if form.is_bound else 200)


@portal_page
@require_http_methods(["GET", "POST"])
def ticket_create(request: HttpRequest, contact: Contact) -> HttpResponse:
    companies = portal_companies(contact=contact)
    form = PortalTicketForm(request.POST or None, request.FILES or None, companies=companies)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = portal_ticket_open(
                contact=contact,
                subject=form.cleaned_data["subject"],
                body=form.cleaned_data["body"],
                company=form.chosen_company(),
                files=form.cleaned_data["file"],
            )
        except TicketRefused as error:
            form.add_error("company", str(error))
        else:
            messages.success(request, f"Ticket #{ticket.pk} has been sent. We will answer here and by email.")
            return redirect("portal:detail", pk=ticket.pk)
    status = 400 if form.is_bound else 200
    return render(request, "portal/ticket_form.html", {"contact": contact, "form": form}, status=status)


@portal_page
@require_GET
def attachment_download(request: HttpRequest, contact: Contact, pk: int) -> HttpResponse:
    try:
        attachment = selectors.portal_attachment(contact=contact, pk=pk)
    except Attachment.DoesNotExist as error:
        raise Http404("No such file") from error
    return file_download(attachment.stored_name, name=attachment.name)
