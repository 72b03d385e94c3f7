"""What every form of the app shares: field builders with one table of messages, no maxlength, searches read.

A browser cuts typed or pasted text at an input's maxlength without a word, so someone pasting 200
characters into a field of 150 saves the first 150 and never knows. Django adds maxlength for every
CharField with a max_length (CharField.widget_attrs, and AuthenticationForm sets it on the username);
the project's form renderer leaves it out of every widget instead, so the whole text reaches the server,
whose message names the limit and the length, and the page keeps the text.
"""

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.renderers import DjangoTemplates

from crm_core.phones import FORMAT_MESSAGE, MAX_TYPED_LENGTH, InvalidPhoneNumber, phone_to_e164


class BoundField(forms.BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        # The widget's own attrs already hold maxlength; False is how Django leaves an attribute out.
        attrs["maxlength"] = False
        return attrs


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with fields that carry no maxlength (settings.FORM_RENDERER)."""

    bound_field_class = BoundField


# The one table of the messages every text field gives, by Django's error code. `{label}` is what the person
# calls the field; `%(show_value)s` is filled in by the length validator with the text's length (10,240).
MESSAGES = {
    "max_length": "{label} must be {limit} characters or fewer (it has %(show_value)s)",
    "null_characters_not_allowed": "{label} contains a hidden control character; retype it",
    "email_invalid": "Enter an email address like name@example.com",
}


def too_long_message(label: str, limit: int) -> str:
    """Return the message for text over its limit: the limit and how long the text is, e.g. 10,240."""
    return MESSAGES["max_length"].format(label=label, limit=f"{limit:,}")


def control_character_message(label: str) -> str:
    """Return the message for text holding a NUL or another control character, which is refused, not dropped."""
    return MESSAGES["null_characters_not_allowed"].format(label=label)


def text_messages(label: str, *, limit: int | None, required_message: str = "", **overrides: str) -> dict[str, str]:
    """Return a text field's error messages from the table; `overrides` replace one by its code."""
    messages = {"required": required_message, "null_characters_not_allowed": control_character_message(label)}
    if limit is not None:
        messages["max_length"] = too_long_message(label, limit)
    return {**messages, **overrides}


class MaxLengthValidator(validators.MaxLengthValidator):
    """Django's length check, giving the numbers to the message as people read them (10,240, not 10240)."""

    def __call__(self, value: Any) -> None:
        try:
            super().__call__(value)
        except ValidationError as error:
            error.params = {**error.params, "limit_value": f"{self.limit_value:,}"}
            error.params["show_value"] = f"{error.params['show_value']:,}"
            raise


class _ReadableLimit:
    """Swap the length validator CharField adds for the one above; max_length itself is kept."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.validators = [
            MaxLengthValidator(validator.limit_value) if type(validator) is validators.MaxLengthValidator else validator
            for validator in self.validators
        ]


class CharField(_ReadableLimit, forms.CharField):
    """A CharField whose too-long message can say how long the text is (see too_long_message)."""


class EmailField(_ReadableLimit, forms.EmailField):
    """An EmailField whose too-long message can say how long the text is (see too_long_message)."""


@dataclass(frozen=True)
class TypedSearch:
    """A list page's search box as read: what was typed (kept in the box), what is matched, and why not."""

    typed: str
    term: str
    problem: str = ""


def search_read(value: str | None, *, max_length: int) -> TypedSearch:
    """Return a typed search without NUL or surrounding spaces; one over max_length is ignored and said so.

    Cut silently, a pasted search would match what nobody typed; the list says it was ignored instead, as
    the contacts list does for any value it cannot use.
    """
    typed = (value or "").replace("\x00", "").strip()
    if len(typed) > max_length:
        problem = f"Search: at most {max_length:,} characters (it has {len(typed):,}). It was ignored."
        return TypedSearch(typed=typed, term="", problem=problem)
    return TypedSearch(typed=typed, term=typed)


def text_field(
    label: str,
    *,
    limit: int | None,
    required_message: str = "",
    messages_label: str = "",
    error_messages: dict[str, str] | None = None,
    **kwargs: Any,
) -> CharField:
    """Return a text field with the table's messages; optional unless given the message for leaving it empty.

    `messages_label` names the field in its messages where that reads better than the label ("A note").
    """
    return CharField(
        label=label,
        max_length=limit,
        required=bool(required_message),
        error_messages=text_messages(
            messages_label or label, limit=limit, required_message=required_message, **(error_messages or {})
        ),
        **kwargs,
    )


def model_text_field(name: str, *, model: type[models.Model], required_message: str = "", **kwargs: Any) -> CharField:
    """Return a text field labelled and limited like the model field, with the table's messages."""
    model_field = model._meta.get_field(name)
    label = kwargs.pop("label", model_field.verbose_name[:1].upper() + model_field.verbose_name[1:])
    return text_field(label, limit=model_field.max_length, required_message=required_message, **kwargs)


EMAIL_MAX_LENGTH = 254


def email_field(*, label: str, required_message: str, **kwargs: Any) -> EmailField:
    """Return a required email field with the messages every form of the app uses."""
    return EmailField(
        label=label,
        max_length=EMAIL_MAX_LENGTH,
        error_messages={
            **text_messages("Email", limit=EMAIL_MAX_LENGTH, required_message=required_message),
            "invalid": MESSAGES["email_invalid"],
        },
        **kwargs,
    )


def phone_cleaned(text: str) -> str:
    """Return a typed phone number in E.164, or "" for none; raise a field error people can act on."""
    if not text.strip():
        return ""
    try:
        return phone_to_e164(text)
    except InvalidPhoneNumber as error:
        raise forms.ValidationError(str(error), code="invalid") from error


def country_code_cleaned(text: str) -> str:
    """Return a typed country as its upper-case two-letter code, or "" for none."""
    country = text.strip().upper()
    if country and not re.fullmatch(r"[A-Z]{2}", country):
        raise forms.ValidationError("Enter the country as a two-letter code, like GB", code="invalid")
    return country


def phone_field(label: str, **attrs: str) -> forms.CharField:
    """Return an optional phone number field as typed; its cleaner is phone_cleaned, its one message the format's."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_TYPED_LENGTH,
        error_messages={"max_length": FORMAT_MESSAGE, "null_characters_not_allowed": FORMAT_MESSAGE},
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", **attrs}),
    )
