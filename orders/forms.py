"""Forms for draft orders. They validate; the services write."""

from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.html import format_html

from crm_core.formrows import RowSet, RowSetsForm, with_management_data
from crm_core.forms import country_code_cleaned, model_text_field, phone_cleaned, phone_field
from crm_core.phones import phone_display
from orders.models import Order, OrderLine
from orders.services import LineInput

MAX_LINES = 100
LINES_PREFIX = "lines"
LINE_ROWS = RowSet(
    LINES_PREFIX,
    ("name", "sku", "quantity", "unit_price"),
    MAX_LINES,
    "add_line",
    "remove_line",
    "name",
    {"quantity": "1"},
)


def _amount_field(label: str, **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_digits=12,
        decimal_places=2,
        error_messages={
            "invalid": f"Enter {label.lower()} as an amount, like 12.50",
            "min_value": f"{label} cannot be negative",
            "max_digits": f"{label} is too large",
            "max_decimal_places": f"{label} can have at most 2 decimal places",
            "max_whole_digits": f"{label} is too large",
        },
        **kwargs,
    )


class LineForm(forms.Form):
    """One line of a draft order; a row left completely empty is ignored."""

    name = model_text_field("name", model=OrderLine, label="Item")
    sku = model_text_field("sku", model=OrderLine, label="SKU")
    quantity = forms.IntegerField(
        label="Quantity",
        required=False,
        min_value=1,
        max_value=100_000,
        error_messages={
            "invalid": "Enter the quantity as a whole number, like 2",
            "min_value": "Quantity must be at least 1",
            "max_value": "Quantity must be 100,000 or fewer",
        },
    )
    unit_price = _amount_field("Unit price", required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        name, price = cleaned.get("name", "").strip(), cleaned.get("unit_price")
        typed = name or cleaned.get("sku") or price is not None
        if typed and not name and "name" not in self.errors:
            self.add_error("name", "Enter the item's name")
        if typed and price is None and "unit_price" not in self.errors:
            self.add_error("unit_price", "Enter the unit price")
        cleaned["name"] = name
        return cleaned

    def line(self) -> LineInput | None:
        if not self.cleaned_data.get("name"):
            return None
        return LineInput(
            name=self.cleaned_data["name"],
            sku=self.cleaned_data["sku"].strip(),
            quantity=self.cleaned_data.get("quantity") or 1,
            unit_price=self.cleaned_data["unit_price"],
        )


class BaseLineFormSet(forms.BaseFormSet):
    def _construct_form(self, i: int, **kwargs: Any) -> forms.Form:
        form = super()._construct_form(i, **kwargs)
        for name, field in form.fields.items():
            # Numbered, hidden words tell the rows apart for screen readers ("Quantity for item 2").
            field.label = format_html('{}<span class="visually-hidden"> for item {}</span>', field.label, i + 1)
            field.widget.attrs["class"] = f"input--{name}"
        form.fields["quantity"].widget.attrs.update({"inputmode": "numeric"})
        form.fields["unit_price"].widget.attrs.update({"inputmode": "decimal"})
        return form


LineFormSet = forms.formset_factory(
    LineForm, formset=BaseLineFormSet, extra=0, max_num=MAX_LINES, absolute_max=MAX_LINES, validate_max=True
)


class DraftOrderForm(RowSetsForm):
    """The buyer details and lines of a draft order (lines are a formset in self.lines)."""

    ROW_SETS = (LINE_ROWS,)
    ADD_LINE, REMOVE_LINE = LINE_ROWS.add, LINE_ROWS.remove
    PLACE = "place"

    buyer_first_name = model_text_field("buyer_first_name", model=Order, label="First name")
    buyer_last_name = model_text_field("buyer_last_name", model=Order, label="Last name")
    buyer_phone = phone_field("Phone number")
    address_line1 = model_text_field("address_line1", model=Order)
    address_line2 = model_text_field("address_line2", model=Order)
    city = model_text_field("city", model=Order)
    region = model_text_field("region", model=Order)
    postal_code = model_text_field("postal_code", model=Order)
    country = model_text_field("country", model=Order, help_text="Two-letter code, for example GB")
    shipping = _amount_field("Shipping", required=False)
    tax = _amount_field("Tax", required=False)

    BUYER_FIELDS = (
        "buyer_first_name",
        "buyer_last_name",
        "buyer_phone",
        "address_line1",
        "address_line2",
        "city",
        "region",
        "postal_code",
        "country",
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        *,
        order: Order,
        initial: dict[str, Any] | None = None,
        rows: dict[str, list[dict[str, Any]]] | None = None,
    ) -> None:
        self.order = order
        if initial is None:
            initial = {name: getattr(order, name) for name in self.BUYER_FIELDS}
            initial["buyer_phone"] = phone_display(order.buyer_phone) if order.buyer_phone else ""
            initial |= {"shipping": order.shipping, "tax": order.tax}
        super().__init__(data, initial=initial)
        if data is not None:
            self.lines = LineFormSet(with_management_data(data, LINES_PREFIX), prefix=LINES_PREFIX)
            return
        line_rows = (rows or {}).get(LINES_PREFIX)
        if line_rows is None:
            line_rows = [
                {"name": line.name, "sku": line.sku, "quantity": line.quantity, "unit_price": line.unit_price}
                for line in (order.lines.all() if order.pk else ())
            ]
        self.lines = LineFormSet(initial=line_rows or [{"quantity": 1}], prefix=LINES_PREFIX)

    @classmethod
    def typed_initial(cls, data: QueryDict) -> dict[str, Any]:
        return {name: data.get(name, "") for name in (*cls.BUYER_FIELDS, "shipping", "tax")}

    def clean_buyer_phone(self) -> str:
        return phone_cleaned(self.cleaned_data["buyer_phone"])

    def clean_country(self) -> str:
        return country_code_cleaned(self.cleaned_data["country"])

    def buyer(self) -> dict[str, str]:
        return {name: self.cleaned_data[name] for name in self.BUYER_FIELDS}

    def line_inputs(self) -> list[LineInput]:
        return [line for form in self.lines.forms if (line := form.line()) is not None]

    def amounts(self) -> dict[str, Decimal]:
        return {name: self.cleaned_data.get(name) or Decimal("0") for name in ("shipping", "tax")}
