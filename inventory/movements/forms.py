"""Forms of the transfer and supplier receipt pages. They read what was typed (locations by
name, items by SKU or barcode, whole numbers); the rules of a transfer or a receipt are the
services' (`inventory.movements.services`), whose refusals the views put beside the boxes."""

from collections.abc import Sequence

from django import forms
from django.db.models import QuerySet

from inventory.admin.adjust_forms import (
    BaseStockRowFormSet,
    LocationChoiceField,
    StockRowForm,
)
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY
from inventory.movements.services import Arrival
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


class ReceivingForm(TokenForm):
    """One receiving: per line of the document what arrived sellable, damaged and (transfers)
    missing; a note; a manager's acceptance of extra units. Empty quantities are 0. `kind` is
    the receiving page's `Kind`: whether lines have a "missing" column, what the document is
    called."""

    note = forms.CharField(
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Anything worth knowing later: a torn box, a driver's name.",
    )

    def __init__(self, *args, lines: Sequence, kind, may_accept: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        self.columns = ["received", "damaged", *(["missing"] if kind.has_missing else [])]
        for line in lines:
            for column in self.columns:
                self.fields[self.name(line, column)] = forms.IntegerField(
                    required=False,
                    min_value=0,
                    max_value=MAX_QUANTITY,
                    error_messages={
                        "invalid": "must be a whole number, 0 or more.",
                        "min_value": "cannot be below 0.",
                        "max_value": "is more than can be entered at once.",
                    },
                )
        if may_accept:
            self.fields["accept_overage"] = forms.BooleanField(
                required=False,
                label="Accept extra units",
                help_text=(
                    f"Tick when more arrived than is still to come (or an item not on this "
                    f"{kind.word}), and you have checked it: the extra units are added to stock. "
                    "Leave it unticked and such a line is refused, so a miscount is caught."
                ),
            )

    @staticmethod
    def name(line, column: str) -> str:
        return f"{column}_{line.pk}"

    def quantity(self, line, column: str) -> int:
        return self.cleaned_data.get(self.name(line, column)) or 0

    def arrivals(self) -> list[Arrival]:
        """One per line, in the page's order, so a refusal's "line 3" is the page's line 3."""
        return [
            Arrival(
                item=line.item,
                received=self.quantity(line, "received"),
                damaged=self.quantity(line, "damaged"),
                missing=self.quantity(line, "missing") if "missing" in self.columns else 0,
            )
            for line in self.lines
        ]

    def row_errors(self) -> dict[int, list[str]]:
        """The form's own errors, by line id, in words naming the line."""
        found: dict[int, list[str]] = {}
        for number, line in enumerate(self.lines, start=1):
            for column in self.columns:
                for error in self.errors.get(self.name(line, column), []):
                    found.setdefault(line.pk, []).append(
                        f"Line {number}, {line.item}: {column.capitalize()} {error}"
                    )
        return found

    def other_errors(self) -> list[str]:
        """The errors of the note (the token's are handled apart: the form has expired)."""
        return [f"Note: {error}" for error in self.errors.get("note", [])]
