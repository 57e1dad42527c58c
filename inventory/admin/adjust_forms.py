import uuid

from django import forms
from django.db.models import Q, QuerySet

from inventory.errors import AdjustmentRejected, LineError
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, Adjustment, Item
from inventory.stock import LineInput
from inventory.stock.messages import for_people
from locations.models import Location


class AdjustStockForm(forms.Form):
    """The header of the "Adjust stock" page: where, how and why."""

    MODE_SET = "set"
    MODE_ADD = "add"

    location = forms.ModelChoiceField(queryset=Location.objects.none())
    mode = forms.ChoiceField(
        choices=[
            (MODE_SET, "Set on-hand to the quantity (a count)"),
            (MODE_ADD, "Add the quantity to on-hand (negative to remove)"),
        ],
        initial=MODE_SET,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        max_length=1000, help_text="Shown in the history, e.g. “Damaged in transit”."
    )
    # One token per opened form. Sent as the idempotency key, so a second submission of the
    # same form (double click, browser resend) replays the first instead of applying twice.
    submission_token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, locations: QuerySet[Location], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations.filter(enabled=True)

    @property
    def kind(self) -> Adjustment.Kind:
        if self.cleaned_data["mode"] == self.MODE_SET:
            return Adjustment.Kind.ABSOLUTE
        return Adjustment.Kind.RELATIVE


class AdjustLineForm(forms.Form):
    """One item of the adjustment. `expected_quantity` is the on-hand shown when the form was
    opened; the service compares it under the lock to catch changes made in the meantime."""

    code = forms.CharField(label="SKU or barcode", max_length=255, required=False)
    quantity = forms.IntegerField(required=False, min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY)
    expected_quantity = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def is_filled(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return bool(data.get("code")) and data.get("quantity") is not None


class BaseAdjustLineFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        filled = [form for form in self.forms if form.is_filled()]
        if not filled:
            raise forms.ValidationError("Enter a quantity for at least one item.")
        for form in self.forms:
            data = form.cleaned_data
            if data.get("quantity") is not None and not data.get("code"):
                form.add_error("code", "Which item? Enter its SKU or barcode.")
        codes = {form.cleaned_data["code"] for form in filled}
        items = Item.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes))
        self.items_by_code = {item.sku: item for item in items}
        self.items_by_code.update({item.barcode: item for item in items if item.barcode})
        for form in filled:
            if form.cleaned_data["code"] not in self.items_by_code:
                form.add_error("code", f"No item has SKU or barcode “{form.cleaned_data['code']}”.")

    def filled_forms(self) -> list[AdjustLineForm]:
        return [form for form in self.forms if form.is_filled()]

    def line_inputs(self, location: Location) -> list[LineInput]:
        return [
            LineInput(
                location_id=location.pk,
                item_id=self.items_by_code[form.cleaned_data["code"]].pk,
                quantity=form.cleaned_data["quantity"],
                expected_quantity=form.cleaned_data.get("expected_quantity"),
            )
            for form in self.filled_forms()
        ]

    def add_service_errors(self, error: AdjustmentRejected) -> None:
        """Show each of the service's line errors on the row it came from, in a person's words
        (rows counted as the page shows them: blank rows are not sent)."""
        rows = self.filled_forms()
        row_number = {id(form): number for number, form in enumerate(self.forms, start=1)}
        sentences = for_people(error.errors, line_number=lambda i: row_number[id(rows[i])])
        for line_error, sentence in zip(error.errors, sentences, strict=True):
            if line_error.index is None:
                self._non_form_errors.append(sentence)
            else:
                rows[line_error.index].add_error(_form_field(line_error), sentence)


def _form_field(line_error: LineError) -> str | None:
    if line_error.field == "quantity":
        return "quantity"
    if line_error.field in ("sku", "variant_id", "product_id", "item_id"):
        return "code"
    return None  # location or staleness: about the row as a whole


AdjustLineFormSet = forms.formset_factory(
    AdjustLineForm,
    formset=BaseAdjustLineFormSet,
    extra=0,
    max_num=MAX_BATCH_LINES,
    absolute_max=MAX_BATCH_LINES,
    validate_max=True,
)
