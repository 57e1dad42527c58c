"""Items in the back office: the item form (item_form), its stock per location with what is on
its way, and its history chart."""

from django.contrib import admin
from django.http import (
    HttpRequest,
)
from django.urls import reverse
from django.utils.http import urlencode

from inventory.admin import dashboards, item_form
from inventory.models import Balance, Item
from inventory.movements.selectors import named_quantities
from inventory.reports.moving_stock import (
    NOTHING,
    moving_by_location,
)
from inventory.reports.stock_history import item_history
from inventory.reports.visibility import balances_visible_to


class BalanceInline(admin.TabularInline):
    """The item's stock per location, with what is on its way (an instance serves one request:
    the item's quantities are fetched once for all its rows)."""

    model = Balance
    fields = [
        "location",
        "quantity",
        "available",
        "incoming",
        "in_transit_out",
        "safety_stock",
        "warning_level",
        "bin_picking_number",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    found: dict | None = None

    def get_queryset(self, request):
        return balances_visible_to(request.user)

    def _moving(self, balance: Balance):
        if self.found is None:
            self.found = named_quantities([balance.item_id], None)
        return self.found.get((balance.item_id, balance.location_id), NOTHING)

    @admin.display(description="available to sell")
    def available(self, balance: Balance) -> str:
        return f"{balance.available_to_sell:,}"

    @admin.display(description="in transit out")
    def in_transit_out(self, balance: Balance) -> str:
        return f"{self._moving(balance).in_transit_out:,}"

    @admin.display(description="incoming")
    def incoming(self, balance: Balance) -> str:
        return f"{self._moving(balance).incoming:,}"

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    form = item_form.ItemForm
    radio_fields = {"tracking": admin.HORIZONTAL}
    list_display = ["sku", "name", "barcode", "product_id", "variant_id", "tracking"]
    list_filter = ["tracking", "zettle_tracking"]
    search_fields = ["sku", "=barcode", "name"]
    readonly_fields = item_form.IDENTIFIERS
    inlines = [BalanceInline]

    def get_fieldsets(self, request: HttpRequest, obj: Item | None = None):
        return item_form.item_fieldsets(obj)

    def get_inlines(self, request: HttpRequest, obj: Item | None):
        # An item nobody has stocked yet (a new one, always) has no stock table to show.
        stocked = obj is not None and balances_visible_to(request.user).filter(item=obj).exists()
        return self.inlines if stocked else []

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            history = item_history(
                obj, user=request.user, range_key=dashboards.chart_range_of(request)
            )
            url = reverse("admin:inventory_adjustmentline_changelist")
            context |= dashboards.history_context(
                request, history, full_history_url=f"{url}?{urlencode({'item': obj.pk})}"
            )
            context["moving_by_location"] = moving_by_location(obj, request.user)
        return super().render_change_form(request, context, add, change, form_url, obj)
