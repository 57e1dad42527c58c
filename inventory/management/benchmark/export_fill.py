"""Filling stock for the export benchmark (PostgreSQL only), set-based: a million items and a
million balances in seconds, where the write path would take many minutes.

Two locations: EXPORT-SMALL holds the first `small` items, EXPORT-LARGE all `large`. Each
balance gets its opening stock as one ledger line of an absolute import (2000 lines per
adjustment, as the API takes them), so the ledger replays cleanly against the balances
(`inventory.stock.audit.find_ledger_discrepancies()` finds nothing) and each location's history has
exactly as many lines as it has balances. Settings vary from row to row (safety stock,
warning level, in stock, bin) and are written with the balances, without a settings
adjustment: the audit checks quantities, and no export reads how the settings came to be.
"""

from django.db import connection, transaction
from django.utils import timezone

from inventory.management.benchmark.ledger_fill import bulk_load, reserve_ids
from inventory.models import MAX_BATCH_LINES, Adjustment, AdjustmentLine, Balance, Item
from inventory.sql import table
from locations.models import Location

SKU_PREFIX = "EXPORT-"
SMALL_CODE = "EXPORT-SMALL"
LARGE_CODE = "EXPORT-LARGE"
FIRST_VARIANT_ID = 20_000_000  # clear of the ids other benchmark sections give their items

# Names carry a comma, so every row of the export is quoted as a real catalogue's would be.
# Each item is a product of its own, so any UUID unique to it is its product's (the uuid5 that
# Item.save derives has no SQL form in PostgreSQL without an extension).
INSERT_ITEMS = """
INSERT INTO {item} (sku, product_id, variant_id, name, barcode, tracking, uuid, product_uuid,
                    created_at, updated_at)
SELECT %(prefix)s || lpad(n::text, 7, '0'), %(first)s + n, %(first)s + n,
       'Export item ' || n || ', blue', '', 'variant', gen_random_uuid(), gen_random_uuid(),
       %(now)s, %(now)s
FROM generate_series(0, %(count)s - 1) AS n
"""

INSERT_ADJUSTMENTS = """
INSERT INTO {adjustment} (id, transaction_id, kind, reason_code, reason, reference, source,
                          created_at)
SELECT %(first_adjustment)s + k, gen_random_uuid(), 'absolute', 'stock_count',
       'Opening stock (benchmark)', '', 'import', %(now)s
FROM generate_series(0, %(adjustments)s - 1) AS k
"""

# Item n of the fill is the one with variant id FIRST_VARIANT_ID + n (a unique index range).
INSERT_STOCK = """
WITH fresh AS (
    SELECT id AS item_id, variant_id - %(first)s AS n, 1 + (variant_id - %(first)s) %% 500 AS qty
    FROM {item} WHERE variant_id >= %(first)s AND variant_id < %(first)s + %(count)s
), lines AS (
    INSERT INTO {line} (id, adjustment_id, item_id, location_id, quantity_before,
                        quantity_after, delta, created_at)
    SELECT %(first_line)s + n, %(first_adjustment)s + n / {per_adjustment}, item_id,
           %(location)s, 0, qty, qty, %(now)s
    FROM fresh
)
INSERT INTO {balance} (item_id, location_id, quantity, safety_stock, warning_level, is_in_stock,
                       bin_picking_number, updated_at)
SELECT item_id, %(location)s, qty, n %% 7, 5 + n %% 20, n %% 50 <> 0,
       'A-' || n %% 100 || '-' || n %% 10, %(now)s
FROM fresh
"""


def fill_export_stock(*, small: int, large: int) -> tuple[Location, Location]:
    """Items and stock for both locations (once per database); returns (small, large)."""
    locations = []
    for code, count in ((SMALL_CODE, small), (LARGE_CODE, large)):
        location, created = Location.objects.get_or_create(
            code=code, defaults={"label": f"Export store ({count:,} balances)"}
        )
        if created:
            _ensure_items(large)
            _stock(location, count)
        locations.append(location)
    return locations[0], locations[1]


def _ensure_items(count: int) -> None:
    if Item.objects.filter(sku__startswith=SKU_PREFIX).exists():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            INSERT_ITEMS.format(item=table(Item)),
            {"prefix": SKU_PREFIX, "first": FIRST_VARIANT_ID, "count": count, "now": _now()},
        )


def _stock(location: Location, count: int) -> None:
    adjustments = -(-count // MAX_BATCH_LINES)
    names = {
        "item": table(Item),
        "adjustment": table(Adjustment),
        "line": table(AdjustmentLine),
        "balance": table(Balance),
        "per_adjustment": MAX_BATCH_LINES,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # As ledger_fill: writers wait, and nobody takes ids from the reserved ranges.
        cursor.execute(
            f"LOCK TABLE {names['adjustment']}, {names['line']}, {names['balance']}"
            " IN SHARE ROW EXCLUSIVE MODE"
        )
        params = {
            "first": FIRST_VARIANT_ID,
            "count": count,
            "location": location.pk,
            "now": _now(),
            "adjustments": adjustments,
            "first_adjustment": reserve_ids(cursor, Adjustment, adjustments),
            "first_line": reserve_ids(cursor, AdjustmentLine, count),
        }
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # see ledger_fill
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(INSERT_ADJUSTMENTS.format(**names), params)
        with bulk_load(cursor, AdjustmentLine), bulk_load(cursor, Balance):
            cursor.execute(INSERT_STOCK.format(**names), params)


def _now():
    return timezone.now()


def analyze_items() -> None:
    """Fresh planner statistics for the item table (ledger_fill.vacuum_analyze does the rest)."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table(Item)}")
