"""Forms for contacts. They validate; the services write."""

from django import forms
from django.urls import reverse
from django.utils.html import format_html

from customers.models import Contact, Label, LabelColour
from customers.selectors import contact_live_by_email, label_by_name, labels_not_on_contact


class ContactCreateForm(forms.Form):
    first_name = forms.CharField(label="First name", max_length=150, required=False)
    last_name = forms.CharField(label="Last name", max_length=150, required=False)
    email = forms.EmailField(
        label="Email",
        max_length=254,
        error_messages={
            "required": "Enter an email address",
            "invalid": "Enter an email address like name@example.com",
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        autocomplete = {"first_name": "given-name", "last_name": "family-name", "email": "email"}
        for name, value in autocomplete.items():
            self.fields[name].widget.attrs["autocomplete"] = value

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        existing: Contact | None = contact_live_by_email(email=email)
        if existing is not None:
            raise forms.ValidationError(
                format_html(
                    'A contact with this email already exists: <a href="{}">{}</a>',
                    reverse("customers:detail", args=[existing.pk]),
                    existing.display_name,
                ),
                code="duplicate",
            )
        return email


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


NAME_MAX_LENGTH = Label._meta.get_field("name").max_length

# Each option shows the colour as the chip it will make, next to the colour's name, so the choice never
# rests on colour alone.
COLOUR_CHOICES = [
    (value, format_html('<span class="chip chip--{}">{}</span>', value, name)) for value, name in LabelColour.choices
]


def label_name_field(*, label: str, required_message: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX_LENGTH,
        error_messages={
            "required": required_message,
            "max_length": f"{label} must be {NAME_MAX_LENGTH} characters or fewer",
            "null_characters_not_allowed": f"{label} contains a hidden control character; retype it",
        },
    )


class LabelForm(forms.Form):
    name = label_name_field(label="Name", required_message="Enter a name for the label")
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

    label = label_name_field(label="Label", required_message="Enter a label name")

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
