"""The merge preview's form: which side each group of fields comes from, and shared companies' permission."""

from datetime import datetime
from typing import Any

from django import forms
from django.utils.dateparse import parse_datetime

from companies.models import Membership, MembershipAccess
from customers.models import Contact
from merges.services.merge import CHOICE_FIELDS, MERGED, SURVIVOR, MergeChoices

GROUP_LABELS = {"name": "Name", "email": "Email", "address": "Address", "image": "Contact image"}


def _shown(contact: Contact, group: str) -> str:
    if group == "name":
        return contact.full_name
    if group == "address":
        return ", ".join(str(getattr(contact, name)) for name in Contact.ADDRESS_FIELDS if getattr(contact, name))
    if group == "image":
        return "An image" if contact.image else ""
    return contact.email


class MergeForm(forms.Form):
    """Built for one pair: a radio group per field group whose values differ, a select per shared company."""

    survivor_version = forms.CharField(widget=forms.HiddenInput)
    merged_version = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, survivor: Contact, merged: Contact, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survivor, self.merged = survivor, merged
        self.initial |= {
            "survivor_version": survivor.updated_at.isoformat(),
            "merged_version": merged.updated_at.isoformat(),
        }
        self.groups: list[tuple[str, str, str]] = []
        for group in CHOICE_FIELDS:
            kept, other = _shown(survivor, group), _shown(merged, group)
            self.groups.append((GROUP_LABELS[group], kept, other))
            if kept == other or not other:
                continue
            self.fields[group] = forms.ChoiceField(
                label=GROUP_LABELS[group],
                choices=[(SURVIVOR, kept or "(none)"), (MERGED, other)],
                widget=forms.RadioSelect,
                # An empty value on the survivor is filled from the merged contact unless staff say otherwise.
                initial=SURVIVOR if kept else MERGED,
                error_messages={"required": f"Choose which {GROUP_LABELS[group].lower()} to keep"},
            )
        theirs = {link.company_id: link for link in Membership.objects.filter(contact=merged).select_related("company")}
        self.shared: list[tuple[str, str]] = []
        for link in Membership.objects.filter(contact=survivor, company__in=list(theirs)).select_related("company"):
            other_link = theirs[link.company_id]
            recent = other_link if other_link.updated_at > link.updated_at else link
            name = f"access_{link.company_id}"
            self.fields[name] = forms.ChoiceField(
                label=f"Customer Portal permission at {link.company.name}",
                choices=MembershipAccess.choices,
                initial=recent.portal_access,
                help_text="Both contacts are linked to this company; the more recent link's permission is chosen.",
                error_messages={"invalid_choice": "Choose one of the permissions listed"},
            )
            self.shared.append((name, link.company.name))

    def _version(self, name: str, contact: Contact) -> datetime:
        moment = parse_datetime(self.cleaned_data.get(name) or "")
        if moment is None:
            raise forms.ValidationError("This page is out of date. Open the preview again.", code="version")
        return moment

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        try:
            self.versions = {
                self.survivor.pk: self._version("survivor_version", self.survivor),
                self.merged.pk: self._version("merged_version", self.merged),
            }
        except ValueError as error:
            raise forms.ValidationError("This page is out of date. Open the preview again.") from error
        return cleaned

    def choices(self) -> MergeChoices:
        fields = {group: self.cleaned_data.get(group, SURVIVOR) for group in CHOICE_FIELDS}
        access = {
            int(name.removeprefix("access_")): self.cleaned_data[name]
            for name, _ in self.shared
            if name in self.cleaned_data
        }
        return MergeChoices(fields=fields, access=access)
