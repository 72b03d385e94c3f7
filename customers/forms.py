"""Forms for contacts. They validate; the services write."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from customers.models import Contact
from customers.selectors import contact_live_by_email


class ContactCreateForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address like name@example.com",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        autocomplete = {"first_name": "given-name", "last_name": "family-name", "email": "email"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        existing: Contact | None = contact_live_by_email(email=email)
        if existing is not None:
            raise forms.ValidationError(
                format_html(
                    'A contact with this email already exists: <a href="{}">{}</a>',
                    reverse("customers:detail", args=[existing.pk]),
                    existing.display_name,
                ),
                code="duplicate",
            )
        return email
