"""Filling the ledger fast for benchmarks (PostgreSQL only): a million consistent ledger lines
with set-based SQL, instead of a million lines through the write path (README, Performance:
figures behind the design).

The lines are what `apply_adjustment` would have written, as relative adjustments of 20 lines
each from the API or an import, spread over `ITEMS` items at `LOCATIONS` locations; one busy
item takes every 20th line, so its history grows with the ledger. Each (item, location) chain
starts where it stood (its balance, or 0), `quantity_before` of each line is `quantity_after`
of the previous one, `created_at` increases with the line id, and the balances end at the last
`quantity_after`: `inventory.stock.audit.find_ledger_discrepancies()` finds nothing. Filling again
appends after the existing chains, so a ledger can grow from 10k lines to 1M.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.sql import table
from locations.models import Location

SKU_PREFIX = "HIST-"
LOCATION_PREFIX = "HIST-"
ITEMS = 1000
LOCATIONS = 4
LINES_PER_ADJUSTMENT = 20
BUSY_EVERY = 20  # every 20th line is the busy item's: 5% of the ledger
FIRST_VARIANT_ID = 7_000_000  # clear of the ids other benchmark sections give their items
HISTORY_SPAN = timedelta(days=365)  # how far back a fill into an empty ledger starts

# Line n of this fill is line g = offset + n of all fills: item, location and quantity are
# functions of g, so each fill continues the same pattern. The busy item is items[1]; the
# others are spread by a multiplier coprime with their number. Quantities stay in 10..209.
# Each chain starts where its balance stands now and follows n, which is also the order of the
# ids the lines get (reserved up front, see `reserve_ids`). The chain's last line sets the
# balance, in the same statement (the window has already sorted the lines by chain).
FILL = """
WITH fresh AS (
    SELECT n,
           CASE WHEN g %% {busy_every} = 0 THEN items[1]
                ELSE items[2 + (g * 7919) %% (cardinality(items) - 1)] END AS item_id,
           locations[1 + (g / 3) %% cardinality(locations)] AS location_id,
           10 + ((g * 37) %% 200)::integer AS quantity_after,
           %(start)s + (n / {per_adjustment} + 1) * %(step)s AS created_at
    FROM generate_series(0, %(count)s - 1) AS n,
         LATERAL (SELECT n + %(offset)s::bigint AS g,
                         %(items)s::bigint[] AS items,
                         %(locations)s::bigint[] AS locations) AS pattern
), chained AS (
    SELECT f.*,
           COALESCE(LAG(f.quantity_after) OVER chain, b.quantity, 0) AS quantity_before,
           LEAD(f.n) OVER chain IS NULL AS last
    FROM fresh AS f
    LEFT JOIN {balance} AS b ON b.item_id = f.item_id AND b.location_id = f.location_id
    WINDOW chain AS (PARTITION BY f.item_id, f.location_id ORDER BY f.n)
), lines AS (
    INSERT INTO {line} (id, adjustment_id, item_id, location_id, quantity_before,
                        quantity_after, delta, created_at)
    SELECT %(first_line)s + n, %(first_adjustment)s + n / {per_adjustment}, item_id,
           location_id, quantity_before, quantity_after, quantity_after - quantity_before,
           created_at
    FROM chained
)
INSERT INTO {balance} (item_id, location_id, quantity, safety_stock, warning_level, is_in_stock,
                       bin_picking_number, updated_at)
SELECT item_id, location_id, quantity_after, 0, 0, true, '', created_at FROM chained WHERE last
ON CONFLICT (item_id, location_id)
DO UPDATE SET quantity = EXCLUDED.quantity, updated_at = EXCLUDED.updated_at
"""

# Each adjustment has a reason code (the four in turn), a note and a reference of its own, as
# orders and deliveries give them: the history search looks for words in both. Numbers of one
# width, so that no reference is part of another.
INSERT_ADJUSTMENTS = """
INSERT INTO {adjustment} (id, transaction_id, kind, reason_code, reason, reference, source,
                          created_at)
SELECT id, gen_random_uuid(), 'relative', (ARRAY['sale', 'received', 'returned', 'damaged'])[1 + k %% 4],
       'Benchmark history, order #' || number, 'ORDER-' || number,
       CASE WHEN k %% 4 = 0 THEN 'import' ELSE 'api' END, %(start)s + (k + 1) * %(step)s
FROM generate_series(0, %(adjustments)s - 1) AS k,
     LATERAL (SELECT %(first_adjustment)s + k AS id) AS numbered,
     LATERAL (SELECT lpad(id::text, 8, '0') AS number) AS padded
"""


def fill_ledger(total_lines: int) -> int:
    """Append ledger lines until the ledger holds `total_lines`; returns how many were added.
    Run `vacuum_analyze()` afterwards, before timing queries: the planner's statistics are stale."""
    item_ids = ensure_items()
    location_ids = ensure_locations()
    with transaction.atomic(), connection.cursor() as cursor:
        # Writers wait until the fill commits, so no chain can gain a line in the middle of it
        # and nobody else takes ids from the sequences reserved below.
        cursor.execute(
            f"LOCK TABLE {table(Adjustment)}, {table(AdjustmentLine)}, {table(Balance)}"
            " IN SHARE ROW EXCLUSIVE MODE"
        )
        cursor.execute(f"SELECT count(*), max(created_at) FROM {table(AdjustmentLine)}")
        existing, last_created_at = cursor.fetchone()
        count = total_lines - existing
        if count <= 0:
            return 0
        adjustments = -(-count // LINES_PER_ADJUSTMENT)
        start = last_created_at or timezone.now() - HISTORY_SPAN
        params = {
            "count": count,
            "offset": existing,
            "items": item_ids,
            "locations": location_ids,
            "adjustments": adjustments,
            "first_adjustment": reserve_ids(cursor, Adjustment, adjustments),
            "first_line": reserve_ids(cursor, AdjustmentLine, count),
            # From the last line so far up to now: times increase and none is in the future.
            "start": start,
            "step": (timezone.now() - start) / (adjustments + 1),
        }
        names = {
            "adjustment": table(Adjustment),
            "line": table(AdjustmentLine),
            "balance": table(Balance),
            "busy_every": BUSY_EVERY,
            "per_adjustment": LINES_PER_ADJUSTMENT,
        }
        # Checked as each statement ends: ALTER TABLE (in bulk_load) refuses to run while
        # deferred foreign-key checks are pending on the tables it touches.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        # Sorting a million lines by chain, and rebuilding indexes, in memory.
        cursor.execute("SET LOCAL work_mem = '128MB'")
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        cursor.execute(INSERT_ADJUSTMENTS.format(**names), params)
        with bulk_load(cursor, AdjustmentLine):
            cursor.execute(FILL.format(**names), params)
    return count


@contextmanager
def bulk_load(cursor, model) -> Iterator[None]:
    """PostgreSQL's advice for loading many rows ("Populating a Database"): drop the table's
    secondary indexes and foreign keys, load, then build them again. One index build and one
    set-based foreign-key check cost a fraction of a million index insertions and a million
    per-row checks (README, Performance). The table is locked by the surrounding transaction:
    nobody sees it without them."""
    name = model._meta.db_table
    cursor.execute(
        "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
        " WHERE indrelid = %s::regclass AND NOT indisprimary"
        " AND indexrelid NOT IN (SELECT conindid FROM pg_constraint)",
        [name],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f'",
        [name],
    )
    foreign_keys = cursor.fetchall()
    quoted = connection.ops.quote_name
    for constraint, _ in foreign_keys:
        cursor.execute(f"ALTER TABLE {quoted(name)} DROP CONSTRAINT {quoted(constraint)}")
    for index, _ in indexes:
        cursor.execute(f"DROP INDEX {index}")
    yield
    for _, definition in indexes:
        cursor.execute(definition)
    for constraint, definition in foreign_keys:
        cursor.execute(
            f"ALTER TABLE {quoted(name)} ADD CONSTRAINT {quoted(constraint)} {definition}"
        )


def reserve_ids(cursor, model, count: int) -> int:
    """Take `count` consecutive ids from the model's id sequence; returns the first. The lines
    get their ids explicitly because a chain's order is the order of its ids."""
    sequence = f"pg_get_serial_sequence('{model._meta.db_table}', 'id')"
    cursor.execute(f"SELECT nextval({sequence})")
    first = cursor.fetchone()[0]
    cursor.execute(f"SELECT setval({sequence}, %s)", [first + count - 1])
    return first


def vacuum_analyze() -> None:
    """After a fill, what autovacuum would soon do: fresh planner statistics, and a visibility
    map that lets index-only scans skip the table. Done now, so that autovacuum does not do it
    in the middle of a measurement (and a measurement sees the steady state of production)."""
    with connection.cursor() as cursor:
        for model in (Adjustment, AdjustmentLine, Balance):
            cursor.execute(f"VACUUM (ANALYZE) {table(model)}")


def busy_sku() -> str:
    """The SKU that takes every BUSY_EVERY-th line: its history grows with the ledger."""
    return f"{SKU_PREFIX}{0:05d}"


def ensure_items() -> list[int]:
    """The fill's items (created once), busy item first."""
    Item.objects.bulk_create(
        (
            Item(
                sku=f"{SKU_PREFIX}{n:05d}",
                name=f"History item {n}",
                product_id=FIRST_VARIANT_ID + n,
                variant_id=FIRST_VARIANT_ID + n,
            )
            for n in range(ITEMS)
        ),
        ignore_conflicts=True,
    )
    ids = list(
        Item.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku").values_list("pk", flat=True)
    )
    assert len(ids) == ITEMS, f"expected {ITEMS} {SKU_PREFIX} items, found {len(ids)}"
    return ids


def ensure_locations() -> list[int]:
    return [
        Location.objects.get_or_create(
            code=f"{LOCATION_PREFIX}{n}", defaults={"label": f"History store {n}"}
        )[0].pk
        for n in range(1, LOCATIONS + 1)
    ]
