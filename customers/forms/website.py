"""The public contact form on the website. It validates; customers.services.website writes."""

from typing import Any

from django import forms

from crm_core import forms as crm_forms
from crm_core.forms import email_field
from customers.models import Contact
from customers.services.website import name_split

NAME_PART_LIMIT = Contact._meta.get_field("first_name").max_length
MESSAGE_LIMIT = 5000
HONEYPOT = "website"


class WebsiteContactForm(forms.Form):
    """Name, email, message and an optional marketing consent, plus a honeypot field people never fill."""

    name = crm_forms.text_field(
        "Name",
        # The name is split into first and last name, each stored in a field of this size.
        limit=NAME_PART_LIMIT * 2,
        required_message="Enter your name",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = email_field(
        label="Email",
        required_message="Enter your email address",
        help_text="We will reply to this address.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    message = crm_forms.text_field(
        "Message", limit=MESSAGE_LIMIT, required_message="Enter your message", widget=forms.Textarea(attrs={"rows": 8})
    )
    consent = forms.BooleanField(
        label="Email me news and offers",
        required=False,
        help_text="Optional. You can unsubscribe at any time.",
    )
    # The honeypot: hidden from people (off-screen, out of the tab order, no autofill) but not from bots
    # that fill every field. Its label says what to do for anyone who reaches it anyway.
    website = forms.CharField(
        label="Leave this field empty",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def honeypot_filled(self) -> bool:
        """Return whether the hidden field was filled in, as only a bot would."""
        return bool(str(self.data.get(self.add_prefix(HONEYPOT), "")).strip())

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if any(len(part) > NAME_PART_LIMIT for part in name_split(name)):
            raise forms.ValidationError(
                f"Enter a shorter name: your last name, and the names before it, must each be "
                f"{NAME_PART_LIMIT} characters or fewer",
                code="max_length",
            )
        return name

    def submission(self) -> dict[str, Any]:
        """Return the cleaned values as contact_form_submit takes them."""
        return {key: self.cleaned_data[key] for key in ("name", "email", "message", "consent")}
