"""The contact form's rows that staff grow and shrink: phone numbers, and companies with their portal permission."""

import re
from collections.abc import Sequence
from typing import Any

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from companies.models import Company, MembershipAccess
from companies.selectors import companies_closest, companies_named, company_by_pk
from companies.services import CompanyLink
from crm_core.formrows import RowSet
from crm_core.forms import model_text_field, phone_cleaned, phone_field
from customers.models import PhoneNumber

MAX_PHONES = 20


class PhoneForm(forms.Form):
    """One row of the phone numbers: the number as typed, and an optional label."""

    number = phone_field("Phone number", inputmode="tel")
    label = model_text_field("label", model=PhoneNumber)

    def clean_number(self) -> str:
        return phone_cleaned(self.cleaned_data["number"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not cleaned.get("number") and cleaned.get("label") and "number" not in self.errors:
            self.add_error("number", "Enter the phone number, or clear its label")
        return cleaned


class BasePhoneFormSet(forms.BaseFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        # Numbered labels tell the rows apart, for sighted users and screen readers alike.
        form.fields["number"].label = f"Phone number {i + 1}"
        form.fields["label"].label = format_html(
            'Label<span class="visually-hidden"> for phone number {}</span>', i + 1
        )
        form.row_number = i + 1
        return form

    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            number = form.cleaned_data.get("number") if hasattr(form, "cleaned_data") else None
            if not number:
                continue
            if number in seen:
                form.add_error("number", "You have already added this number")
            seen.add(number)


PhoneFormSet = forms.formset_factory(
    PhoneForm,
    formset=BasePhoneFormSet,
    extra=0,
    max_num=MAX_PHONES,
    absolute_max=MAX_PHONES,
    validate_max=True,
)


PHONES_PREFIX = "phones"


MAX_COMPANIES = 20


def unknown_company_message(*, name: str, closest: Sequence[Company], can_create: bool) -> str:
    """Return what a company row says about a name no company has: the closest ones, and how to create it."""
    create = f"Create company “{name}”"
    names = ", ".join(company.name for company in closest)
    if closest and can_create:
        return f"No company called “{name}”. Choose one of: {names} or choose {create}"
    if closest:
        return f"No company called “{name}”. Choose one of: {names}"
    if can_create:
        return f"No company called “{name}”. Check the name, or choose {create}"
    return f"No company called “{name}”. Check the name; a company must be added before contacts can join it"


# What a company row's choice holds: one of the companies offered after an unknown name, or the name to create.
PICKED, CREATE = "company", "create"


PICKED_PK = re.compile(r"[0-9]{1,18}")


class CompanyLinkForm(forms.Form):
    """One company the contact belongs to, with its portal permission.

    The name is typed, or filled in by picking a suggestion. choice says that staff chose to create the typed
    name ("create:<name>", set by app.js or a radio button), or which of the companies offered after an
    unknown name they picked ("company:<pk>", a radio button). A name no company has, without the choice to
    create it, is an error that offers the closest companies; see resolve.
    """

    company = model_text_field("name", model=Company, label="Company")
    # A hidden input set by app.js, or (after an unknown name) radio buttons the page offers without it.
    choice = forms.Field(required=False, widget=forms.HiddenInput)
    portal_access = forms.ChoiceField(
        label="Customer Portal permission",
        choices=MembershipAccess.choices,
        initial=MembershipAccess.INHERIT,
        error_messages={"invalid_choice": "Choose one of the Customer Portal permissions in the list"},
    )

    can_create = False
    # Filled by resolve: the company the row names, whether it is to be created, and what an unknown name offers.
    found: Company | None = None
    creates = False
    offered_name = ""
    closest: Sequence[Company] = ()

    def clean_company(self) -> str:
        return self.cleaned_data["company"].strip()

    def resolve(self) -> None:
        """Find the company the row names; a new one only when chosen, else an error offering the closest.

        A company picked from the radio buttons wins over the text, which is still the unknown name typed
        before. An exact name in any letter case is that company.
        """
        name = self.cleaned_data["company"]
        kind, _, value = str(self.cleaned_data.get("choice") or "").partition(":")
        picked = company_by_pk(pk=int(value)) if kind == PICKED and PICKED_PK.fullmatch(value) else None
        if picked is not None:
            self.found = picked
            self.cleaned_data["company"] = picked.name
            # Should the page come back for another error, it shows the picked name, which now finds the
            # company by itself: a pick never stays behind in the page to overrule a name typed later.
            self.data = self.data.copy()
            self.data[self.add_prefix("company")] = picked.name
            self.data[self.add_prefix("choice")] = ""
            return
        self.found = companies_named(name=name).first()
        if self.found is not None:
            return
        if self.can_create and kind == CREATE and value.strip().casefold() == name.casefold():
            self.creates = True
            return
        self.offer_closest()

    def offer_closest(self) -> None:
        """Say no company has the row's name; the page then offers the closest companies (and Create)."""
        name = self.cleaned_data["company"]
        self.offered_name = name
        self.closest = list(companies_closest(name=name))
        self.add_error("company", unknown_company_message(name=name, closest=self.closest, can_create=self.can_create))

    @property
    def name_to_create(self) -> str:
        """Return the name this row will create when the form is saved, for the page to say so; "" for none."""
        if self.is_bound:
            return self.cleaned_data.get("company", "") if self.creates else ""
        # A row that came back from "+ Add company" or Remove without JavaScript: what it chose still holds.
        kind, _, value = str(self.initial.get("choice") or "").partition(":")
        name = str(self.initial.get("company") or "").strip()
        return name if name and kind == CREATE and value.strip().casefold() == name.casefold() else ""

    def link(self) -> CompanyLink:
        return CompanyLink(
            name=self.cleaned_data["company"],
            portal_access=MembershipAccess(self.cleaned_data["portal_access"]),
            create=self.creates,
        )


class BaseCompanyLinkFormSet(forms.BaseFormSet):
    def __init__(self, *args, can_create: bool = False, **kwargs) -> None:
        self.can_create = can_create
        super().__init__(*args, **kwargs)

    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        form.can_create = self.can_create
        form.fields["company"].label = f"Company {i + 1}"
        # As staff type, htmx fills the row's suggestion list; app.js makes the input a combobox over it.
        # Without JavaScript the name is typed, and the server answers an unknown one with the closest.
        form.fields["company"].widget.attrs.update(
            {
                "autocomplete": "off",
                "data-combobox": f"company-suggestions-{i}",
                "hx-get": reverse("companies:suggestions"),
                "hx-trigger": "input changed delay:250ms, suggest",
                "hx-target": f"#company-suggestions-{i}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
            }
        )
        form.fields["portal_access"].label = format_html(
            'Customer Portal permission<span class="visually-hidden"> for company {}</span>', i + 1
        )
        form.row_number = i + 1
        return form

    def clean(self) -> None:
        seen: set[Any] = set()
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or not form.cleaned_data.get("company"):
                continue
            form.resolve()
            if form.found is None and not form.creates:
                continue
            key = form.found.pk if form.found is not None else form.cleaned_data["company"].casefold()
            if key in seen:
                form.add_error("company", "You have already added this company")
            seen.add(key)

    def links(self) -> list[CompanyLink]:
        """Return the rows that name a company, as the service takes them."""
        return [form.link() for form in self.forms if form.cleaned_data.get("company")]


CompanyLinkFormSet = forms.formset_factory(
    CompanyLinkForm,
    formset=BaseCompanyLinkFormSet,
    extra=0,
    max_num=MAX_COMPANIES,
    absolute_max=MAX_COMPANIES,
    validate_max=True,
)


COMPANIES_PREFIX = "companies"


PHONE_ROWS = RowSet(PHONES_PREFIX, ("number", "label"), MAX_PHONES, "add_phone", "remove_phone", "number")


COMPANY_ROWS = RowSet(
    COMPANIES_PREFIX,
    ("company", "choice", "portal_access"),
    MAX_COMPANIES,
    "add_company",
    "remove_company",
    "company",
    {"portal_access": MembershipAccess.INHERIT},
)
