"""The stock history list's columns. Each cell carries a class of its own (`field-<name>`), by
which history.css lays a row out as a table row on a desk and as a card on a phone."""

from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from inventory.models import Adjustment, AdjustmentLine

HISTORY_URL_NAME = "admin:inventory_adjustmentline_changelist"


def reason_html(adjustment: Adjustment) -> SafeString:
    """Why stock changed: the reason's name, the note, the reference; each only when given."""
    parts = []
    if adjustment.reason_code:
        parts.append(("reason-code", adjustment.get_reason_code_display()))
    if adjustment.reason:
        parts.append(("reason-note", adjustment.reason))
    if adjustment.reference:
        parts.append(("reason-reference", f"Ref. {adjustment.reference}"))
    if not parts:
        return format_html('<span class="quiet">{}</span>', "No reason given")
    return format_html_join(" ", '<span class="{}">{}</span>', parts)


class HistoryColumns:
    """list_display methods of the history list: when, item, location, change, on-hand, why,
    who, kind, transaction."""

    @admin.display(description="when", ordering="created_at")
    def when(self, line: AdjustmentLine) -> str:
        return formats.date_format(timezone.localtime(line.created_at), "DATETIME_FORMAT")

    @admin.display(description="item")
    def item_sku_name(self, line: AdjustmentLine) -> SafeString:
        # The SKU narrows the list to this item's history.
        url = f"{reverse(HISTORY_URL_NAME)}?{urlencode({'item': line.item_id})}"
        return format_html(
            '<a class="sku" href="{}" title="Only this item">{}</a> <span class="name">{}</span>',
            url,
            line.item.sku,
            line.item.name,
        )

    @admin.display(description="location")
    def location_name(self, line: AdjustmentLine) -> str:
        return line.location.label or line.location.code

    @admin.display(description="change")
    def change(self, line: AdjustmentLine) -> SafeString:
        direction = "up" if line.delta > 0 else "down" if line.delta < 0 else "none"
        text = f"{line.delta:+,}" if line.delta else "±0"
        return format_html('<span class="{}">{}</span>', direction, text)

    @admin.display(description="on hand")
    def on_hand(self, line: AdjustmentLine) -> SafeString:
        return format_html(
            '<span class="before">{} →</span> <span class="after">{}</span>',
            f"{line.quantity_before:,}",
            f"{line.quantity_after:,}",
        )

    @admin.display(description="reason")
    def why(self, line: AdjustmentLine) -> SafeString:
        return reason_html(line.adjustment)

    @admin.display(description="by")
    def by(self, line: AdjustmentLine) -> str:
        return line.adjustment.made_by

    @admin.display(description="kind")
    def kind(self, line: AdjustmentLine) -> SafeString:
        adjustment = line.adjustment
        return format_html(
            '{} <span class="source">· {}</span>',
            adjustment.get_kind_display(),
            adjustment.get_source_display(),
        )

    @admin.display(description="transaction")
    def transaction(self, line: AdjustmentLine) -> SafeString:
        url = reverse("admin:inventory_adjustment_change", args=[line.adjustment_id])
        return format_html(
            '<a href="{}" title="The whole transaction">{}</a>', url, line.adjustment.short_id
        )

    @admin.display(description="transaction")
    def transaction_id_text(self, line: AdjustmentLine) -> str:
        """For a reader who may not open transactions: the id without a link."""
        return line.adjustment.short_id
