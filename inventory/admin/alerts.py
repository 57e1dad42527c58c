"""Low-stock alerts in the back office: a read-only list (open first), filtered by state, kind,
location and date, narrowed to the user's locations like every stock page; and a summary of
the open ones at the top of the admin's home page, where a manager looks first."""

from django.contrib import admin
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from inventory.admin.notices import HiddenStockNoticeMixin
from inventory.models import LowStockAlert
from inventory.selectors import hidden_by_blind_counts
from locations.admin import HiddenIsNotFoundMixin, VisibleLocationFilter
from locations.selectors import User, locations_visible_to, sees_all_locations

Kind = LowStockAlert.Kind


def alerts_visible_to(user: User) -> QuerySet[LowStockAlert]:
    """Alerts at the locations whose stock `user` may see (not of an item a blind count is
    counting: an alert gives on-hand away)."""
    alerts = LowStockAlert.objects.select_related(
        "balance__item", "balance__location", "opened_by", "closed_by"
    ).exclude(hidden_by_blind_counts(user, prefix="balance__"))
    if sees_all_locations(user):
        return alerts
    return alerts.filter(balance__location__in=locations_visible_to(user))


def open_alert_counts(user: User) -> dict[str, int]:
    """Open alerts `user` may see, by kind, in one query: {"low": n, "out": m, "total": n+m}."""
    if not user.has_perm("inventory.view_lowstockalert"):
        return {"low": 0, "out": 0, "total": 0}
    counts = (
        alerts_visible_to(user)
        .filter(closed_at__isnull=True)
        .order_by()
        .aggregate(
            low=Count("pk", filter=Q(kind=Kind.LOW)), out=Count("pk", filter=Q(kind=Kind.OUT))
        )
    )
    return {**counts, "total": counts["low"] + counts["out"]}


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("open", "Open"), ("closed", "Closed")]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


class AlertLocationFilter(VisibleLocationFilter):
    location_field = "balance__location_id"


@admin.register(LowStockAlert)
class LowStockAlertAdmin(HiddenStockNoticeMixin, HiddenIsNotFoundMixin, admin.ModelAdmin):
    list_display = [
        "alert",
        "sku",
        "item_name",
        "location_code",
        "on_hand_now",
        "at_opening",
        "opened",
        "opened_by_link",
        "closed",
    ]
    list_display_links = ["alert"]
    list_filter = [AlertStateFilter, "kind", AlertLocationFilter, "opened_at"]
    search_fields = ["balance__item__sku", "=balance__item__barcode", "balance__item__name"]
    search_help_text = "SKU, barcode or item name"
    fields = [
        "balance_link",
        "kind",
        "opened_at",
        "opened_by_link",
        "opened_quantity",
        "warning_level",
        "out_of_stock_at",
        "out_of_stock_by",
        "closed_at",
        "closed_by_link",
        "closed_quantity",
    ]
    readonly_fields = fields
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[LowStockAlert]:
        return alerts_visible_to(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the write path opens alerts

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {"open_alerts": open_alert_counts(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description="alert", ordering="kind")
    def alert(self, alert: LowStockAlert) -> str:
        return alert.get_kind_display()

    @admin.display(description="at opening")
    def at_opening(self, alert: LowStockAlert) -> str:
        level = f" (warn at {alert.warning_level})" if alert.warning_level else ""
        return f"{alert.opened_quantity}{level}"

    @admin.display(description="opened", ordering="opened_at")
    def opened(self, alert: LowStockAlert) -> str:
        return _when(alert.opened_at)

    @admin.display(description="closed", ordering="closed_at")
    def closed(self, alert: LowStockAlert) -> str:
        return _when(alert.closed_at) if alert.closed_at else "open"

    @admin.display(description="SKU", ordering="balance__item__sku")
    def sku(self, alert: LowStockAlert) -> str:
        return alert.balance.item.sku

    @admin.display(description="item")
    def item_name(self, alert: LowStockAlert) -> str:
        return alert.balance.item.name

    @admin.display(description="location", ordering="balance__location__code")
    def location_code(self, alert: LowStockAlert) -> str:
        return alert.balance.location.code

    @admin.display(description="on-hand now")
    def on_hand_now(self, alert: LowStockAlert) -> int:
        return alert.balance.quantity

    @admin.display(description="balance")
    def balance_link(self, alert: LowStockAlert) -> str:
        url = reverse("admin:inventory_balance_change", args=[alert.balance_id])
        return format_html('<a href="{}">{}</a>', url, str(alert.balance))

    @admin.display(description="opened by")
    def opened_by_link(self, alert: LowStockAlert) -> str:
        return _adjustment_link(alert.opened_by)

    @admin.display(description="closed by")
    def closed_by_link(self, alert: LowStockAlert) -> str:
        return _adjustment_link(alert.closed_by) if alert.closed_at else "-"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _adjustment_link(adjustment) -> str:
    if adjustment is None:
        return "sync_low_stock_alerts"
    url = reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
    return format_html(
        '<a href="{}">{} · {}</a>',
        url,
        adjustment.get_kind_display(),
        adjustment.short_id,
    )


# The home page lists the open alerts above the apps (the template extends admin/index.html,
# so any other override of it still applies).
admin.site.index_template = "admin/inventory/lowstockalert/admin_index.html"
