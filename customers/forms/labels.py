"""Label forms: create or edit a label, add one to a contact, and the bulk add or remove over a selection."""

from collections.abc import Sequence

from django import forms
from django.utils.html import format_html

from crm_core.forms import model_text_field
from customers.models import Contact, Label, LabelColour
from customers.selectors import (
    label_by_name,
    labels_not_on_contact,
)


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

    def __init__(
        self, *args, contact: Contact, can_create: bool, options: Sequence[Label] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.can_create = can_create
        # The labels the contact lacks: given when already read, else a query evaluated only when the
        # template shows the picker, so viewers' pages cost none.
        self.options = options if options is not None else labels_not_on_contact(contact=contact)
        field = self.fields["label"]
        field.help_text = "Pick a label or type a new name" if can_create else "Pick a label from the list"
        field.widget.attrs.update({"list": "label-options", "autocomplete": "off"})

    def clean_label(self) -> str:
        name = self.cleaned_data["label"]
        if not self.can_create and label_by_name(name=name) is None:
            raise forms.ValidationError(f"There is no label called “{name}”; pick one from the list", code="missing")
        return name
