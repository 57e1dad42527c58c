"""History at scale: the first page of the stock history, and pages found by its search (one SKU,
part of a SKU, a reference, a short transaction id) and its filters (a reason and a range of
days), in the admin and in the API, timed through the running server with a small ledger and
again after it has grown a hundredfold. Each figure is the time with the big ledger over the
time with the small one: reading history must cost the same however long the history is."""

from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode

from django.utils import timezone

from inventory.management.benchmark.context import Context
from inventory.management.benchmark.ledger_fill import (
    BUSY_EVERY,
    busy_sku,
    fill_ledger,
    vacuum_analyze,
)
from inventory.management.benchmark.pages import KeptAliveClient, Page, page_medians
from inventory.management.benchmark.report import Row
from inventory.models import Adjustment, AdjustmentLine

SCALES = (10_000, 1_000_000)
QUICK_SCALES = (2_000, 20_000)
ADMIN_HISTORY = "/admin/inventory/adjustmentline/"
API_HISTORY = "/api/v3/inventory/adjustments"
SAMPLES_PER_REPEAT = 3  # pages are quick: more samples steady a ratio of two noisy medians


def run(context: Context) -> list[Row]:
    small, large = QUICK_SCALES if context.quick else SCALES
    fill_ledger(small)  # the searched transaction is one of this fill's (see _pages)
    pages = _pages(context, busy_sku())
    client = KeptAliveClient(context.base_url)
    at_small = _measure(context, client, pages, small)
    at_large = _measure(context, client, pages, large)
    return [
        Row(
            "history",
            f"{page.name}, {at_large.lines:,} ledger lines",
            at_large.ms[page.name],
            "ms",
            floor=at_small.ms[page.name],
            floor_measure=f"same page at {at_small.lines:,} lines",
            target="<= 1.5",
            note=_note(page, at_small, at_large),
        )
        for page in pages
    ]


def _pages(context: Context, sku: str) -> list[Page]:
    admin = {"Cookie": context.admin_cookie}
    api = {"X-Auth-Token": context.token, "Accept": "application/json"}
    busy = f"{sku}, a busy item with 1 line in {BUSY_EVERY}"
    # One transaction of the small ledger, in its middle: as old among a million lines as a
    # customer's order of last month is, found by what its reader has at hand.
    fill = Adjustment.objects.filter(reference__startswith="ORDER-").order_by("id")
    searched = fill[fill.count() // 2]
    today = timezone.localdate()
    month = {"reason": "damaged", "since": today - timedelta(days=30), "until": today}

    def admin_page(name: str, query: dict, lists: str, note: str) -> Page:
        return Page(name, f"{ADMIN_HISTORY}?{urlencode(query)}", admin, lists, note)

    # What only a listed line shows (the search box shows what was typed).
    sku_cell = f'title="Only this item">{sku}</a>'

    return [
        Page("admin history, first page", ADMIN_HISTORY, admin),
        # The admin's search box: a SKU finds that item's lines, part of one its items'.
        admin_page("admin history, one SKU", {"q": sku}, sku_cell, busy),
        admin_page(
            "admin history, part of a SKU", {"q": sku[:-1]}, sku_cell, f"{sku[:-1]}: 10 items"
        ),
        admin_page(
            "admin history, a reference",
            {"q": searched.reference},
            f">{searched.short_id}</a>",
            "one transaction's reference (words of notes and references)",
        ),
        admin_page(
            "admin history, a short id",
            {"q": searched.short_id},
            f"Ref. {searched.reference}",
            "the short transaction id the list shows",
        ),
        admin_page(
            "admin history, a reason over 30 days",
            month,
            '<span class="reason-code">Damaged</span>',
            "reason damaged (1 transaction in 4), from/to dates",
        ),
        Page("API history, first page", API_HISTORY, api),
        Page("API history, one SKU", f"{API_HISTORY}?sku:in={sku}", api, sku, busy),
    ]


@dataclass(frozen=True)
class _Scale:
    lines: int  # ledger lines when measured
    busy_lines: int  # of which the busy SKU's
    ms: dict[str, float]  # median per page name


def _measure(context: Context, client: KeptAliveClient, pages: list[Page], lines: int) -> _Scale:
    """Grow the ledger to `lines` (other sections may already have written more), check that
    every page answers what it should, then time them."""
    fill_ledger(lines)
    vacuum_analyze()
    for page in pages:
        body = client.get(page.path, page.headers)
        if page.lists and page.lists.encode() not in body:
            raise RuntimeError(f"{page.path} does not list {page.lists}")
    return _Scale(
        lines=AdjustmentLine.objects.count(),
        busy_lines=AdjustmentLine.objects.filter(item__sku=busy_sku()).count(),
        ms=page_medians(client, pages, repeat=context.repeat * SAMPLES_PER_REPEAT),
    )


def _note(page: Page, small: _Scale, large: _Scale) -> str:
    if page.note.startswith(busy_sku()):
        return f"{page.note}: {small.busy_lines:,} lines, then {large.busy_lines:,}"
    return page.note
