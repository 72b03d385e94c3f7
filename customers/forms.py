"""Forms for contacts. They validate; the services write."""

import contextlib
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from companies.models import Company, MembershipAccess
from companies.selectors import companies_closest, companies_named, company_by_pk
from companies.services import CompanyLink
from crm_core import forms as crm_forms
from crm_core.formrows import RowSet, RowSetsForm, with_management_data
from crm_core.forms import country_code_cleaned, email_field, model_text_field, phone_cleaned, phone_field
from crm_core.phones import phone_display
from customers.images import ContactImageField, ProcessedImage
from customers.models import ActivityGroup, Contact, Label, LabelColour, PhoneNumber
from customers.pending_images import PendingImageInvalid, pending_image_load
from customers.selectors import (
    contact_live_by_email,
    contact_trashed_by_email,
    label_by_name,
    labels_all,
    labels_not_on_contact,
)
from customers.services import PhoneInput

STALE_MESSAGE = "This contact was changed since you opened it. Check the details below and save again."
KEPT_IMAGE_GONE_MESSAGE = "The image chosen earlier is no longer kept (it is kept for an hour); choose it again"
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


class ContactForm(RowSetsForm):
    """Add or edit a contact: names, email, image, phone numbers, address, labels and companies.

    Phones and companies are formsets (self.phones, self.companies). Without JavaScript, "Add Another
    Number", "Add company" and the Remove buttons submit the form; the page comes back with the rows
    changed and everything typed kept (see ContactForm.with_row_action). With htmx only the rows swap.
    """

    ROW_SETS = (PHONE_ROWS, COMPANY_ROWS)
    ADD_PHONE, REMOVE_PHONE = PHONE_ROWS.add, PHONE_ROWS.remove
    ADD_COMPANY, REMOVE_COMPANY = COMPANY_ROWS.add, COMPANY_ROWS.remove

    first_name = model_text_field("first_name", model=Contact)
    last_name = model_text_field("last_name", model=Contact)
    email = email_field(label="Email", required_message="Enter an email address")
    image = ContactImageField(label="Upload new image")
    remove_image = forms.BooleanField(label="Remove image", required=False)
    # A valid image chosen when the form last came back, kept aside (customers.pending_images): its signed token.
    pending_image = forms.Field(required=False, widget=forms.HiddenInput)
    remove_pending_image = forms.BooleanField(
        label=mark_safe('Remove<span class="visually-hidden"> the chosen image</span>'), required=False
    )
    address_line1 = model_text_field("address_line1", model=Contact)
    address_line2 = model_text_field("address_line2", model=Contact)
    city = model_text_field("city", model=Contact)
    region = model_text_field("region", model=Contact)
    postal_code = model_text_field("postal_code", model=Contact)
    country = model_text_field("country", model=Contact, help_text="Two-letter code, for example GB")
    labels = forms.TypedMultipleChoiceField(
        label="Labels",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "One of the labels chosen no longer exists; choose again"},
    )
    # The contact's updated_at as it was when the form was opened; a save checks it is still the same.
    version = forms.Field(required=False, widget=forms.HiddenInput)

    AUTOCOMPLETE = {
        "first_name": "given-name",
        "last_name": "family-name",
        "email": "email",
        "address_line1": "address-line1",
        "address_line2": "address-line2",
        "city": "address-level2",
        "region": "address-level1",
        "postal_code": "postal-code",
        "country": "country",
    }
    CONTACT_FIELDS = ("first_name", "last_name", "email", *Contact.ADDRESS_FIELDS)

    def __init__(
        self,
        data: QueryDict | None = None,
        files: MultiValueDict | None = None,
        *,
        instance: Contact | None = None,
        initial: dict[str, Any] | None = None,
        rows: dict[str, list[dict[str, str]]] | None = None,
        memberships: Iterable[Any] = (),
        can_create_company: bool = False,
        label_options: list[Label] | None = None,
        image_owner: int | None = None,
    ) -> None:
        self.instance = instance
        # Whose kept image a token may name: the person filling in the form.
        self.image_owner = image_owner
        # A new upload this request brought, re-encoded; the view keeps it aside if the page comes back.
        self.fresh_image: ProcessedImage | None = None
        # One read of the labels serves both the checkboxes and the check of what was ticked.
        self.label_options = {
            label.pk: label for label in (label_options if label_options is not None else labels_all())
        }
        if initial is None and instance is not None:
            initial = {name: getattr(instance, name) for name in self.CONTACT_FIELDS}
            initial["version"] = instance.updated_at.isoformat()
            initial["labels"] = [label.pk for label in instance.labels.all()]
        super().__init__(data, files, initial=initial)
        self.fields["labels"].choices = [(pk, label.name) for pk, label in self.label_options.items()]
        for name, value in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = value
        self.fields["country"].widget.attrs.update({"size": 4, "class": "input--short"})
        self.fields["postal_code"].widget.attrs["class"] = "input--medium"
        if instance is None and data is None and initial is None:
            # A new, empty add form: people start typing the name at once. A form that comes back keeps
            # focus for its error summary or the row just added.
            self.fields["first_name"].widget.attrs["autofocus"] = True
        if instance is None:
            del self.fields["version"]
        if instance is None or not instance.image:
            del self.fields["remove_image"]
        if data is not None:
            self.phones = PhoneFormSet(with_management_data(data, PHONES_PREFIX), prefix=PHONES_PREFIX)
            self.companies = CompanyLinkFormSet(
                with_management_data(data, COMPANIES_PREFIX), prefix=COMPANIES_PREFIX, can_create=can_create_company
            )
            return
        rows = rows or {}
        phone_rows, company_rows = rows.get(PHONES_PREFIX), rows.get(COMPANIES_PREFIX)
        if phone_rows is None and instance is not None:
            phone_rows = [{"number": phone_display(p.number), "label": p.label} for p in instance.phone_list]
        if company_rows is None:
            company_rows = [{"company": m.company.name, "portal_access": m.portal_access} for m in memberships]
        self.phones = PhoneFormSet(initial=phone_rows or [{}], prefix=PHONES_PREFIX)
        self.companies = CompanyLinkFormSet(initial=company_rows, prefix=COMPANIES_PREFIX)

    @classmethod
    def typed_initial(cls, data: QueryDict) -> dict[str, Any]:
        initial = {
            column: data.get(column, "")
            for column in (*cls.CONTACT_FIELDS, "version", "pending_image", "remove_pending_image")
        }
        initial["labels"] = data.getlist("labels")
        return initial

    @classmethod
    def with_row_action(
        cls, data: QueryDict, files: MultiValueDict | None = None, **kwargs: Any
    ) -> "ContactForm | None":
        """Return the form with a phone or company row added or removed, keeping what was typed.

        A valid image among the files becomes the form's fresh_image, to be kept aside. Return None for a plain save.
        """
        form = super().with_row_action(data, **kwargs)
        # Not a save, so a refused image shows no error: it is simply not kept, and the page offers + Add.
        if form is not None and files is not None and len(files.getlist("image")) == 1:
            with contextlib.suppress(forms.ValidationError):
                form.fresh_image = form.fields["image"].clean(files["image"])
        return form

    @property
    def kept_token(self) -> str:
        """Return the token of the image kept aside for this form, or "" for none."""
        token = self["pending_image"].value()
        return token if isinstance(token, str) else ""

    @property
    def kept_image_removed(self) -> bool:
        """Whether staff chose Remove for the image kept aside."""
        return bool(self.kept_token) and bool(self["remove_pending_image"].value())

    @property
    def image_kept(self) -> bool:
        """Whether the page says an image is kept and will be saved with the contact."""
        return bool(self.kept_token) and not self.kept_image_removed

    def keep_image(self, *, token: str) -> None:
        """Make the page carry this kept image's token ("" for none), with Remove unticked."""
        self.initial = {**self.initial, "pending_image": token, "remove_pending_image": False}
        # Bound fields remember the initial value they first read.
        for name in ("pending_image", "remove_pending_image"):
            self._bound_fields_cache.pop(name, None)
        if self.is_bound:
            self.data = self.data.copy()
            self.data["pending_image"] = token
            self.data.pop("remove_pending_image", None)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        existing: Contact | None = contact_live_by_email(email=email)
        if existing is not None and existing != self.instance:
            raise forms.ValidationError(
                format_html(
                    'A contact with this email already exists: <a href="{}">{}</a>',
                    reverse("customers:detail", args=[existing.pk]),
                    existing.display_name,
                ),
                code="duplicate",
            )
        trashed = contact_trashed_by_email(email=email) if existing is None else None
        if trashed is not None and trashed != self.instance:
            raise forms.ValidationError(
                format_html(
                    'A contact with this email is in the Trash: <a href="{}">restore {}</a> instead',
                    reverse("customers:restore", args=[trashed.pk]),
                    trashed.display_name,
                ),
                code="trashed",
            )
        return email

    def clean_image(self) -> Any:
        # The widget reads only the last file of a field; more than one is a crafted request, not a choice.
        if hasattr(self.files, "getlist") and len(self.files.getlist("image")) > 1:
            raise forms.ValidationError("Choose one image", code="too_many_files")
        image = self.cleaned_data["image"]
        self.fresh_image = image if isinstance(image, ProcessedImage) else None
        return image

    def clean_labels(self) -> list[Label]:
        return [self.label_options[pk] for pk in dict.fromkeys(self.cleaned_data["labels"])]

    def clean_country(self) -> str:
        return country_code_cleaned(self.cleaned_data["country"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.fresh_image is None and "image" not in self.errors and self.image_kept:
            try:
                cleaned["image"] = pending_image_load(token=self.kept_token, user_id=self.image_owner)
            except PendingImageInvalid:
                self.add_error("image", forms.ValidationError(KEPT_IMAGE_GONE_MESSAGE, code="kept_image_gone"))
                self.keep_image(token="")
        if self.instance is not None:
            version = _datetime_or_none(cleaned.get("version"))
            if version is None:
                self.mark_stale(version=self.instance.updated_at)
            cleaned["version"] = version
        return cleaned

    def mark_stale(self, *, version: datetime) -> None:
        """Say the contact changed under this form, and take its new version so the next save can succeed."""
        self.add_error(None, forms.ValidationError(STALE_MESSAGE, code="stale"))
        self.data = self.data.copy()
        self.data["version"] = version.isoformat()

    def contact_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.CONTACT_FIELDS}

    def phone_inputs(self) -> list[PhoneInput]:
        return [
            PhoneInput(number=form.cleaned_data["number"], label=form.cleaned_data["label"].strip())
            for form in self.phones.forms
            if form.cleaned_data.get("number")
        ]

    def image_changes(self) -> dict[str, Any]:
        """Return the image arguments for the services: a new or kept processed image, or a request to remove it."""
        return {"image": self.cleaned_data.get("image") or None, "remove_image": self.cleaned_data.get("remove_image")}

    def company_links(self) -> list[CompanyLink]:
        return self.companies.links()

    def company_missing(self, *, name: str) -> None:
        """Say a company the form found is gone (deleted or renamed since), on the row that names it."""
        for form in self.companies.forms:
            if form.cleaned_data.get("company") == name:
                form.creates = False
                form.offer_closest()


def _datetime_or_none(value: str | None) -> datetime | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


class BulkLabelForm(forms.Form):
    """Add or remove one label on the contacts a bulk selection names (see customers/selection.py)."""

    ADD, REMOVE = "add_label", "remove_label"

    action = forms.ChoiceField(choices=[(ADD, "Add label"), (REMOVE, "Remove label")])
    label = forms.ModelChoiceField(
        label="Label",
        queryset=Label.objects.all(),
        error_messages={
            "required": "Choose a label first.",
            "invalid_choice": "That label does not exist any more; choose another.",
        },
    )


# Each option shows the colour as the chip it will make, next to the colour's name, so the choice never
# rests on colour alone.
COLOUR_CHOICES = [
    (value, format_html('<span class="chip chip--{}">{}</span>', value, name)) for value, name in LabelColour.choices
]


class LabelForm(forms.Form):
    name = model_text_field("name", model=Label, label="Name", required_message="Enter a name for the label")
    colour = forms.ChoiceField(
        label="Colour",
        choices=COLOUR_CHOICES,
        initial=LabelColour.GREY,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a colour", "invalid_choice": "Choose one of the colours in the list"},
    )

    def __init__(self, *args, instance: Label | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {"name": instance.name, "colour": instance.colour}
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        existing = label_by_name(name=name)
        if existing is not None and existing != self.instance:
            raise forms.ValidationError(f"A label called “{existing.name}” already exists.", code="duplicate")
        return name


class ContactLabelAddForm(forms.Form):
    """Pick an existing label by name, or type a new one (for those who may create labels)."""

    label = model_text_field("name", model=Label, label="Label", required_message="Enter a label name")

    def __init__(self, *args, contact: Contact, can_create: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.can_create = can_create
        # Evaluated only when the template shows the picker, so viewers' pages cost no query.
        self.options = labels_not_on_contact(contact=contact)
        field = self.fields["label"]
        field.help_text = "Pick a label or type a new name" if can_create else "Pick a label from the list"
        field.widget.attrs.update({"list": "label-options", "autocomplete": "off"})

    def clean_label(self) -> str:
        name = self.cleaned_data["label"]
        if not self.can_create and label_by_name(name=name) is None:
            raise forms.ValidationError(f"There is no label called “{name}”; pick one from the list", code="missing")
        return name


class NoteForm(forms.Form):
    """A note for the activity log, kept as plain text."""

    body = crm_forms.text_field(
        "Note",
        limit=10_000,
        required_message="Write the note first",
        messages_label="A note",
        error_messages={"null_characters_not_allowed": crm_forms.control_character_message("The note")},
        strip=True,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ActivityFilterForm(forms.Form):
    """The activity log's filter and "Show more" position, read from the contact page's address."""

    activity = forms.ChoiceField(choices=[("", "All"), *ActivityGroup.choices], required=False)
    before = forms.CharField(required=False, max_length=80)

    def values(self) -> dict[str, str]:
        """Return the group and cursor to show; anything not valid falls back to the newest of everything."""
        if not self.is_valid():
            return {"group": "", "cursor": None}
        return {"group": self.cleaned_data["activity"], "cursor": self.cleaned_data["before"] or None}
