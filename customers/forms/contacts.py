"""The contact form: add or edit the details, image, phones, labels and companies. It validates; services write."""

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from companies.services import CompanyLink
from crm_core.formrows import RowSetsForm, with_management_data
from crm_core.forms import country_code_cleaned, email_field, model_text_field
from crm_core.phones import phone_display
from customers.forms.contact_rows import (
    COMPANIES_PREFIX,
    COMPANY_ROWS,
    PHONE_ROWS,
    PHONES_PREFIX,
    CompanyLinkFormSet,
    PhoneFormSet,
)
from customers.images import ContactImageField, ProcessedImage
from customers.models import Contact, Label
from customers.pending_images import PendingImageInvalid, pending_image_load
from customers.selectors import (
    contact_live_by_email,
    contact_trashed_by_email,
    labels_all,
)
from customers.services import PhoneInput

STALE_MESSAGE = "This contact was changed since you opened it. Check the details below and save again."


KEPT_IMAGE_GONE_MESSAGE = "The image chosen earlier is no longer kept (it is kept for an hour); choose it again"


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
