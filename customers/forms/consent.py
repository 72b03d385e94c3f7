"""The form staff change a contact's email marketing consent with. It validates; consent_record writes."""

from datetime import datetime
from typing import Any

from django import forms
from django.utils import timezone

from crm_core import forms as crm_forms
from customers.models import ConsentState, OptInLevel

NOTE_MAX_LENGTH = 2000
# Consent for email marketing older than this is not something anyone can have evidence of; a year
# like 0026 is a typing slip.
EARLIEST_GIVEN_AT = datetime(2000, 1, 1)
DATE_FORMAT_MESSAGE = "Enter a date and time like 27/11/2026 14:30"
CLOCK_CHANGE_MESSAGE = (
    "The clocks changed at that time, so it happened twice or not at all; enter a time an hour earlier or later"
)


def _now_to_the_minute() -> datetime:
    # A datetime-local input holds minutes; the default must read back equal to what it shows.
    return timezone.localtime().replace(second=0, microsecond=0)


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed or picked; a hidden control character is an error, not something to drop."""

    def to_python(self, value: Any) -> datetime | None:
        # The ISO parser would read "2026-01-01T10:00\x00" as a date and quietly lose the NUL.
        if isinstance(value, str) and "\x00" in value:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return super().to_python(value)
        except forms.ValidationError as error:
            if error.code != "ambiguous_timezone":
                raise
            raise forms.ValidationError(CLOCK_CHANGE_MESSAGE, code="ambiguous_timezone") from error


class ConsentForm(forms.Form):
    """A new consent record: state, opt-in level, when it was given and how it was collected."""

    state = forms.ChoiceField(
        label="Email marketing",
        choices=ConsentState.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the new consent state",
            "invalid_choice": "Choose one of the consent states in the list",
        },
    )
    opt_in_level = forms.ChoiceField(
        label="Opt-in level",
        choices=OptInLevel.choices,
        widget=forms.RadioSelect,
        help_text="Confirmed opt-in: the person also confirmed by email. Choose Unknown when you can't tell.",
        error_messages={
            "required": "Choose the opt-in level",
            "invalid_choice": "Choose one of the opt-in levels in the list",
        },
    )
    # The value the page opened with travels back as a hidden input, so an untouched default means
    # "now" at the moment of saving, not the minute the page was opened: otherwise a change saved right
    # after an unsubscribe could be dated before it and not take effect.
    given_at = LocalDateTimeField(
        label="Given or withdrawn at",
        show_hidden_initial=True,
        help_text=(
            "Leave as it is for now, or enter when it happened. An entry dated before the current "
            "consent is kept in the history but does not change it."
        ),
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "class": "input--datetime"}, format="%Y-%m-%dT%H:%M"
        ),
        error_messages={"required": DATE_FORMAT_MESSAGE, "invalid": DATE_FORMAT_MESSAGE},
    )
    collected_how = crm_forms.text_field(
        "How was consent collected?",
        limit=NOTE_MAX_LENGTH,
        required_message="Enter how consent was collected",
        messages_label="The note",
        error_messages={"max_length": "Keep the note to %(limit_value)s characters or fewer; it has %(show_value)s"},
        help_text="For example: asked on the phone on 3 March and agreed to the monthly newsletter.",
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"given_at": _now_to_the_minute()})
        super().__init__(*args, **kwargs)

    def clean_given_at(self) -> datetime:
        given_at = self.cleaned_data["given_at"]
        if "given_at" not in self.changed_data:
            return timezone.now()
        if given_at > timezone.now():
            raise forms.ValidationError("The date can't be in the future", code="future")
        if given_at < timezone.make_aware(EARLIEST_GIVEN_AT):
            raise forms.ValidationError("Enter a date from 1 January 2000 onwards", code="too_early")
        return given_at
