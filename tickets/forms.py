"""The helpdesk's forms, for staff and for the Customer Portal: they validate; tickets.services writes."""

import re
import unicodedata
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from companies.models import Company
from crm_core import forms as crm_forms
from customers.services import address_problem, has_line_break
from tickets.mailparse import FilePart, safe_file_name
from tickets.models import TicketStatus

SUBJECT_LIMIT = 300
BODY_LIMIT = 50_000
SEND_KEY = re.compile(r"[0-9a-f]{32}")


def _subject_checked(subject: str) -> str:
    # A line break would let the subject add headers of its own to the mail, so it is refused, not removed.
    if has_line_break(subject):
        raise forms.ValidationError("The subject must be on one line", code="line_break")
    if any(unicodedata.category(character) == "Cc" and character != "\t" for character in subject):
        raise forms.ValidationError(crm_forms.control_character_message("Subject"), code="control")
    return subject


def _body_field(label: str, required_message: str) -> forms.CharField:
    return crm_forms.text_field(
        label,
        limit=BODY_LIMIT,
        required_message=required_message,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "true"}),
    )


def _subject_field() -> forms.CharField:
    return crm_forms.text_field(
        "Subject",
        limit=SUBJECT_LIMIT,
        required_message="Enter a subject",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class KeyedForm(forms.Form):
    """A form that names the one mail it sends, so a double click or a resent request sends it once."""

    send_key = forms.CharField(required=False, widget=forms.HiddenInput)
    # False for a form whose submission sends no mail (an internal note).
    sends_mail = True

    @property
    def page_key(self) -> str:
        posted = self.data.get("send_key", "") if self.is_bound else ""
        return posted if SEND_KEY.fullmatch(posted) else uuid.uuid4().hex

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.sends_mail and not SEND_KEY.fullmatch(cleaned.get("send_key", "")):
            self.add_error(None, "This form was not sent whole; check it and send it again.")
        return cleaned

    def clean_body(self) -> str:
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")


class ReplyForm(KeyedForm):
    """Staff answer on a ticket: a reply mailed to the requester, or an internal note for staff only."""

    body = _body_field("Reply", "Enter a reply or a note")
    status = forms.ChoiceField(
        label="Status after sending", choices=TicketStatus.choices, initial=TicketStatus.PENDING, required=False
    )

    def __init__(self, *args: Any, note: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sends_mail = not note
        self.fields["file"] = _file_field()

    def clean_file(self) -> list[FilePart]:
        return _file_checked(self.cleaned_data.get("file"))


class NewTicketForm(KeyedForm):
    email = crm_forms.email_field(
        label="To (email)",
        required_message="Enter the email address to write to",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    name = crm_forms.text_field("Name (for a new contact)", limit=200)
    subject = _subject_field()
    body = _body_field("Message", "Enter a message")

    def clean_subject(self) -> str:
        return _subject_checked(self.cleaned_data["subject"])

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        problem = address_problem(email)
        if problem:
            raise forms.ValidationError(f"This address cannot receive mail: {problem}", code="address")
        return email


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=TicketStatus.choices)


class CompanyForm(forms.Form):
    company = forms.ModelChoiceField(
        label="Company", queryset=Company.objects.none(), required=False, empty_label="No company"
    )

    def __init__(self, *args: Any, companies: list[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["company"].queryset = Company.objects.filter(pk__in=[c.pk for c in companies])


class SignInForm(forms.Form):
    email = crm_forms.email_field(
        label="Email",
        required_message="Enter your email address",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


def _file_field() -> forms.FileField:
    limit = settings.TICKET_UPLOAD_MAX_BYTES // (1024 * 1024)
    return forms.FileField(label="Attach a file (optional)", required=False, help_text=f"Up to {limit} MB.")


def _file_checked(upload: UploadedFile | None) -> list[FilePart]:
    if upload is None:
        return []
    if upload.size > settings.TICKET_UPLOAD_MAX_BYTES:
        limit = settings.TICKET_UPLOAD_MAX_BYTES // (1024 * 1024)
        raise forms.ValidationError(f"The file is larger than {limit} MB", code="too_large")
    content_type = (upload.content_type or "application/octet-stream")[:150]
    return [FilePart(safe_file_name(upload.name or ""), content_type, upload.read())]


class PortalReplyForm(forms.Form):
    body = _body_field("Your reply", "Enter your reply")
    file = _file_field()

    def clean_file(self) -> list[FilePart]:
        return _file_checked(self.cleaned_data.get("file"))


class PortalTicketForm(forms.Form):
    subject = _subject_field()
    body = _body_field("Message", "Enter your message")
    company = forms.ModelChoiceField(
        label="Company", queryset=Company.objects.none(), required=False, empty_label="Just me (no company)"
    )
    file = _file_field()

    def __init__(self, *args: Any, companies: list[Company], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if len(companies) < 2:
            # With one company the ticket belongs to it; with none there is nothing to choose.
            del self.fields["company"]
        else:
            self.fields["company"].queryset = Company.objects.filter(pk__in=[c.pk for c in companies])
        self.only_company = companies[0] if len(companies) == 1 else None

    def clean_subject(self) -> str:
        return _subject_checked(self.cleaned_data["subject"])

    def clean_file(self) -> list[FilePart]:
        return _file_checked(self.cleaned_data.get("file"))

    def chosen_company(self) -> Company | None:
        return self.cleaned_data.get("company") if "company" in self.fields else self.only_company
