"""Scale, stocktakes: a whole-location count of a store holding 1,000 items and of one holding
100,000 (the catalogue the scale section filled), through the running server where a person
would wait on a page: starting the count, previewing a CSV file that counts every item (time
per 1,000 rows: a preview reads each row), its count page with every item counted, its review
while the store goes on selling, and applying it against the same number of lines applied as
one absolute batch through the service (the stocktake section's floor, at this size)."""

import statistics
import time
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from inventory.management.benchmark import stocktake as applying
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.pages import KeptAliveClient, Page, page_medians
from inventory.management.benchmark.report import Row
from inventory.management.benchmark.scale_fill import SKU_PREFIX, stock_store
from inventory.models import Adjustment, Balance, Item, StocktakeLine
from inventory.sql import table
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes.csv_upload import preview_upload
from inventory.stocktakes.services import (
    cancel_stocktake,
    start_stocktake,
    submit_stocktake,
)
from locations.models import Location

SMALL, LARGE, QUICK_LARGE = 1_000, 100_000, 20_000
STARTS = 15  # a start takes milliseconds: enough samples for a steady median
PREVIEWS = 3
SALES = 20
APPLY_TURNS = 2  # after one warm-up turn: each 100,000-line apply takes seconds


@dataclass(frozen=True)
class Counted:
    """One size's figures, in ms."""

    items: int
    start: float
    count_page: float
    preview: float  # per 1,000 rows
    review_page: float
    apply: float
    absolute: float


def sizes(context: Context) -> tuple[int, int]:
    return SMALL, QUICK_LARGE if context.quick else LARGE


def measure(context: Context, client: KeptAliveClient, items: int) -> Counted:
    """A new store with the first `items` items of the catalogue in stock, counted whole."""
    location = Location.objects.create(
        code=f"COUNT-{items}", label=f"Count store of {items:,} items"
    )
    item_ids = list(
        Item.objects.filter(sku__startswith=SKU_PREFIX)
        .order_by("sku")
        .values_list("pk", flat=True)[:items]
    )
    actor = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    stock_store(location, items)
    start = _start_ms(location, actor)
    stocktake = start_stocktake(location=location, actor=actor)
    preview = _preview_ms(stocktake, item_ids) * 1000 / items
    _count_everything(stocktake, actor)
    admin = {"Cookie": context.admin_cookie}
    repeat = context.repeat
    count_page = Page("count", reverse("stocktakes:count", args=[stocktake.pk]), admin)
    count_ms = page_medians(client, [count_page], repeat=repeat)["count"]
    stocktake = submit_stocktake(stocktake=stocktake, actor=actor)
    _sell(location)
    review_page = Page("review", reverse("stocktakes:review", args=[stocktake.pk]), admin)
    review_ms = page_medians(client, [review_page], repeat=repeat)["review"]
    cancel_stocktake(stocktake=stocktake, actor=actor)
    absolute, stocktake_apply = [], []
    for turn in range(1 + APPLY_TURNS):  # turns alternate, as in the stocktake section
        absolute_ms = applying._absolute_ms(location, item_ids, 50 + 2 * turn)
        apply_ms = applying._stocktake_ms(location, item_ids, actor, counted=51 + 2 * turn)
        if turn:
            absolute.append(absolute_ms)
            stocktake_apply.append(apply_ms)
    return Counted(
        items=items,
        start=start,
        count_page=count_ms,
        preview=preview,
        review_page=review_ms,
        apply=statistics.median(stocktake_apply),
        absolute=statistics.median(absolute),
    )


def rows(small: Counted, large: Counted) -> list[Row]:
    floor = f"same at {small.items:,} items"
    whole = f"a whole-location count of {large.items:,} items"

    def row(name: str, value: float, at_small: float, note: str) -> Row:
        return Row("scale", name, value, "ms", at_small, floor, "<= 1.5", note)

    return [
        row("stocktake, start", large.start, small.start, f"{whole} (the service)"),
        row("stocktake, count page", large.count_page, small.count_page, "every item counted"),
        row("stocktake, review page", large.review_page, small.review_page, "its first page"),
        row(
            f"stocktake, CSV count preview of {large.items:,} rows, per 1,000 rows",
            large.preview,
            small.preview,
            "one row per item, read and checked whole (the service); a preview reads every row",
        ),
        Row(
            "scale",
            f"stocktake, apply {large.items:,} counted lines",
            large.apply,
            "ms",
            floor=large.absolute,
            floor_measure=f"{large.items:,}-line absolute batch through the service",
            target="<= 1.5",
            note="every line off by one; only the apply is timed",
        ),
    ]


def _start_ms(location: Location, actor) -> float:
    """Median time to start a whole-location count (each cancelled again: one open count per
    item and location)."""
    times = []
    for _ in range(STARTS):
        started = time.perf_counter()
        stocktake = start_stocktake(location=location, actor=actor)
        times.append((time.perf_counter() - started) * 1000)
        cancel_stocktake(stocktake=stocktake, actor=actor)
    return statistics.median(times)


def _preview_ms(stocktake, item_ids: list[int]) -> float:
    """Median time to preview a file counting every item (`sku,counted`), as uploaded."""
    skus = Item.objects.filter(pk__in=item_ids).order_by("sku").values_list("sku", flat=True)
    data = "sku,counted\n" + "".join(f"{sku},{n % 50}\n" for n, sku in enumerate(skus))
    times = []
    for _ in range(PREVIEWS):
        started = time.perf_counter()
        preview_upload(stocktake=stocktake, data=data.encode(), mode="replace")
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _count_everything(stocktake, actor) -> None:
    """Every item counted one over its on-hand, in one statement (how the counting is done is
    not what is measured)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(StocktakeLine)} (stocktake_id, item_id, counted_quantity,"
            " counted_at, counted_by_id, expected_quantity, left_out)"
            f" SELECT %s, item_id, quantity + 1, %s, %s, quantity, false FROM {table(Balance)}"
            " WHERE location_id = %s",
            [stocktake.pk, timezone.now(), actor.pk, stocktake.location_id],
        )
    # Counted in one go here, over hours in a store: autovacuum has long since visited the
    # lines a count page reads (its counts are index-only scans that need the visibility map).
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table(StocktakeLine)}")


def _sell(location: Location) -> None:
    """The store goes on selling while the count waits for review: SALES one-unit sales, as
    many at either size (a store's trade, not its catalogue)."""
    in_stock = Balance.objects.filter(location=location, quantity__gt=0).order_by("item_id")
    items = list(in_stock.values_list("item_id", flat=True))
    for item_id in items[:: max(1, len(items) // SALES)][:SALES]:
        apply_adjustment(
            kind=Adjustment.Kind.RELATIVE,
            source=Adjustment.Source.API,
            lines=[LineInput(location_id=location.pk, item_id=item_id, quantity=-1)],
            reason="Sale",
        )
