"""Companies' pages: the list, a company with its members and their Customer Portal permissions, add, edit, delete."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from companies import selectors, services
from companies.forms import (
    COMPANY_NAME_MAX_LENGTH,
    SEARCH_MAX_LENGTH,
    CompanyForm,
    MemberAddForm,
    MembershipAccessForm,
    search_term,
)
from companies.models import Company, Membership, MembershipAccess
from crm_core.actors import Actor
from crm_core.forms import search_read
from tickets.selectors import portal_views_for_company, tickets_for_company


@permission_required("companies.view_company", raise_exception=True)
@require_GET
def company_list(request: HttpRequest) -> HttpResponse:
    search = search_read(request.GET.get("q"), max_length=SEARCH_MAX_LENGTH)
    companies = selectors.company_list(search=search.term)
    page = Paginator(companies, settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    # A history restore asks for the whole page: htmx lost its snapshot and reloads the URL.
    partial = request.htmx and not request.htmx.history_restore_request
    template = "companies/company_list.html" + ("#results" if partial else "")
    response = render(request, template, {"page_obj": page, "search": search})
    patch_vary_headers(response, ("HX-Request",))
    return response


@permission_required("companies.view_company", raise_exception=True)
@require_GET
def company_suggestions(request: HttpRequest) -> HttpResponse:
    """The options of a company row's suggestion list, filled by htmx as staff type.

    The closest companies, and "Create company …" for a name no company has, shown only to those who may add one.
    """
    # A row of the contact form sends its own field (companies-N-company) rather than q.
    typed = request.GET.get("q") or next((v for k, v in request.GET.items() if k.endswith("-company")), "")
    name = search_term(typed)
    companies = list(selectors.companies_closest(name=name))
    exact = bool(companies) and companies[0].closeness == 0
    may_create = request.user.has_perm("companies.add_company") and len(name) <= COMPANY_NAME_MAX_LENGTH
    context = {"companies": companies, "create": name if name and may_create and not exact else ""}
    return render(request, "companies/_company_suggestions.html", context)


@permission_required("companies.view_company", raise_exception=True)
@require_GET
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company_or_404(pk)
    return _company_page(request, company, MemberAddForm(company=company))


@permission_required("companies.add_company", raise_exception=True)
@require_http_methods(["GET", "POST"])
def company_create(request: HttpRequest) -> HttpResponse:
    form = CompanyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            company = services.company_create(actor=Actor.staff(request.user), **form.cleaned_data)
        except IntegrityError:
            form.add_error("name", "A company with this name already exists")
        else:
            messages.success(request, f"{company.name} added.")
            return redirect(company)
    return render(request, "companies/company_form.html", {"form": form})


@permission_required("companies.change_company", raise_exception=True)
@require_http_methods(["GET", "POST"])
def company_update(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(Company, pk=pk)
    form = CompanyForm(request.POST or None, instance=company)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(company=company, actor=Actor.staff(request.user), **form.cleaned_data)
        except IntegrityError:
            form.add_error("name", "A company with this name already exists")
        else:
            messages.success(request, f"{company.name} saved.")
            return redirect(company)
    return render(request, "companies/company_form.html", {"form": form, "company": company})


@permission_required("companies.delete_company", raise_exception=True)
@require_http_methods(["GET", "POST"])
def company_delete(request: HttpRequest, pk: int) -> HttpResponse:
    company = get_object_or_404(selectors.company_list(), pk=pk)
    if request.method == "POST":
        services.company_delete(company=company, actor=Actor.staff(request.user))
        messages.success(request, f"{company.name} deleted.")
        return redirect("companies:list")
    return render(request, "companies/company_confirm_delete.html", {"company": company})


@permission_required("companies.change_company", raise_exception=True)
@require_POST
def member_add(request: HttpRequest, pk: int) -> HttpResponse:
    company = _company_or_404(pk)
    form = MemberAddForm(request.POST, company=company)
    if form.is_valid():
        contact, access = form.contact, MembershipAccess(form.cleaned_data["portal_access"])
        try:
            services.membership_add(
                contact=contact, company=company, portal_access=access, actor=Actor.staff(request.user)
            )
        except IntegrityError:
            # Someone else added the same contact between our check and our insert.
            form.add_error("email", f"{contact.display_name} already belongs to {company.name}.")
        else:
            messages.success(request, f"{contact.display_name} added to {company.name}.")
            return redirect(company)
    # Without a redirect the page keeps what was typed and shows the error next to the field.
    return _company_page(request, company, form)


@permission_required("companies.change_company", raise_exception=True)
@require_POST
def member_update(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership_or_404(pk, membership_pk)
    form = MembershipAccessForm(request.POST)
    if form.is_valid():
        access = MembershipAccess(form.cleaned_data["portal_access"])
        services.membership_set_access(membership=membership, portal_access=access, actor=Actor.staff(request.user))
        messages.success(request, f"Customer Portal permission for {membership.contact.display_name} saved.")
    else:
        messages.error(request, " ".join(form.errors["portal_access"]))
    return redirect(membership.company)


@permission_required("companies.change_company", raise_exception=True)
@require_POST
def member_remove(request: HttpRequest, pk: int, membership_pk: int) -> HttpResponse:
    membership = _membership_or_404(pk, membership_pk)
    services.membership_remove(membership=membership, actor=Actor.staff(request.user))
    messages.success(request, f"{membership.contact.display_name} removed from {membership.company.name}.")
    return redirect(membership.company)


@permission_required(["companies.change_company", "customers.view_contact"], raise_exception=True)
@require_GET
def member_options(request: HttpRequest, pk: int) -> HttpResponse:
    """The <option>s of the Add member <datalist>: live contacts that are not members yet."""
    company = _company_or_404(pk)
    search = search_term(request.GET.get("email"))
    contacts = selectors.contacts_to_add_to_company(company=company, search=search)
    return render(request, "companies/_member_options.html", {"contacts": contacts})


def _company_or_404(pk: int) -> Company:
    try:
        return selectors.company_detail(pk=pk)
    except Company.DoesNotExist as error:
        raise Http404("No such company") from error


def _membership_or_404(company_pk: int, pk: int) -> Membership:
    try:
        return selectors.membership_detail(company_pk=company_pk, pk=pk)
    except Membership.DoesNotExist as error:
        raise Http404("No such member") from error


def _company_page(request: HttpRequest, company: Company, member_form: MemberAddForm) -> HttpResponse:
    memberships = list(selectors.memberships_for_company(company=company))
    # What each member sees in the Customer Portal, from the helpdesk's own rule.
    views = portal_views_for_company(company_id=company.pk, contact_ids=[m.contact_id for m in memberships])
    for membership in memberships:
        membership.portal_view = views[membership.contact_id]
    context = {
        "company": company,
        "memberships": memberships,
        "member_form": member_form,
        "access_choices": MembershipAccess.choices,
        "tickets": tickets_for_company(company_id=company.pk),
    }
    return render(request, "companies/company_detail.html", context)
