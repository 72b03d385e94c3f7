"""Forms for companies. They validate; the services write."""

from django import forms

from companies.models import Company, CompanyAccess


class CompanyForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200, error_messages={"required": "Enter the company's name"})
    domain = forms.CharField(
        label="Website or domain", max_length=253, required=False, help_text="For example example.com"
    )
    default_portal_access = forms.ChoiceField(
        label="Customer Portal permission",
        choices=CompanyAccess.choices,
        initial=CompanyAccess.PERSONAL,
        widget=forms.RadioSelect,
        help_text="Which tickets the company's customers can see in the Customer Portal, unless a "
        "customer's own link says otherwise.",
    )

    def __init__(self, *args, instance: Company | None = None, **kwargs) -> None:
        self.instance = instance
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "domain": instance.domain,
                "default_portal_access": instance.default_portal_access,
            }
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["domain"].widget.attrs["autocomplete"] = "url"

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("Enter the company's name")
        others = Company.objects.filter(name__iexact=name)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("A company with this name already exists")
        return name
