"""The scale section's fill, set-based (`generate_series`; secondary indexes and foreign keys
dropped and built again, as `ledger_fill` does): items, and their balances at every location,
each with one ledger line, the absolute adjustment that set it, so the ledger stays whole
(`verify_ledger` finds nothing). Those adjustments are dated over the year before the fill, as
a ledger grows."""

from datetime import timedelta

from django.db import connection, transaction

from inventory.management.benchmark.ledger_fill import bulk_load, reserve_ids
from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.sql import table
from locations.models import Location

SKU_PREFIX = "SCALE-"
FIRST_ID = 20_000_000  # product and variant ids, clear of the other sections'

SPREAD = timedelta(days=365)
# When adjustment k of the fill was made (k counts from 0, the oldest).
DATED = "%(at)s - %(spread)s * (1 - ({k})::float8 / %(adjustments)s)"
LINES_PER_ADJUSTMENT = 100

# Items n in [start, stop): a SKU that sorts by n, a name with a word a search can find, and
# one item in a hundred with a barcode.
INSERT_ITEMS = """
INSERT INTO {item} (sku, product_id, variant_id, name, barcode, tracking, uuid, created_at,
                    updated_at, product_uuid, zettle_tracking)
SELECT %(prefix)s || lpad(n::text, 7, '0'), %(first_id)s + n, %(first_id)s + n,
       'Scale item ' || n || ' ' || (ARRAY['red', 'blue', 'green', 'black', 'white'])[1 + n %% 5],
       CASE WHEN n %% 100 = 0 THEN (400000000000 + n)::text ELSE '' END,
       'variant', gen_random_uuid(), now(), now(), gen_random_uuid(), true
FROM generate_series(%(start)s, %(stop)s - 1) AS n
"""

# Items [start, stop) at every location: on hand 0 for one balance in 40 (out of stock), below the
# warning level of 5 for one in 10; the ledger line of the absolute adjustment that set it.
# The adjustments are dated evenly over the SPREAD before the fill, oldest first, as a ledger
# grows: a day then holds what a busy store writes in a day, not the whole catalogue.
FILL_BALANCES = """
WITH fresh AS (
    SELECT i.id AS item_id, l.id AS location_id,
           row_number() OVER (ORDER BY i.id, l.id) - 1 AS k,
           CASE WHEN (i.id + l.id) %% 40 = 0 THEN 0 ELSE (i.id * 7 + l.id * 13) %% 50 END
               AS quantity
    FROM {item} AS i CROSS JOIN unnest(%(locations)s::bigint[]) AS l(id)
    WHERE i.sku >= %(first_sku)s AND i.sku < %(stop_sku)s AND i.sku LIKE %(like)s
), lines AS (
    INSERT INTO {line} (id, adjustment_id, item_id, location_id, quantity_before,
                        quantity_after, delta, created_at)
    SELECT %(first_line)s + k, %(first_adjustment)s + k / {per_adjustment}, item_id,
           location_id, 0, quantity, quantity, {dated}
    FROM fresh
)
INSERT INTO {balance} (item_id, location_id, quantity, safety_stock, warning_level, is_in_stock,
                       bin_picking_number, updated_at)
SELECT item_id, location_id, quantity, 0, 5, true, '', {dated} FROM fresh
"""

INSERT_ADJUSTMENTS = """
INSERT INTO {adjustment} (id, transaction_id, kind, reason_code, reason, reference, source,
                          created_at)
SELECT %(first_adjustment)s + k, gen_random_uuid(), 'absolute', 'received', 'Opening stock',
       '', 'import', {dated_adjustment}
FROM generate_series(0, %(adjustments)s - 1) AS k
"""


def fill(items: int, locations: list[Location]) -> int:
    """Grow the catalogue to `items` items, each with a balance at every location and that
    balance's ledger line; returns how many items were added."""
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        existing = Item.objects.filter(sku__startswith=SKU_PREFIX).count()
        if existing >= items:
            return 0
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        with bulk_load(cursor, Item):
            cursor.execute(
                INSERT_ITEMS.format(item=table(Item)),
                {"prefix": SKU_PREFIX, "first_id": FIRST_ID, "start": existing, "stop": items},
            )
        with bulk_load(cursor, AdjustmentLine), bulk_load(cursor, Balance):
            _stock(cursor, locations, existing, items)
    _analyze(Item, Balance, Adjustment, AdjustmentLine)
    return items - existing


def stock_store(location: Location, items: int) -> None:
    """A store holding the catalogue's first `items` items, its opening stock written and dated
    as the fill's (a store counted whole has held its stock for a while). The indexes are kept:
    rebuilding them over ten million balances would cost more than the rows."""
    with transaction.atomic(), connection.cursor() as cursor:
        _lock(cursor)
        _stock(cursor, [location], 0, items)
    _analyze(Balance, Adjustment, AdjustmentLine)


def _lock(cursor) -> None:
    cursor.execute(
        f"LOCK TABLE {table(Adjustment)}, {table(AdjustmentLine)}, {table(Balance)}"
        " IN SHARE ROW EXCLUSIVE MODE"
    )
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def _stock(cursor, locations: list[Location], start: int, stop: int) -> None:
    """Items [start, stop) at each of `locations`: their balances, ledger lines, adjustments."""
    names = {
        "item": table(Item),
        "balance": table(Balance),
        "line": table(AdjustmentLine),
        "adjustment": table(Adjustment),
        "per_adjustment": LINES_PER_ADJUSTMENT,
        "dated": DATED.format(k=f"k / {LINES_PER_ADJUSTMENT}"),
        "dated_adjustment": DATED.format(k="k"),
    }
    balances = (stop - start) * len(locations)
    adjustments = -(-balances // LINES_PER_ADJUSTMENT)
    cursor.execute("SELECT now()")
    now = cursor.fetchone()[0]
    params = {
        "locations": [location.pk for location in locations],
        "first_sku": f"{SKU_PREFIX}{start:07d}",
        "stop_sku": f"{SKU_PREFIX}{stop:07d}",
        "like": f"{SKU_PREFIX}%",
        "first_line": reserve_ids(cursor, AdjustmentLine, balances),
        "first_adjustment": reserve_ids(cursor, Adjustment, adjustments),
        "adjustments": adjustments,
        "at": now,
        "spread": SPREAD,
    }
    cursor.execute(INSERT_ADJUSTMENTS.format(**names), params)
    cursor.execute(FILL_BALANCES.format(**names), params)


def _analyze(*models) -> None:
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"VACUUM (ANALYZE) {table(model)}")
