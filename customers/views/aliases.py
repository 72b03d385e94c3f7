"""A contact's aliases (emails left by a merge): removing one, making one the primary email."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from crm_core.actors import Actor
from customers import selectors, services


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def alias_remove(request: HttpRequest, pk: int, alias_pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    alias = get_object_or_404(contact.aliases.all(), pk=alias_pk)
    services.alias_remove(contact=contact, alias=alias, actor=Actor.staff(request.user))
    messages.success(request, f"Alias {alias.email} removed. It no longer finds this contact.")
    return redirect(contact)


@permission_required("customers.change_contact", raise_exception=True)
@require_POST
def alias_make_primary(request: HttpRequest, pk: int, alias_pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    alias = get_object_or_404(contact.aliases.all(), pk=alias_pk)
    try:
        contact = services.alias_make_primary(contact=contact, alias=alias, actor=Actor.staff(request.user))
    except IntegrityError:
        messages.error(request, f"{alias.email} could not be made the email: another contact has it now.")
        return redirect(contact)
    messages.success(request, f"{contact.email} is now the email; the previous one is an alias.")
    return redirect(contact)
