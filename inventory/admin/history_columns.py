"""The stock history list's columns. Each cell carries a class of its own (`field-<name>`), by
which history.css lays a row out as a table row on a desk and as a card on a phone."""

import re
from urllib.parse import urlencode

from django.contrib import admin
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from inventory.models import Adjustment, AdjustmentLine
from inventory.reports.moving_stock import DOCUMENT_JOINS, Document, document_of

__all__ = ["DOCUMENT_JOINS", "HistoryColumns", "document_of", "reason_html"]

HISTORY_URL_NAME = "admin:inventory_adjustmentline_changelist"


def reason_html(adjustment: Adjustment, reader=None) -> SafeString:
    """Why stock changed: the reason's name, the note, the reference; each only when given.
    A transfer's or supplier receipt's number links to its page (for a reader who may open
    it): in the note that names it, else after the rest."""
    document = document_of(adjustment, reader)
    parts = []
    if adjustment.reason_code:
        parts.append(
            format_html('<span class="reason-code">{}</span>', adjustment.get_reason_code_display())
        )
    named = _split_at(adjustment.reason, document.number) if document else None
    if named is not None:
        before, after = named
        parts.append(
            format_html(
                '<span class="reason-note">{}{}{}</span>', before, _document_html(document), after
            )
        )
    elif adjustment.reason:
        parts.append(format_html('<span class="reason-note">{}</span>', adjustment.reason))
    # A reference that is only the document's number says nothing the link does not.
    if adjustment.reference and not (document and adjustment.reference == document.number):
        parts.append(
            format_html('<span class="reason-reference">{}</span>', f"Ref. {adjustment.reference}")
        )
    if document is not None and named is None:
        parts.append(_document_html(document))
    if not parts:
        return format_html('<span class="quiet">{}</span>', "No reason given")
    return mark_safe(" ".join(parts))  # every part is format_html's, escaped


def note_html(adjustment: Adjustment, document: Document | None) -> SafeString:
    """The note alone (the history charts' latest adjustments), its document's number linked
    in it, or after it when it does not name the document."""
    note = adjustment.reason
    named = _split_at(note, document.number) if document else None
    if named is not None:
        return format_html("{}{}{}", named[0], _document_html(document), named[1])
    text = note or "(no reason given)"
    if document is None:
        return format_html("{}", text)
    return format_html("{} · {}", text, _document_html(document))


def _split_at(note: str, number: str) -> tuple[str, str] | None:
    """The note before and after the word `number`, or None when it does not name it."""
    found = re.search(rf"(?<!\S){re.escape(number)}(?!\S)", note)
    if found is None:
        return None
    return note[: found.start()], note[found.end() :]


def _document_html(document: Document) -> SafeString:
    if not document.url:
        return format_html('<span class="reason-document">{}</span>', document.number)
    return format_html('<a class="reason-document" href="{}">{}</a>', document.url, document.number)


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
        return reason_html(line.adjustment, getattr(line, "reader", None))

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
