"""Forms of the stocktake pages. They validate what the user typed; the services decide."""

import re
import uuid

from django import forms
from django.db.models import Q, QuerySet

from inventory.models import MAX_QUANTITY, Item
from locations.models import Location

MAX_UPLOAD_BYTES = 4 * 1024 * 1024  # a whole store's count, 100,000 rows, with room to spare
UPLOAD_MODES = [
    ("replace", "Replace counts: each row sets that item's count"),
    ("add", "Add to counts: each row adds to what was already counted"),
]


class TokenForm(forms.Form):
    """A write form rendered once: its token lets a second submission (double click, browser
    resend) be recognised and answered with the first one's result instead of acting twice."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)


class StartForm(TokenForm):
    """Start a count: where, what, and how."""

    WHOLE = "whole"
    SUBSET = "subset"

    location = forms.ModelChoiceField(queryset=Location.objects.none(), empty_label=None)
    scope = forms.ChoiceField(
        label="Count",
        choices=[(WHOLE, "The whole location"), (SUBSET, "Only some items")],
        initial=WHOLE,
        widget=forms.RadioSelect,
    )
    codes = forms.CharField(
        label="Items",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text="SKUs or barcodes, one per line or separated by commas.",
    )
    blind = forms.BooleanField(
        label="Blind count",
        label_suffix="",
        required=False,
        help_text="Counters do not see the expected quantities.",
    )
    zero_uncounted = forms.BooleanField(
        label="Set uncounted items to zero",
        label_suffix="",
        required=False,
        help_text="On apply, items nobody counted are set to 0, keeping what arrived after the "
        "count started (whole-location counts only).",
    )

    def __init__(self, *args, locations: QuerySet[Location], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = locations.filter(enabled=True).order_by("label")

    def clean(self) -> dict:
        data = super().clean()
        data["items"] = None
        if data.get("scope") != self.SUBSET:
            return data
        if data.get("zero_uncounted"):
            self.add_error(
                "zero_uncounted", "Only a count of the whole location can zero uncounted items."
            )
        codes = parse_codes(data.get("codes", ""))
        if not codes:
            self.add_error("codes", "List the SKUs or barcodes of the items to count.")
            return data
        items = Item.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes))
        by_code = {item.sku: item for item in items}
        by_code.update({item.barcode: item for item in items if item.barcode})
        unknown = [code for code in codes if code not in by_code]
        if unknown:
            self.add_error(
                "codes",
                f"No item has SKU or barcode {', '.join(unknown[:20])}"
                + (f" (and {len(unknown) - 20} more)" if len(unknown) > 20 else "")
                + ".",
            )
            return data
        chosen = {}
        for code in codes:
            chosen.setdefault(by_code[code].pk, by_code[code])
        data["items"] = list(chosen.values())
        return data


def parse_codes(text: str) -> list[str]:
    """Codes typed or pasted one per line or comma separated, in order, each once."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\n\r\t]+", text or ""):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


class ScanForm(forms.Form):
    """One scan (adds one) or one typed count (sets the count). Not tokened: every scan of the
    same code is meant to add one more."""

    code = forms.CharField(
        label="Scan or type SKU / barcode",
        max_length=255,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "autocapitalize": "off",
                "spellcheck": "false",
                "enterkeyhint": "send",
            }
        ),
        error_messages={"required": "Scan or type a SKU or barcode first."},
    )
    quantity = forms.IntegerField(
        label="Count",
        required=False,
        min_value=0,
        max_value=MAX_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "placeholder": "+1"}),
        help_text="Leave empty to add one; type a number to set the count.",
    )
    add = forms.TypedChoiceField(
        choices=[("1", "1"), ("-1", "-1")],
        coerce=int,
        required=False,
        empty_value=1,
        widget=forms.HiddenInput,
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip()


class UploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns sku,counted or barcode,counted, with that header row.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    mode = forms.ChoiceField(choices=UPLOAD_MODES, widget=forms.RadioSelect, initial="replace")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is too large (at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB)."
            )
        return upload


class ConfirmUploadForm(TokenForm):
    """The preview's confirm button: it names the file kept when it was previewed (with the
    mode chosen then), and does not carry the file back."""

    upload = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class LineIdsField(forms.MultipleChoiceField):
    """Line ids ticked on the review page. Which lines they may be is the service's rule (it
    checks them under the count's lock); here they only have to be ids."""

    def valid_value(self, value: str) -> bool:
        # Not isdigit(): "²" is a digit that int() refuses. 18 digits always fit an id.
        return value.isdecimal() and len(value) <= 18

    def clean(self, value) -> list[int]:
        return [int(line_id) for line_id in super().clean(value)]


class ChosenLinesForm(TokenForm):
    """The review's chosen lines, and what the manager tells the counters about them."""

    lines = LineIdsField(
        error_messages={
            "required": "Choose the items first: tick the box by each.",
            "invalid_choice": "Some of the chosen items are not in this count: reload the page.",
        }
    )
    note = forms.CharField(
        label="Note for the counters",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}),
        help_text="Optional: where to look, what to check.",
    )
