"""Stocktake: applying a counted stocktake of a whole location through `apply_stocktake`, against
the same number of lines applied as one absolute batch through `apply_adjustment`. Both end in
the same write; the stocktake adds the count-time rule (counted + movements since the count,
read from the ledger) and its bookkeeping, and should cost little more."""

import statistics
import time

from django.contrib.auth import get_user_model
from django.utils import timezone

from inventory.management.benchmark.context import Context
from inventory.management.benchmark.report import Row
from inventory.management.benchmark.timing import settled_heap
from inventory.models import Adjustment, Item, StocktakeLine
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes.services import (
    apply_stocktake,
    approve_stocktake,
    start_stocktake,
    submit_stocktake,
)
from locations.models import Location

LINES = 5000
QUICK_LINES = 500
RUNS = 5  # 5,000-line applies take a while: a few runs, after one warm-up pair
SKU_PREFIX = "COUNT-"
LOCATION_CODE = "COUNT-BENCH"
FIRST_VARIANT_ID = 8_000_000  # clear of the ids other benchmark sections give their items


def run(context: Context) -> list[Row]:
    size = QUICK_LINES if context.quick else LINES
    location = Location.objects.create(code=LOCATION_CODE, label="Stocktake benchmark store")
    item_ids = _items(size)
    actor = get_user_model().objects.create_superuser("stocktake-benchmark", "", None)
    absolute, stocktake = [], []
    # Turns alternate, so both figures see the same load from elsewhere and the same ledger size.
    for turn in range(1 + min(context.repeat, RUNS)):
        on_hand = 50 + 2 * turn  # every turn changes every line, twice
        absolute_ms = _absolute_ms(location, item_ids, on_hand)
        stocktake_ms = _stocktake_ms(location, item_ids, actor, counted=on_hand + 1)
        if turn:  # the first turn warms up
            absolute.append(absolute_ms)
            stocktake.append(stocktake_ms)
    return [
        Row(
            "stocktake",
            f"apply a counted {size:,}-line stocktake, median",
            statistics.median(stocktake),
            "ms",
            floor=statistics.median(absolute),
            floor_measure=f"{size:,}-line absolute batch through the service",
            target="<= 1.5",
            note="whole location counted, every line off by one; only the apply is timed",
        )
    ]


def _items(count: int) -> list[int]:
    Item.objects.bulk_create(
        Item(
            sku=f"{SKU_PREFIX}{n:05d}",
            name=f"Counted item {n}",
            product_id=FIRST_VARIANT_ID + n,
            variant_id=FIRST_VARIANT_ID + n,
        )
        for n in range(count)
    )
    return list(
        Item.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku").values_list("pk", flat=True)
    )


def _absolute_ms(location: Location, item_ids: list[int], quantity: int) -> float:
    lines = [LineInput(location_id=location.pk, item_id=pk, quantity=quantity) for pk in item_ids]
    with settled_heap():
        started = time.perf_counter()
        apply_adjustment(
            kind=Adjustment.Kind.ABSOLUTE,
            lines=lines,
            reason="Benchmark",
            source=Adjustment.Source.IMPORT,
            max_lines=None,  # as the stocktake's own apply
        )
        return (time.perf_counter() - started) * 1000


def _stocktake_ms(location: Location, item_ids: list[int], actor, *, counted: int) -> float:
    """Start, count (in bulk: the counting itself is not what is measured), submit and, if the
    variances ask for it, approve; then time the apply alone."""
    stocktake = start_stocktake(location=location, actor=actor)
    now = timezone.now()
    StocktakeLine.objects.bulk_create(
        StocktakeLine(
            stocktake=stocktake,
            item_id=pk,
            counted_quantity=counted,
            counted_at=now,
            counted_by=actor,
            expected_quantity=counted - 1,  # on-hand when counted, as count_item records it
        )
        for pk in item_ids
    )
    stocktake = submit_stocktake(stocktake=stocktake, actor=actor)
    if stocktake.needs_approval:
        stocktake = approve_stocktake(stocktake=stocktake, actor=actor)
    with settled_heap():
        started = time.perf_counter()
        apply_stocktake(stocktake=stocktake, actor=actor)
        return (time.perf_counter() - started) * 1000
