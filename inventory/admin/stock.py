"""Balances in the back office: the stock list (filters, search, totals, what is moving), a
balance's settings and its history chart, and the adjust, move and lookup screens it links to."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from inventory.admin import adjust, dashboards, lookup, move
from inventory.admin.notices import HiddenStockNoticeMixin
from inventory.admin.paging import CappedCountPaginator
from inventory.models import Adjustment, Balance, Stocktake
from inventory.models.stock import StockLevel, stock_level
from inventory.reports.balance_search import search_balances
from inventory.reports.balance_totals import balance_totals
from inventory.reports.dashboard import BELOW_WARNING, OUT_OF_STOCK
from inventory.reports.moving_stock import (
    attach_quantities,
    moving_of,
    moving_stock,
)
from inventory.reports.stock_history import balance_history
from inventory.reports.visibility import balances_visible_to
from inventory.stock import update_balance_settings
from inventory.stocktakes.blind_counts import blind_counts_hiding_items
from locations.admin import HiddenIsNotFoundMixin, VisibleLocationFilter, title_by_location
from locations.selectors import locations_visible_to


class StockLevelFilter(admin.SimpleListFilter):
    """Low and out of stock as the alerts and the dashboards count them (inventory.alerts)."""

    title = "stock level"
    parameter_name = "stock"

    def lookups(self, request, model_admin):
        return [
            ("below_warning", "Low (below warning level)"),
            ("out", "Out of stock"),
            ("in", "In stock"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "below_warning":
            return queryset.filter(BELOW_WARNING)
        if self.value() == "out":
            return queryset.filter(OUT_OF_STOCK)
        if self.value() == "in":
            return queryset.filter(quantity__gt=0)
        return queryset


class BalanceSettingsForm(forms.ModelForm):
    """A balance's settings change goes through the write path, which refuses a location that
    is switched off: say so on the form, not as an error page after saving."""

    def clean(self):
        data = super().clean()
        location = self.instance.location
        if not location.enabled:
            raise ValidationError(
                f"{location} is switched off: turn it on under Locations before changing stock"
                " settings there."
            )
        return data


# A phone's card shows "Out" only (inventory/static/inventory/admin_lists.css).
STOCK_FLAGS = {
    StockLevel.OK: "",
    StockLevel.LOW: mark_safe('<span class="stock-flag low">Low</span>'),
    StockLevel.OUT: mark_safe('<span class="stock-flag out">Out<span> of stock</span></span>'),
}


def stock_flag(balance: Balance) -> str:
    """The words (in colour too) for a low or out-of-stock balance, by the rule the alerts
    follow; empty for any other."""
    return STOCK_FLAGS[stock_level(balance.quantity, balance.warning_level)]


class BalanceChangeList(ChangeList):
    """The balance list: each page's stock on its way, fetched once for the page's balances."""

    def get_results(self, request):
        super().get_results(request)
        # Evaluates the page's queryset: the rows rendered are the ones that carry `.moving`.
        attach_quantities(self.result_list)


def _moving_figure(balance: Balance, quantity: int) -> str:
    """A figure of stock on its way, linked to the balance's page that explains it."""
    if not quantity:
        return format_html('<span class="quiet">{}</span>', "0")
    url = reverse("admin:inventory_balance_change", args=[balance.pk])
    return format_html('<a href="{}#moving-stock">{}</a>', url, f"{quantity:,}")


@admin.register(Balance)
class BalanceAdmin(HiddenStockNoticeMixin, HiddenIsNotFoundMixin, admin.ModelAdmin):
    form = BalanceSettingsForm
    list_display = [
        "sku",
        "item_name",
        "location_name",
        "on_hand",
        "available",
        "incoming",
        "in_transit_out",
        "safety",
        "warn_at",
        "bin",
        "history_link",
    ]
    list_select_related = ["item", "location"]
    list_filter = [VisibleLocationFilter, StockLevelFilter, "is_in_stock"]
    search_fields = ["item__sku", "=item__barcode", "item__name"]
    fields = [
        "item",
        "location",
        "quantity",
        "safety_stock",
        "warning_level",
        "is_in_stock",
        "bin_picking_number",
        "updated_at",
    ]
    readonly_fields = ["item", "location", "quantity", "updated_at"]
    actions = ["adjust_selected"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator

    def get_queryset(self, request: HttpRequest) -> QuerySet[Balance]:
        return balances_visible_to(request.user)

    def get_changelist(self, request, **kwargs):
        return BalanceChangeList

    def get_search_results(self, request, queryset, search_term):
        return search_balances(queryset, search_term), False

    def list_title(self, request: HttpRequest) -> str:
        return title_by_location(request, "Stock levels", "Stock at {}")

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        # Not a redirect: totals of every page the filters list, when they are few enough to
        # add up on each view (past the paginator's cap, summing would cost as much as the
        # catalogue is big; the template says how to narrow the list instead).
        if changelist is not None and not changelist.paginator.capped:
            response.context_data["totals"] = balance_totals(changelist.queryset)
        return response

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # balances appear when stock is first adjusted

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A balance a blind count hides: back to the list, which says why, not a 404."""
        if self._hidden_balance(request, object_id) is not None:
            return HttpResponseRedirect(reverse("admin:inventory_balance_changelist"))
        return super().change_view(request, object_id, form_url, extra_context)

    @staticmethod
    def _hidden_balance(request: HttpRequest, object_id: str) -> Stocktake | None:
        """The open blind count that hides this balance from the user, if any."""
        if not str(object_id).isdigit():
            return None
        visible = Balance.objects.filter(location__in=locations_visible_to(request.user))
        balance = visible.filter(pk=int(object_id)).values("item_id", "location_id").first()
        if balance is None:
            return None
        hidden = blind_counts_hiding_items(
            request.user, location_id=balance["location_id"], item_ids=[balance["item_id"]]
        )
        return hidden.get(balance["item_id"])

    def has_delete_permission(self, request: HttpRequest, obj: Balance | None = None) -> bool:
        return False

    @admin.display(description="SKU", ordering="item__sku")
    def sku(self, balance: Balance) -> str:
        return balance.item.sku

    @admin.display(description="name", ordering="item__name")
    def item_name(self, balance: Balance) -> str:
        return balance.item.name

    @admin.display(description="location", ordering="location__label")
    def location_name(self, balance: Balance) -> str:
        return balance.location.label

    @admin.display(description="on-hand", ordering="quantity")
    def on_hand(self, balance: Balance) -> str:
        """Low and out-of-stock balances say so in words, not only in colour; the words come
        first so the numbers of the column stay aligned."""
        flag = stock_flag(balance)
        if not flag:
            return f"{balance.quantity:,}"
        return format_html("{} <strong>{}</strong>", flag, f"{balance.quantity:,}")

    @admin.display(description="available", ordering=F("quantity") - F("safety_stock"))
    def available(self, balance: Balance) -> str:
        return f"{balance.available_to_sell:,}"

    @admin.display(description="in transit out")
    def in_transit_out(self, balance: Balance) -> str:
        """Shipped from here and not yet received: explained per transfer on its page."""
        return _moving_figure(balance, moving_of(balance).in_transit_out)

    @admin.display(description="incoming")
    def incoming(self, balance: Balance) -> str:
        """In transit to here, and expected from suppliers."""
        return _moving_figure(balance, moving_of(balance).incoming)

    @admin.display(description="safety", ordering="safety_stock")
    def safety(self, balance: Balance) -> str:
        return f"{balance.safety_stock:,}"

    @admin.display(description="warn at", ordering="warning_level")
    def warn_at(self, balance: Balance) -> str:
        return f"{balance.warning_level:,}"

    @admin.display(description="bin", ordering="bin_picking_number")
    def bin(self, balance: Balance) -> str:
        return balance.bin_picking_number

    @admin.display(description="history")
    def history_link(self, balance: Balance) -> str:
        return format_html('<a href="{}">History</a>', self.history_link_url(balance))

    @staticmethod
    def history_link_url(balance: Balance) -> str:
        url = reverse("admin:inventory_adjustmentline_changelist")
        return f"{url}?{urlencode({'item': balance.item_id, 'location': balance.location_id})}"

    def save_model(self, request, obj, form, change):
        # Settings changes go through the write path too, so the history records them.
        update_balance_settings(
            balance=obj,
            changes={name: form.cleaned_data[name] for name in form.changed_data},
            actor=request.user,
            source=Adjustment.Source.ADMIN,
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["moving"] = moving_stock(
                item_id=obj.item_id, location_id=obj.location_id, user=request.user
            )
            history = balance_history(obj, range_key=dashboards.chart_range_of(request))
            context |= dashboards.history_context(
                request, history, full_history_url=self.history_link_url(obj)
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        adjust = path(
            "adjust/",
            self.admin_site.admin_view(self.adjust_view),
            name="inventory_balance_adjust",
        )
        # The stock forms: adjust, move, and the item lookup their rows use.
        forms = [
            path(
                "move/", self.admin_site.admin_view(self.move_view), name="inventory_balance_move"
            ),
            path(
                "lookup/",
                self.admin_site.admin_view(lookup.lookup_item),
                name="inventory_balance_lookup",
            ),
        ]
        dashboards = path(
            "dashboard/",
            self.admin_site.admin_view(self.dashboard_index_view),
            name="inventory_dashboard",
        )
        dashboard = path(
            "dashboard/<int:location_id>/",
            self.admin_site.admin_view(self.location_dashboard_view),
            name="inventory_dashboard_location",
        )
        return [adjust, *forms, dashboards, dashboard, *super().get_urls()]

    def adjust_view(self, request: HttpRequest) -> HttpResponse:
        return adjust.adjust_stock(request, model_admin=self)

    def move_view(self, request: HttpRequest) -> HttpResponse:
        return move.move_stock(request, model_admin=self)

    def dashboard_index_view(self, request: HttpRequest) -> HttpResponse:
        return dashboards.dashboard_index(request, model_admin=self)

    def location_dashboard_view(self, request: HttpRequest, location_id: int) -> HttpResponse:
        return dashboards.location_dashboard_view(request, location_id, model_admin=self)

    @admin.action(description="Adjust the selected stock", permissions=["adjust"])
    def adjust_selected(self, request: HttpRequest, queryset: QuerySet[Balance]):
        location_ids = {balance.location_id for balance in queryset}
        if len(location_ids) != 1:
            self.message_user(
                request, "Select stock of one location to adjust it together.", messages.ERROR
            )
            return None
        query = urlencode(
            {
                "location": location_ids.pop(),
                "items": ",".join(str(balance.item_id) for balance in queryset),
            }
        )
        return HttpResponseRedirect(f"{reverse('admin:inventory_balance_adjust')}?{query}")

    def has_adjust_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("inventory.adjust_stock")
