"""The note form and the activity log's filter, read from the contact page."""

from django import forms

from crm_core import forms as crm_forms
from customers.models import ActivityGroup


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
