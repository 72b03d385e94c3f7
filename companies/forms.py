"""Forms for companies. They validate; the services write."""

from django import forms
from django.urls import reverse

from companies.models import Company, CompanyAccess, MembershipAccess
from companies.selectors import company_has_member
from crm_core import forms as crm_forms
from crm_core.forms import email_field
from customers.models import Contact
from customers.selectors import contact_live_by_email

COMPANY_NAME_MAX_LENGTH = Company._meta.get_field("name").max_length


class CompanyForm(forms.Form):
    name = crm_forms.CharField(
        label="Name",
        max_length=COMPANY_NAME_MAX_LENGTH,
        error_messages={
            "required": "Enter the company's name",
            "max_length": crm_forms.too_long_message("Name", COMPANY_NAME_MAX_LENGTH),
        },
    )
    domain = crm_forms.CharField(
        label="Website or domain",
        max_length=253,
        required=False,
        help_text="For example example.com",
        error_messages={"max_length": crm_forms.too_long_message("Website or domain", 253)},
    )
    default_portal_access = forms.ChoiceField(
        label="Customer Portal permission",
        choices=CompanyAccess.choices,
        initial=CompanyAccess.PERSONAL,
        widget=forms.RadioSelect,
        help_text="Which tickets the company's customers can see in the Customer Portal, unless a "
        "customer's own link says otherwise.",
    )

    def __init__(self, *args, instance: Company | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "domain": instance.domain,
                "default_portal_access": instance.default_portal_access,
            }
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["domain"].widget.attrs["autocomplete"] = "url"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the company's name")
        others = Company.objects.filter(name__iexact=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("A company with this name already exists")
        return name


# Longer searches are cut to this; no company name or domain is longer.
SEARCH_MAX_LENGTH = 253


def search_term(value: str | None) -> str:
    """Return a typed search as it is matched: without NUL characters or surrounding spaces, and not too long."""
    return (value or "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]


PORTAL_ACCESS_ERRORS = {
    "required": "Choose a Customer Portal permission",
    "invalid_choice": "Choose one of the Customer Portal permissions in the list",
}


class MemberAddForm(forms.Form):
    """Link an existing live contact, found by email, to a company."""

    email = email_field(
        label="Email of the contact",
        required_message="Enter the email of the contact to add",
        help_text="The person must already be in your contacts.",
    )
    portal_access = forms.ChoiceField(
        label="Customer Portal permission",
        choices=MembershipAccess.choices,
        initial=MembershipAccess.INHERIT,
        error_messages=PORTAL_ACCESS_ERRORS,
    )

    def __init__(self, *args, company: Company, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.company = company
        self.contact: Contact | None = None
        # As staff type, htmx fills the datalist with matching contacts; the browser's own email
        # suggestions would be the staff member's own addresses, so they are switched off.
        self.fields["email"].widget.attrs.update(
            {
                "autocomplete": "off",
                "list": "member-options",
                "hx-get": reverse("companies:member_options", args=[company.pk]),
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#member-options",
                "hx-swap": "innerHTML",
            }
        )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        contact = contact_live_by_email(email=email)
        if contact is None:
            raise forms.ValidationError("No contact with this email. Add the contact first.", code="unknown")
        if company_has_member(company=self.company, contact=contact):
            raise forms.ValidationError(
                f"{contact.display_name} already belongs to {self.company.name}.", code="duplicate"
            )
        self.contact = contact
        return email


class MembershipAccessForm(forms.Form):
    """Change one member's own Customer Portal permission."""

    portal_access = forms.ChoiceField(choices=MembershipAccess.choices, error_messages=PORTAL_ACCESS_ERRORS)
