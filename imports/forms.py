"""The import's forms: the file to upload, then the columns' fields and the import's options."""

from typing import Any

from django import forms

from imports.mapping import FIELD_CHOICES, mapping_problems
from imports.models import ImportMode, ImportRun


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text=(
            "A CSV from a spreadsheet, Shopify, HubSpot or this app's export: UTF-8 or Windows encoding, "
            "separated by commas, semicolons or tabs, up to 50 MB. Nothing is imported until you have seen the dry run."
        ),
        error_messages={
            "required": "Choose a CSV file to import",
            "empty": "This file is empty; choose the CSV of your contacts",
            "invalid": "Choose a CSV file to import",
        },
    )


class ColumnsForm(forms.Form):
    """One choice per column of the file, plus the options; a column named like a known export starts chosen."""

    mode = forms.ChoiceField(
        label="Contacts already in the address book",
        choices=[
            (ImportMode.ADD, "Only add new contacts (skip emails already here)"),
            (
                ImportMode.UPDATE,
                "Update existing contacts (empty cells never clear a value; locked details become suggestions)",
            ),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to update contacts already here"},
    )
    create_missing = forms.BooleanField(
        label="Create the labels and companies the file names that do not exist yet",
        required=False,
        help_text="Without this, a label or company that does not exist is left out and the row says so.",
    )

    def __init__(self, *args: Any, run: ImportRun, can_update: bool, **kwargs: Any) -> None:
        initial = {f"column_{index}": field for index, field in run.mapping.items()}
        initial.update(mode=run.mode, create_missing=run.create_missing)
        super().__init__(*args, initial=initial, **kwargs)
        self.run, self.can_update = run, can_update
        for index, name in enumerate(run.header):
            self.fields[f"column_{index}"] = forms.ChoiceField(
                label=name or f"Column {index + 1}", choices=FIELD_CHOICES, required=False
            )

    def column_fields(self) -> list[tuple[forms.BoundField, list[str]]]:
        """Each column's choice with its first values, for the mapping table."""
        return [
            (self[f"column_{index}"], [sample[index] for sample in self.run.samples if index < len(sample)])
            for index in range(len(self.run.header))
        ]

    def mapping(self) -> dict[int, str]:
        return {index: self.cleaned_data.get(f"column_{index}") or "" for index in range(len(self.run.header))}

    def clean_mode(self) -> str:
        mode = self.cleaned_data["mode"]
        if mode == ImportMode.UPDATE and not self.can_update:
            raise forms.ValidationError("Your role may add contacts but not change them; choose to only add new ones")
        return mode

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for problem in mapping_problems(self.mapping(), self.run.header):
            self.add_error(None, problem)
        return cleaned
