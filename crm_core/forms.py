"""What every form of the app shares: no maxlength in the page, length limits stated by the server, searches read.

A browser cuts typed or pasted text at an input's maxlength without a word, so someone pasting 200
characters into a field of 150 saves the first 150 and never knows. Django adds maxlength for every
CharField with a max_length (CharField.widget_attrs, and AuthenticationForm sets it on the username);
the project's form renderer leaves it out of every widget instead, so the whole text reaches the server,
whose message names the limit and the length, and the page keeps the text.
"""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates


class BoundField(forms.BoundField):
    def build_widget_attrs(self, attrs: dict[str, Any], widget: forms.Widget | None = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        # The widget's own attrs already hold maxlength; False is how Django leaves an attribute out.
        attrs["maxlength"] = False
        return attrs


class FormRenderer(DjangoTemplates):
    """Django's default renderer, with fields that carry no maxlength (settings.FORM_RENDERER)."""

    bound_field_class = BoundField


def too_long_message(label: str, limit: int) -> str:
    """Return the message for text over its limit: the limit and how long the text is, e.g. 10,240."""
    return f"{label} must be {limit:,} characters or fewer (it has %(show_value)s)"


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
