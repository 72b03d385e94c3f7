"""The Send message page: compose an email to a contact and put it in the outbox; the timeline says how it went."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
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
def message_compose(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_object_or_404(selectors.contacts_live(), pk=pk)
    form = MessageForm(request.POST if request.method == "POST" else None, contact=contact)
    if form.is_valid():
        activity = messaging.message_send(
            contact=contact,
            subject=form.cleaned_data["subject"],
            body=form.cleaned_data["body"],
            actor=Actor.staff(request.user),
            key=form.cleaned_data["send_key"],
        )
        if activity is not None and activity.data["status"] == messaging.MessageStatus.SENT:
            # The same form sent again after the worker had already sent it.
            messages.info(request, f"This message was already sent to {contact.email}.")
        else:
            messages.success(
                request,
                f"Message to {contact.email} is on its way. The activity log says when it has been sent.",
            )
        return redirect(contact)
    context = {
        "contact": contact,
        "form": form,
        "from_email": settings.DEFAULT_FROM_EMAIL,
        "reply_to": messaging.sender_address(request.user),
    }
    return render(request, "customers/message_form.html", context)
