"""The erasure confirmation: erasure cannot be undone, so staff type the contact's email address to confirm it."""

from django import forms

from customers.models import Contact


class ContactEraseForm(forms.Form):
    """Erasure cannot be undone, so it is confirmed by typing the contact's email address."""

    email = forms.CharField(label="Email address", max_length=254, strip=True)

    def __init__(self, *args, contact: Contact, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        self.fields["email"].help_text = f"Type {contact.email} to confirm"
        self.fields["email"].widget.attrs.update(autocomplete="off", spellcheck="false")
        self.fields["email"].error_messages.update(
            required=f"Type the email address {contact.email} to confirm",
            max_length=f"Type the email address {contact.email} to confirm",
            null_characters_not_allowed=f"Type the email address {contact.email} to confirm",
        )

    def clean_email(self) -> str:
        typed = self.cleaned_data["email"]
        if typed.lower() != self.contact.email.strip().lower():
            raise forms.ValidationError(
                f"The email address does not match. Type {self.contact.email} to confirm", code="mismatch"
            )
        return typed
