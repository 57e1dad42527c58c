from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse

from inventory.admin.adjust_forms import AdjustRowFormSet, AdjustStockForm, StockRowForm
from inventory.admin.stock_rows import StockRowsPage
from inventory.models import Adjustment
from inventory.stock import LineInput


def adjust_stock(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """The admin's "Adjust stock" page: set or add quantities of one or many items at a
    location. Prefilled by `?location=ID` with `?sku=SKU` (repeatable) or `?items=ID,ID`."""
    return AdjustPage(request, model_admin).respond()


class AdjustPage(StockRowsPage):
    title = "Adjust stock"
    template = "admin/inventory/balance/adjust.html"
    header_class = AdjustStockForm
    rows_class = AdjustRowFormSet
    source_field = "location"
    source_param = "location"
    change = "adjust"
    quantity_label = "Quantity"
    doing = "adjust it"

    def kind(self, header: AdjustStockForm) -> Adjustment.Kind | None:
        return header.kind if "mode" in header.cleaned_data else None

    def line(self, header: AdjustStockForm, form: StockRowForm) -> LineInput:
        data = form.cleaned_data
        return LineInput(
            location_id=header.cleaned_data["location"].pk,
            item_id=form.item.pk,
            quantity=data["quantity"],
            expected_quantity=data.get("expected_quantity"),
        )

    def changes_nothing(self, header: AdjustStockForm, quantity: int, on_hand: int) -> str:
        if "mode" not in header.cleaned_data:
            return ""
        if header.sets and quantity == on_hand:
            return f"On-hand here is already {on_hand}: setting it changes nothing."
        if not header.sets and quantity == 0:
            return "Adding 0 changes nothing."
        return ""

    def needs_on_hand(self, header: AdjustStockForm, form: StockRowForm) -> bool:
        # Setting overwrites whatever happened meanwhile (a sale in another tab): a row must
        # carry the on-hand its reader saw, which the page's script looks up as they type.
        # Without the script, the page shows it first and asks to apply again.
        return (
            "mode" in header.cleaned_data
            and header.sets
            and form.cleaned_data.get("expected_quantity") is None
        )

    def done(self, header: AdjustStockForm, adjustment: Adjustment, count: int) -> str:
        items = "1 item" if count == 1 else f"{count} items"
        place = header.cleaned_data["location"].label
        return f"Stock adjusted at {place}: {items} (transaction {adjustment.short_id})."
