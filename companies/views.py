from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from companies import selectors, services
from companies.forms import CompanyForm
from companies.models import Company
from customers.services import Actor


@permission_required("companies.view_company", raise_exception=True)
def company_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.company_list(), settings.LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "companies/company_list.html", {"page_obj": page})


@permission_required("companies.view_company", raise_exception=True)
def company_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        company = selectors.company_detail(pk=pk)
    except Company.DoesNotExist as error:
        raise Http404("No such company") from error
    members = selectors.memberships_for_company(company=company)
    return render(request, "companies/company_detail.html", {"company": company, "memberships": members})


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
