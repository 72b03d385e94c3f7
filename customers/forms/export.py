"""The export page's choices: which contacts (selected, matching, all), which columns, and a byte-order mark."""

from django import forms

from customers.export import COLUMN_CHOICES
from customers.selection import SCOPE_MATCHING, SCOPE_SELECTED

SCOPE_ALL = "all"


class ExportForm(forms.Form):
    scope = forms.ChoiceField(
        label="Contacts to export",
        choices=[(SCOPE_SELECTED, "Selected"), (SCOPE_MATCHING, "Matching"), (SCOPE_ALL, "All")],
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which contacts to export",
            "invalid_choice": "Choose which contacts to export",
        },
    )
    columns = forms.ChoiceField(
        label="Columns",
        choices=COLUMN_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the columns", "invalid_choice": "Choose the columns"},
    )
    bom = forms.BooleanField(label="Add a byte-order mark (for Excel)", required=False)
    background = forms.BooleanField(label="Prepare the file in the background and email me", required=False)
