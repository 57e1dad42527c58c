"""Admin change lists on a phone: each cell of a row carries its column's name (data-label), so
the phone layout (inventory/static/inventory/admin_lists.css) can show a row as a card of
labelled values instead of a table that scrolls sideways. And a balance's low or out-of-stock
flag, for the balance page, and counts that stop at a cap, for the dashboards."""

import re

from django import template
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from inventory.admin import stock as admin_stock
from inventory.sql import COUNT_CAP

register = template.Library()

# Django's items_for_result renders every cell as "<td ...>" or "<th ...>" (the link column).
CELL_TAG = re.compile(r"^\s*<(td|th)\b")
CHECKBOX_COLUMN = "action-checkbox-column"


@register.filter
def labelled_cells(cells, headers) -> list[SafeString]:
    """The rendered cells of one row, each with `data-label` naming its column (empty for the
    selection checkbox, which names itself)."""
    return [
        _with_label(cell, "" if is_checkbox_column(header) else column_name(header))
        for cell, header in zip(cells, headers, strict=False)
    ]


def _with_label(cell: str, label: str) -> SafeString:
    attribute = f' data-label="{escape(label)}"'
    # Safe: `cell` is the admin's own escaped HTML and the label is escaped above.
    return mark_safe(CELL_TAG.sub(lambda match: f"<{match[1]}{attribute}", str(cell), count=1))


def column_name(header: dict) -> str:
    return capfirst(strip_tags(str(header["text"])).strip())


@register.filter
def stock_flag(balance) -> str:
    return admin_stock.stock_flag(balance)


@register.filter
def capped(count: int) -> str:
    """A count from `selectors.capped_count`, grouped in thousands: past the cap, "more than"
    the cap, which is all that was counted."""
    if count > COUNT_CAP:
        return f"more than {COUNT_CAP:,}"
    return f"{count:,}"


@register.filter
def is_checkbox_column(header: dict) -> bool:
    return CHECKBOX_COLUMN in header["class_attrib"]
