"""The forms of the "Adjust stock" and "Move stock" pages: a header (where, how, why) and rows
(an item by SKU or barcode, a quantity). Row checks that need no stock figures live here; the
rules that do are the write path's (`stock.check_adjustment`, `stock.apply_adjustment`)."""

import uuid
from collections.abc import Iterable

from django import forms
from django.db.models import Q, QuerySet

from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, Adjustment, Item
from locations.models import Location

NO_REASON = [("", "—")]


class LocationChoiceField(forms.ModelChoiceField):
    """Locations by their name, as people call them."""

    def label_from_instance(self, obj: Location) -> str:
        return obj.label


class StockChangeForm(forms.Form):
    """What the adjust and move forms share: why stock changes, and the form's token."""

    reason_code = forms.ChoiceField(
        label="Reason", choices=NO_REASON + Adjustment.ReasonCode.choices, required=False
    )
    reason = forms.CharField(
        label="Note",
        max_length=1000,
        required=False,
        help_text="Optional. Shown in the history, e.g. “Box crushed in transit”.",
    )
    reference = forms.CharField(
        max_length=500,
        required=False,
        help_text="Optional. An order number, purchase order or link this change belongs to.",
    )
    # One token per opened form. Sent as the idempotency key, so a second submission of the
    # same form (double click, browser resend) replays the first instead of applying twice.
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")  # labels sit above their boxes
        super().__init__(*args, **kwargs)

    def why(self) -> dict[str, str]:
        """The keyword arguments of `apply_adjustment` that say why."""
        data = self.cleaned_data
        return {
            "reason_code": data["reason_code"],
            "reason": data["reason"],
            "reference": data["reference"],
        }


def _location_field(label: str) -> LocationChoiceField:
    return LocationChoiceField(
        label=label,
        queryset=Location.objects.none(),
        empty_label="Choose a location",
        error_messages={"required": "Choose a location.", "invalid_choice": NOT_YOURS},
    )


NOT_YOURS = "Choose one of your locations: that one is not in the list."


class AdjustStockForm(StockChangeForm):
    """The header of the "Adjust stock" page: where, how and why."""

    MODE_SET = "set"
    MODE_ADD = "add"

    location = _location_field("Location")
    mode = forms.ChoiceField(
        label="Change",
        choices=[
            (MODE_SET, "Set on-hand to the quantity (a count)"),
            (MODE_ADD, "Add the quantity to on-hand (negative to remove)"),
        ],
        initial=MODE_SET,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to set or add the quantities."},
    )
    field_order = ["location", "mode", "reason_code", "reason", "reference"]

    def __init__(self, *args, locations: QuerySet[Location], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations.filter(enabled=True).order_by("label")

    @property
    def sets(self) -> bool:
        return self.cleaned_data.get("mode") == self.MODE_SET

    @property
    def kind(self) -> Adjustment.Kind:
        return Adjustment.Kind.ABSOLUTE if self.sets else Adjustment.Kind.RELATIVE


class MoveStockForm(StockChangeForm):
    """The header of the "Move stock" page: from where, to where, and why."""

    from_location = _location_field("From")
    to_location = _location_field("To")
    field_order = ["from_location", "to_location", "reason_code", "reason", "reference"]

    def __init__(self, *args, locations: QuerySet[Location], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("from_location", "to_location"):
            self.fields[name].queryset = locations.filter(enabled=True).order_by("label")

    def clean(self) -> dict:
        data = super().clean()
        source, destination = data.get("from_location"), data.get("to_location")
        if source is not None and source == destination:
            self.add_error("to_location", "Choose another location to move to: both are the same.")
        return data


# A code box for typing and for a barcode scanner (which types the code, then Enter).
CODE_ATTRS = {
    "autocomplete": "off",
    "autocapitalize": "off",
    "autocorrect": "off",
    "spellcheck": "false",
    "enterkeyhint": "next",
}


class StockRowForm(forms.Form):
    """One item of the change. `expected_quantity` is the on-hand the person saw (filled when
    the form opened or when the item was looked up); the write path compares it under the lock
    to catch changes made in the meantime. `confirmed` is the quantity they confirmed when the
    row changed nothing."""

    code = forms.CharField(
        label="SKU or barcode",
        max_length=255,
        required=False,
        widget=forms.TextInput(attrs=CODE_ATTRS),
    )
    quantity = forms.IntegerField(
        required=False,
        min_value=-MAX_QUANTITY,
        max_value=MAX_QUANTITY,
        error_messages={"invalid": "Enter a whole number."},
        widget=forms.NumberInput(attrs={"enterkeyhint": "next"}),
    )
    expected_quantity = forms.IntegerField(required=False, widget=forms.HiddenInput)
    confirmed = forms.IntegerField(required=False, widget=forms.HiddenInput)

    item: Item | None = None  # set by the formset's clean when the code names one

    @property
    def number(self) -> int:
        """The row's number, from 1 (its prefix ends with its index, from 0)."""
        return int(self.prefix.rsplit("-", 1)[-1]) + 1

    def is_filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("code")) and data.get("quantity") is not None


class MoveRowForm(StockRowForm):
    quantity = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_QUANTITY,
        error_messages={"invalid": "Enter a whole number.", "min_value": "Move at least 1."},
        widget=forms.NumberInput(attrs={"enterkeyhint": "next", "inputmode": "numeric"}),
    )


def items_by_code(codes: Iterable[str]) -> dict[str, Item]:
    """The items some SKUs or barcodes name, in one query. A code that is one item's SKU and
    another's barcode names the first: a SKU is what people type."""
    codes = {code for code in codes if code}
    if not codes:
        return {}
    items = list(Item.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes)))
    found = {item.barcode: item for item in items if item.barcode in codes}
    found.update({item.sku: item for item in items if item.sku in codes})
    return found


def item_label(item: Item) -> str:
    """How a person reads an item everywhere (`Item.__str__`): "TEE-BLA-M · Tee black M"."""
    return str(item)


class BaseStockRowFormSet(forms.BaseFormSet):
    """Every row is checked in one pass, whatever another row's errors: a missing or unknown
    code, an item on two rows. Rows count from 1 in every message."""

    default_error_messages = {
        "too_many_forms": "At most %(num)d rows can be applied at once: split the change in two.",
        "too_few_forms": "Enter at least %(num)d rows.",
    }

    def clean(self) -> None:
        forms_ = [form for form in self.forms if hasattr(form, "cleaned_data")]
        found = items_by_code(form.cleaned_data.get("code") for form in forms_)
        first_row: dict[int, int] = {}
        for form in self.forms:
            data = getattr(form, "cleaned_data", {})
            code = data.get("code")
            if not code:
                if data.get("quantity") is not None and "code" not in form.errors:
                    form.add_error("code", "Which item? Enter its SKU or barcode.")
                continue
            form.item = found.get(code)
            if form.item is None:
                form.add_error("code", f"No item has SKU or barcode “{code}”. Check the code.")
                continue
            if not form.is_filled():
                continue
            first = first_row.setdefault(form.item.pk, form.number)
            if first != form.number:
                form.add_error(
                    "code",
                    f"{item_label(form.item)} is on row {first} too: put it on one row.",
                )
        if not self.filled_forms() and not any(self.errors):
            raise forms.ValidationError("Enter a quantity for at least one item.")

    def filled_forms(self) -> list[StockRowForm]:
        """The rows to apply: a code and a quantity (rows without a quantity are left out)."""
        return [form for form in self.forms if form.is_filled()]

    def rows_with_items(self) -> list[StockRowForm]:
        """Rows whose code names an item, filled or not (to show its name and on-hand)."""
        return [form for form in self.forms if form.item is not None]


def _formset(form: type[StockRowForm]) -> type[BaseStockRowFormSet]:
    return forms.formset_factory(
        form,
        formset=BaseStockRowFormSet,
        extra=0,
        max_num=MAX_BATCH_LINES,
        absolute_max=MAX_BATCH_LINES,
        validate_max=True,
    )


AdjustRowFormSet = _formset(StockRowForm)
MoveRowFormSet = _formset(MoveRowForm)
