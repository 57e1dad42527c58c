"""The admin's "Move stock" page: units of one or more items from one location to another, at
once (an instant transfer, as the API's POST /inventory/transfers)."""

from django.contrib.admin import ModelAdmin
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.http import urlencode

from inventory.admin.adjust_forms import MoveRowFormSet, MoveStockForm, StockRowForm
from inventory.admin.stock_rows import StockRowsPage
from inventory.models import Adjustment
from inventory.stock import LineInput
from locations.models import Location


def move_stock(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """Prefilled by `?from=ID` with `?sku=SKU` (repeatable) or `?items=ID,ID`, and `?to=ID`."""
    return MovePage(request, model_admin).respond()


class MovePage(StockRowsPage):
    title = "Move stock"
    template = "admin/inventory/balance/move.html"
    header_class = MoveStockForm
    rows_class = MoveRowFormSet
    source_field = "from_location"
    source_param = "from"
    change = "move"
    quantity_label = "Move"
    doing = "move it"

    def destination(self, header: MoveStockForm) -> Location | None:
        return header.cleaned_data.get("to_location")

    def kind(self, header: MoveStockForm) -> Adjustment.Kind:
        # Without a destination yet, the rows are still checked at the source: taking units
        # out of it is a relative change there, under the same rules as a transfer's first end.
        if self.destination(header) is None:
            return Adjustment.Kind.RELATIVE
        return Adjustment.Kind.TRANSFER

    def line(self, header: MoveStockForm, form: StockRowForm) -> LineInput:
        data = form.cleaned_data
        destination = self.destination(header)
        return LineInput(
            location_id=header.cleaned_data["from_location"].pk,
            to_location_id=destination.pk if destination is not None else None,
            item_id=form.item.pk,
            quantity=data["quantity"] if destination is not None else -data["quantity"],
            expected_quantity=data.get("expected_quantity"),
        )

    def initial_header(self, query: QueryDict, source: Location | None) -> dict:
        return {"from_location": source, "to_location": self._visible(query.get("to"))}

    def again_url(self, header: MoveStockForm) -> str:
        data = header.cleaned_data
        query = urlencode({"from": data["from_location"].pk, "to": data["to_location"].pk})
        return f"{self.request.path}?{query}"

    def blocked(self) -> str:
        if self.locations.filter(enabled=True).count() >= 2:
            return ""
        return (
            "Moving stock takes two locations you work at, and you work at one. Ask a manager"
            " to move it for you, or adjust stock at your location."
        )

    def done(self, header: MoveStockForm, adjustment: Adjustment, count: int) -> str:
        items = "1 item" if count == 1 else f"{count} items"
        source = header.cleaned_data["from_location"].label
        destination = header.cleaned_data["to_location"].label
        return f"Moved {items} from {source} to {destination} (transaction {adjustment.short_id})."
