"""The Send message page: compose an email to a contact, send it, and say what became of it."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from crm_core.actors import Actor
from customers import selectors
from customers.forms.messaging import MessageForm
from customers.services import messaging


# Sending writes to the contact's activity log and speaks for the business, so it takes the right to change
# contacts (Staff and Manager), not only to view them.
@permission_required("customers.change_contact", raise_exception=True)
@require_http_methods(["GET", "POST"])
@transaction.non_atomic_requests
def message_compose(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = MessageForm(request.POST if request.method == "POST" else None, contact=contact)
    if form.is_valid():
        # Outside any transaction (even with ATOMIC_REQUESTS), the service's own commit sends the mail, so the
        # outcome is known by the time it returns.
        activity = messaging.message_send(
            contact=contact,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            actor=Actor.staff(request.user),
        )
        status = activity.data["status"]
        if status == messaging.MessageStatus.FAILED:
            reason = activity.data["reason"]
            form.add_error(None, f"The message could not be sent: {reason}; nothing was sent. Your text is kept below.")
        else:
            # Queued only when something wrapped this request in a transaction, so the mail is still to go.
            sent = status == messaging.MessageStatus.SENT
            to = contact.email
            messages.success(
                request, f"Message sent to {to}." if sent else f"Message to {to} will be sent once it is saved."
            )
            return redirect(contact)
    context = {
        "contact": contact,
        "form": form,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "reply_to": messaging.sender_address(request.user),
    }
    return render(request, "customers/message_form.html", context)
