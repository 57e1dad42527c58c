"""Admin pages and page parts for stock insight: the history chart on balance and item pages,
and the per-location dashboards (wired into BalanceAdmin.get_urls)."""

from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import mark_safe

from inventory.admin.history_columns import note_html
from inventory.reports.activity import Activity
from inventory.reports.charts import PALETTE, BarSeries, daily_bars_svg, stock_chart_svg
from inventory.reports.dashboard import (
    RECENT_STOCKTAKES,
    dashboard_locations,
    location_dashboard,
)
from inventory.reports.moving_stock import document_of
from inventory.reports.stock_history import RANGES, History, chart_range
from locations.selectors import locations_visible_to


def history_context(request: HttpRequest, history: History, *, full_history_url: str) -> dict:
    """What the change-form templates need to show a history chart and its list."""
    links = []
    for key, (label, _) in RANGES.items():
        query = request.GET.copy()
        query["chart"] = key
        links.append(
            {"label": label, "url": f"?{query.urlencode()}", "current": key == history.range_key}
        )
    for change in history.changes:
        change.why = note_html(change.adjustment, document_of(change.adjustment, request.user))
    series = history.series
    deltas = {(marker.delta > 0) - (marker.delta < 0) for marker in series.markers}
    return {
        # Safe: charts.py escapes every text it puts in the SVG.
        "stock_chart_svg": mark_safe(stock_chart_svg(series)),
        "stock_chart_legend": {
            "up": 1 in deltas,
            "down": -1 in deltas,
            "same": 0 in deltas,
            "bands": bool(series.bands),
            "warning_level": series.warning_level,
        },
        "stock_chart_changes": history.changes,
        "stock_chart_ranges": links,
        "stock_chart_history_url": full_history_url,
    }


def chart_range_of(request: HttpRequest) -> str:
    return chart_range(request.GET.get("chart"))


def dashboard_index(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """Every location the user may see, with its low and out-of-stock counts."""
    _require_view(request, model_admin)
    context = {
        **_admin_context(request, model_admin, "Stock dashboards"),
        "summaries": dashboard_locations(request.user),
    }
    return render(request, "admin/inventory/dashboard/index.html", context)


def location_dashboard_view(
    request: HttpRequest, location_id: int, *, model_admin: ModelAdmin
) -> HttpResponse:
    """One location's dashboard; a location the user may not see does not exist (404)."""
    _require_view(request, model_admin)
    location = locations_visible_to(request.user).filter(pk=location_id).first()
    if location is None:
        raise Http404
    dashboard = location_dashboard(location=location, user=request.user)
    balances = reverse("admin:inventory_balance_changelist")
    context = {
        **_admin_context(request, model_admin, f"Dashboard: {location.label}"),
        "dashboard": dashboard,
        "activity_svg": mark_safe(_activity_svg(dashboard.activity)),
        "activity_legend": _legend(dashboard.activity),
        "below_warning_url": f"{balances}?location={location.pk}&stock=below_warning",
        "out_of_stock_url": f"{balances}?location={location.pk}&stock=out",
        "history_url": f"{reverse('admin:inventory_adjustmentline_changelist')}?location={location.pk}",
        "recent_stocktakes": RECENT_STOCKTAKES,
    }
    return render(request, "admin/inventory/dashboard/location.html", context)


def _require_view(request: HttpRequest, model_admin: ModelAdmin) -> None:
    if not model_admin.has_view_permission(request):
        raise PermissionDenied


def _admin_context(request: HttpRequest, model_admin: ModelAdmin, title: str) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": title,
    }


def _activity_svg(activity: Activity) -> str:
    series = [
        BarSeries(label=label, counts=counts, colour=PALETTE[n])
        for n, (label, counts) in enumerate(activity.by_source.items())
    ]
    return daily_bars_svg(
        days=activity.days, series=series, label="Stock adjustments per day, by source"
    )


def _legend(activity: Activity) -> list[dict]:
    """The sources that made adjustments (all of them on a quiet month)."""
    return [
        {"label": label, "colour": PALETTE[n], "total": sum(counts)}
        for n, (label, counts) in enumerate(activity.by_source.items())
        if sum(counts) or not activity.total
    ]
