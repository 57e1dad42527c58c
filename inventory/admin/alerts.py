"""Low-stock alerts in the back office: a read-only list (open first), filtered by state, kind,
location and date, narrowed to the user's locations like every stock page. Each alert says what
it is about (the item, the location, on-hand now, the level it crossed), what was done about it
(acknowledged by whom, or resolved by which change), and links to adjusting or moving the item.
A manager acknowledges alerts with the list's action, from the list or from an alert's page."""

from django.contrib import admin, messages
from django.db.models import QuerySet, Value
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from inventory.admin import stock_links
from inventory.admin.notices import HiddenStockNoticeMixin
from inventory.alerts import acknowledge_alerts, alerts_visible_to, open_alert_counts
from inventory.models import Adjustment, LowStockAlert
from locations.admin import HiddenIsNotFoundMixin, VisibleLocationFilter

Kind = LowStockAlert.Kind
ACKNOWLEDGE = "inventory.acknowledge_lowstockalert"
NOTE_LENGTH = LowStockAlert._meta.get_field("acknowledgement_note").max_length


class AlertStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("open", "Open"),
            ("new", "Open, not acknowledged"),
            ("acknowledged", "Open, acknowledged"),
            ("closed", "Resolved"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(closed_at__isnull=True)
        if self.value() == "new":
            return queryset.filter(closed_at__isnull=True, acknowledged_at__isnull=True)
        if self.value() == "acknowledged":
            return queryset.filter(closed_at__isnull=True, acknowledged_at__isnull=False)
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


class AlertLocationFilter(VisibleLocationFilter):
    location_field = "balance__location_id"


@admin.register(LowStockAlert)
class LowStockAlertAdmin(HiddenStockNoticeMixin, HiddenIsNotFoundMixin, admin.ModelAdmin):
    list_display = [
        "item",
        "location_name",
        "alert",
        "on_hand_now",
        "crossed",
        "opened",
        "state",
        "next_step",
    ]
    list_display_links = ["item"]
    list_filter = [AlertStateFilter, "kind", AlertLocationFilter, "opened_at"]
    search_fields = ["balance__item__sku", "=balance__item__barcode", "balance__item__name"]
    search_help_text = "SKU, barcode or item name"
    fields = [
        "item",
        "location_name",
        "alert",
        "on_hand_now",
        "crossed",
        "opened",
        "opened_by_link",
        "state",
        "next_step",
    ]
    readonly_fields = fields
    actions = ["acknowledge_selected"]
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[LowStockAlert]:
        # Each row carries what its reader may open, so its cells link only there (a cell is
        # given the row alone).
        user = request.user
        return alerts_visible_to(user).annotate(
            reader_adjusts=Value(user.has_perm(stock_links.PERMISSION)),
            reader_sees_changes=Value(user.has_perm("inventory.view_adjustment")),
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the write path opens alerts

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # acknowledging is the list's action; the rest is the write path's

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def get_fields(self, request: HttpRequest, obj: LowStockAlert | None = None):
        if obj is not None and not obj.is_open:
            return [name for name in self.fields if name != "next_step"]
        return self.fields

    def has_acknowledge_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(ACKNOWLEDGE)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"open_alerts": open_alert_counts(request.user), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            "may_acknowledge": self.has_acknowledge_permission(request),
            "note_length": NOTE_LENGTH,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            item, location = obj.balance.item, obj.balance.location
            context["title"] = f"{obj.get_kind_display()}: {item} at {location.label}"
            context["subtitle"] = None  # the title says it
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.action(description="Acknowledge the selected alerts", permissions=["acknowledge"])
    def acknowledge_selected(self, request: HttpRequest, queryset: QuerySet[LowStockAlert]):
        """First a page that lists the alerts and asks for an optional note; then, posted
        from it (or from an alert's own page), the acknowledgement."""
        if request.POST.get("confirm") != "yes":
            return self._confirm_acknowledge(request, queryset)
        note = request.POST.get("note", "").strip()[:NOTE_LENGTH]
        selected = list(queryset.values_list("pk", flat=True))
        done = acknowledge_alerts(alert_ids=selected, actor=request.user, note=note)
        self.message_user(request, _acknowledged_message(done, len(selected)), messages.SUCCESS)
        if request.POST.get("back_to_alert") and len(selected) == 1:
            url = reverse("admin:inventory_lowstockalert_change", args=[selected[0]])
            return HttpResponseRedirect(url)
        return None

    def _confirm_acknowledge(self, request: HttpRequest, queryset: QuerySet[LowStockAlert]):
        alerts = list(queryset.filter(closed_at__isnull=True, acknowledged_at__isnull=True))
        context = {
            **self.admin_site.each_context(request),
            "title": "Acknowledge alerts",
            "opts": self.model._meta,
            "alerts": [(alert, self.item(alert), self.location_name(alert)) for alert in alerts],
            "skipped": queryset.count() - len(alerts),
            "note_length": NOTE_LENGTH,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/inventory/lowstockalert/acknowledge.html", context)

    @admin.display(description="item", ordering="balance__item__sku")
    def item(self, alert: LowStockAlert) -> str:
        item = alert.balance.item
        return format_html("<strong>{}</strong> {}", item.sku, item.name)

    @admin.display(description="location", ordering="balance__location__label")
    def location_name(self, alert: LowStockAlert) -> str:
        return alert.balance.location.label

    @admin.display(description="alert", ordering="kind")
    def alert(self, alert: LowStockAlert) -> str:
        return format_html(
            '<span class="alert-kind alert-{}">{}</span>', alert.kind, alert.get_kind_display()
        )

    @admin.display(description="on hand now", ordering="balance__quantity")
    def on_hand_now(self, alert: LowStockAlert) -> int:
        return alert.balance.quantity

    @admin.display(description="level crossed")
    def crossed(self, alert: LowStockAlert) -> str:
        """The level the balance went under: its warning level, or zero."""
        if alert.kind == Kind.OUT:
            return "down to 0"
        return f"below {alert.warning_level}"

    @admin.display(description="opened", ordering="opened_at")
    def opened(self, alert: LowStockAlert) -> str:
        return _when(alert.opened_at)

    @admin.display(description="what was done")
    def state(self, alert: LowStockAlert) -> str:
        parts = []
        if alert.is_acknowledged:
            parts.append(
                format_html(
                    "Acknowledged by {}, {}{}",
                    alert.acknowledged_by,
                    _when(alert.acknowledged_at),
                    format_html(": “{}”", alert.acknowledgement_note)
                    if alert.acknowledgement_note
                    else "",
                )
            )
        if not alert.is_open:
            parts.append(self._resolved(alert))
        elif not alert.is_acknowledged:
            parts.append(format_html('<span class="alert-new">{}</span>', "Not acknowledged"))
        return format_html_join(mark_safe("<br>"), "{}", ((part,) for part in parts))

    def _resolved(self, alert: LowStockAlert) -> str:
        when = _when(alert.closed_at)
        if alert.closed_by is None:  # closed by sync_low_stock_alerts
            return format_html("Resolved {}: stock is back", when)
        return format_html(
            "Resolved {} by {}, on hand {}",
            when,
            _adjustment_link(alert.closed_by, alert.reader_sees_changes),
            alert.closed_quantity,
        )

    @admin.display(description="next step")
    def next_step(self, alert: LowStockAlert) -> str:
        if not alert.is_open or not alert.reader_adjusts:
            return ""
        sku, location_id = alert.balance.item.sku, alert.balance.location_id
        links = [
            ("Adjust", stock_links.adjust_url(sku=sku, location_id=location_id)),
            ("Move", stock_links.move_url(sku=sku, from_location_id=location_id)),
        ]
        return format_html_join(
            " ",
            '<a href="{}" class="button alert-step">{}</a>',
            ((url, label) for label, url in links if url),
        )

    @admin.display(description="opened by")
    def opened_by_link(self, alert: LowStockAlert) -> str:
        if alert.opened_by is None:
            return "A check of every balance (stock was already low)"
        return _adjustment_link(alert.opened_by, alert.reader_sees_changes)


def _acknowledged_message(done: int, selected: int) -> str:
    said = f"Acknowledged {done} alert{'s' if done != 1 else ''}."
    if done == selected:
        return said
    rest = selected - done
    return (
        f"{said} {rest} {'was' if rest == 1 else 'were'} already acknowledged or resolved; "
        "nothing changed for them."
    )


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _adjustment_link(adjustment: Adjustment, reader_sees_changes: bool) -> str:
    what = f"{adjustment.get_kind_display().lower()} change {adjustment.short_id}"
    if not reader_sees_changes:
        return what
    url = reverse("admin:inventory_adjustment_change", args=[adjustment.pk])
    return format_html('<a href="{}">{}</a>', url, what)
