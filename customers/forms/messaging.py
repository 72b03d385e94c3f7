"""The Send message form: it validates; customers.services.messaging sends."""

import re
import unicodedata
import uuid
from typing import Any

from django import forms

from crm_core import forms as crm_forms
from customers.models import Contact
from customers.services.messaging import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, address_problem, has_line_break

SEND_KEY = re.compile(r"[0-9a-f]{32}")


class MessageForm(forms.Form):
    """Compose an email to one contact: a subject and the message. The recipient is the contact's email."""

    subject = crm_forms.text_field(
        "Subject",
        limit=SUBJECT_MAX_LENGTH,
        required_message="Enter a subject",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "true"}),
    )
    body = crm_forms.text_field(
        "Message",
        limit=BODY_MAX_LENGTH,
        required_message="Enter a message",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "true"}),
    )

    # Names this one message, so a double click or a resent request sends it once (messaging.message_send).
    # Made when the page is drawn and kept through a re-shown form, so a corrected form is still one message.
    send_key = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, contact: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.contact = contact
        # A contact's email came in through a form, an order or an import; only a clean one may be a header.
        self.recipient_problem = address_problem(contact.email)

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        # A line break would let the subject add headers of its own (Bcc: …), so it is refused, not removed.
        if has_line_break(subject):
            raise forms.ValidationError("The subject must be on one line", code="line_break")
        if any(unicodedata.category(character) == "Cc" and character != "\t" for character in subject):
            raise forms.ValidationError(crm_forms.control_character_message("Subject"), code="control")
        return subject

    def clean_body(self) -> str:
        # Browsers send CRLF from a textarea; the mail is written with one kind of line ending.
        return self.cleaned_data["body"].replace("\r\n", "\n").replace("\r", "\n")

    @property
    def page_key(self) -> str:
        """The key the page carries: the one posted, if it is one of ours, or a new one."""
        posted = self.data.get("send_key", "") if self.is_bound else ""
        return posted if SEND_KEY.fullmatch(posted) else uuid.uuid4().hex

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if not SEND_KEY.fullmatch(cleaned.get("send_key", "")):
            self.add_error(None, "This form was not sent whole; check it and press Send message again.")
        if self.recipient_problem:
            self.add_error(None, self.recipient_error)
        return cleaned

    @property
    def recipient_error(self) -> str:
        return (
            f"The contact's email address cannot receive messages: {self.recipient_problem}. "
            "Correct it with Edit, then send the message."
        )
