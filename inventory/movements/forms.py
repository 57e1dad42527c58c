"""Forms of the transfer and supplier receipt pages. They read what was typed (locations by
name, items by SKU or barcode, whole numbers); the rules of a transfer or a receipt are the
services' (`inventory.movements.services`), whose refusals the views put beside the boxes."""

from django import forms
from django.db.models import QuerySet

from inventory.admin.adjust_forms import (
    BaseStockRowFormSet,
    LocationChoiceField,
    StockRowForm,
)
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY
from inventory.stocktakes.forms import TokenForm
from locations.models import Location

NOT_LISTED = "Choose a location from the list."


def _location_field(label: str, locations: QuerySet[Location]) -> LocationChoiceField:
    return LocationChoiceField(
        label=label,
        queryset=locations.filter(enabled=True).order_by("label"),
        empty_label="Choose a location",
        error_messages={"required": "Choose a location.", "invalid_choice": NOT_LISTED},
    )


class TransferForm(TokenForm):
    """A new transfer's header: from where, to where, and how people will refer to it."""

    reference = forms.CharField(
        max_length=500,
        required=False,
        help_text="Optional. A ticket, a waybill or a carrier's tracking number.",
    )
    note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional. Shown on the transfer and its packing list.",
    )
    field_order = ["origin", "destination", "reference", "note"]

    def __init__(self, *args, origins: QuerySet[Location], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        # Stock leaves from a location the sender works at, to any of ours.
        self.fields["origin"] = _location_field("From", origins)
        self.fields["destination"] = _location_field("To", Location.objects.all())
        self.order_fields(self.field_order)


class ReceiptForm(TokenForm):
    """A new supplier receipt's header: who delivers, which order, when, into which location."""

    supplier = forms.CharField(max_length=200, error_messages={"required": "Name the supplier."})
    reference = forms.CharField(
        label="Reference or PO number",
        max_length=500,
        required=False,
        help_text="Optional. The supplier's or your order number, as on the delivery note.",
    )
    expected_on = forms.DateField(
        label="Expected on",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Enter a date, e.g. 2026-12-24."},
    )
    note = forms.CharField(
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["supplier", "reference", "expected_on", "location", "note"]

    def __init__(self, *args, locations: QuerySet[Location], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["location"] = _location_field("Into", locations)
        self.order_fields(self.field_order)


def _row_form(label: str, too_few: str) -> type[StockRowForm]:
    quantity = forms.IntegerField(
        label=label,
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": too_few,
            "max_value": "That is too many: enter a smaller number.",
        },
        widget=forms.NumberInput(attrs={"enterkeyhint": "next", "inputmode": "numeric"}),
    )
    return type(f"{label}RowForm", (StockRowForm,), {"quantity": quantity})


def _rows(form: type[StockRowForm]) -> type[BaseStockRowFormSet]:
    return forms.formset_factory(
        form,
        formset=BaseStockRowFormSet,
        extra=0,
        max_num=MAX_BATCH_LINES,
        absolute_max=MAX_BATCH_LINES,
        validate_max=True,
    )


# An item (SKU or barcode) and a quantity per row; rows without a quantity are left out.
TransferRows = _rows(_row_form("Send", "Send at least 1."))
ReceiptRows = _rows(_row_form("Expected", "Expect at least 1."))
