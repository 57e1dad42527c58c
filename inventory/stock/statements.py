"""Every SQL text of a write: the lock (one order), the record (one builder, used by the full
path and the fast path alike) and the record's SQLite twin.

The record is the adjustment, its balances' new quantities, its ledger lines and a
stock_changed outbox event per moved balance (for each endpoint subscribed). On PostgreSQL it
is ONE statement, each part a data-modifying CTE; SQLite has no such CTEs and takes a statement
each, from the same texts (`_balance_update`, `_ledger_insert`, `_stock_changed`). Either way
the count does not grow with the batch; fewer statements matter most to the many one-line
requests, where each one's round trip and executor setup outweigh its work.
"""

from django.db import connection

from inventory.models import Adjustment, AdjustmentLine, Balance, WebhookScope
from inventory.sql import db_datetime, on_postgresql, prepared, rows_source, table
from inventory.stock.types import StockChange
from inventory.webhooks import outbox
from inventory.webhooks.outbox import Statement
from locations.models import Location

STOCK_CHANGED = WebhookScope.STOCK_CHANGED.value
# A balance as the lock reads it (`locking.LockedBalance`, after its key).
LOCKED_COLUMNS = "b.id, b.item_id, b.location_id, b.quantity, b.safety_stock, b.warning_level"
# The rows a record writes, one per balance: a CTE or subquery named `change` with these columns.
CHANGE_COLUMNS = "balance_id, item_id, location_id, before, after"
# The adjustment's row (`Adjustment.inserted_values()`), typed: in a SELECT list PostgreSQL
# cannot infer a prepared parameter's type.
ADJUSTMENT_ROW = (
    "SELECT %s::uuid, %s::text, %s::text, %s::text, %s::text, %s::text, %s::bigint, %s::bigint,"
    " %s::timestamptz"
)


def in_lock_order(query: str) -> str:
    """`query`, over balances `b`, as the statement that locks them. Every writer locks in
    (item_id, location_id) order: two batches touching overlapping balances then queue behind
    each other instead of deadlocking. On PostgreSQL rows are locked `FOR NO KEY UPDATE`: it
    blocks other writers of the balance but not inserts of rows that reference it. SQLite has
    no row locks; there the IMMEDIATE transaction already holds the database write lock."""
    lock_clause = " FOR NO KEY UPDATE OF b" if on_postgresql() else ""
    return f"{query} ORDER BY b.item_id, b.location_id{lock_clause}"


def insert_missing_balances() -> str:
    """Create the balance rows (quantity 0, BigCommerce's default settings) of the `named` CTE's
    keys that have none. In key order too: a concurrent insert of the same new key waits on
    ours, and waiting in one global order cannot form a cycle. NOT EXISTS skips the keys that
    have a row (nearly all of them) before the costlier speculative insert; ON CONFLICT still
    settles the race with a concurrent insert of the same key."""
    balance_table = table(Balance)
    return (
        f"INSERT INTO {balance_table} (item_id, location_id, quantity, safety_stock,"
        " warning_level, is_in_stock, bin_picking_number, updated_at)"
        " SELECT n.item_id, n.location_id, 0, 0, 0, TRUE, '', CURRENT_TIMESTAMP FROM named AS n"
        f" JOIN {table(Location)} AS l ON l.id = n.location_id"
        f" WHERE NOT EXISTS (SELECT 1 FROM {balance_table} AS b"
        " WHERE b.item_id = n.item_id AND b.location_id = n.location_id)"
        " ORDER BY n.item_id, n.location_id"
        " ON CONFLICT (item_id, location_id) DO NOTHING"
    )


def record(adjustment: Adjustment, changes: Statement, *, only_if: str = "") -> Statement:
    """The one statement (PostgreSQL) that records a write: `changes` are its first CTEs, one of
    them `change` (`CHANGE_COLUMNS`); then `adjustment` is inserted (`only_if`, a
    FROM … WHERE clause, may make that insert, and so everything after it, insert nothing), its
    balances updated, its ledger lines and its outbox events inserted. It returns the new
    adjustment's id."""
    changes_sql, changes_params = changes
    # Everything after the adjustment's insert depends on it (through `written`): a part that
    # depended on nothing would run even when `only_if` inserts no adjustment.
    written = "change CROSS JOIN new_adjustment"
    events_sql, events_params = _stock_changed(written, adjustment)
    sql = (
        f"WITH {changes_sql},"
        f" new_adjustment AS (INSERT INTO {table(Adjustment)} ({Adjustment.INSERTED_COLUMNS})"
        f" {ADJUSTMENT_ROW}{only_if} RETURNING id, created_at),"
        f" balance AS ({_balance_update('new_adjustment.created_at', written)}),"
        f" ledger AS ({_ledger_insert('new_adjustment.id', 'new_adjustment.created_at', written)}),"
        f" events AS ({events_sql})"
        " SELECT id FROM new_adjustment"
    )
    return sql, [*changes_params, *adjustment.inserted_values(), *events_params]


def write_record(
    adjustment: Adjustment, changes: list[StockChange], *, commit: bool = False
) -> None:
    """Insert `adjustment`, write every balance, ledger line and outbox event of `changes`
    (sorted by key): the full path's record.

    `commit`: nothing is written after this statement and the transaction is the outermost one,
    so on PostgreSQL the statement's round trip carries the COMMIT too. The atomic block's own
    commit then finds the transaction closed and only runs the on_commit callbacks (psycopg
    sends nothing for a commit outside a transaction). One round trip fewer, and the row locks
    are released one round trip sooner, for the writes `fast_path` leaves to the full path
    (a balance's first write, an alert level crossed)."""
    source, params = rows_source([change[:5] for change in sorted(changes, key=_balance_key)])
    if not on_postgresql():
        _write_record_sqlite(adjustment, source, params)
        return
    statement, record_params = record(
        adjustment, (f"change({CHANGE_COLUMNS}) AS ({source})", params)
    )
    with connection.cursor() as cursor:
        cursor.execute(prepared(statement) + ("; COMMIT" if commit else ""), record_params)
        adjustment.mark_inserted(cursor.fetchone()[0], connection.alias)


def _write_record_sqlite(adjustment: Adjustment, source: str, params: list) -> None:
    """`record`'s twin, a statement each: SQLite has no data-modifying CTEs."""
    adjustment.save(force_insert=True)
    changed = f"{_change_rows(source)} AS change"
    created_at = db_datetime(adjustment.created_at)
    events_sql, events_params = _stock_changed(changed, adjustment)
    with connection.cursor() as cursor:
        cursor.execute(_balance_update("%s", changed), [created_at, *params])
        cursor.execute(_ledger_insert("%s", "%s", changed), [adjustment.pk, created_at, *params])
        cursor.execute(events_sql, [*events_params, *params])


def write_ledger(adjustment: Adjustment, changes: list[StockChange]) -> None:
    """The ledger lines of `changes` alone, for an adjustment already saved whose balances'
    quantities do not move (a settings change)."""
    source, params = rows_source([change[:5] for change in sorted(changes, key=_balance_key)])
    with connection.cursor() as cursor:
        cursor.execute(
            _ledger_insert("%s", "%s", f"{_change_rows(source)} AS change"),
            [adjustment.pk, db_datetime(adjustment.created_at), *params],
        )


def _balance_update(updated_at: str, source: str) -> str:
    """Set each balance of `change` (in `source`) to its new quantity."""
    return (
        f"UPDATE {table(Balance)} AS b SET quantity = change.after, updated_at = {updated_at}"
        f" FROM {source} WHERE b.id = change.balance_id"
    )


def _ledger_insert(adjustment_id: str, created_at: str, source: str) -> str:
    """A ledger line for each balance of `change` (in `source`), in key order."""
    return (
        f"INSERT INTO {table(AdjustmentLine)} (adjustment_id, item_id, location_id,"
        " quantity_before, quantity_after, delta, created_at)"
        f" SELECT {adjustment_id}, change.item_id, change.location_id, change.before,"
        f" change.after, change.after - change.before, {created_at}"
        f" FROM {source} ORDER BY change.item_id, change.location_id"
    )


def _stock_changed(source: str, adjustment: Adjustment) -> Statement:
    """A stock_changed event, for each endpoint subscribed, per balance of `change` (in
    `source`) whose quantity moves. Its parameters come before those of `source`."""
    moved = (
        f"SELECT '{STOCK_CHANGED}' AS column1, change.item_id AS column2,"
        f" change.location_id AS column3 FROM {source} WHERE change.before <> change.after"
    )
    return outbox.item_events_from(moved, created_at=adjustment.created_at)


def _change_rows(source: str) -> str:
    """`rows_source`'s column1…column5 as `CHANGE_COLUMNS`."""
    return (
        "(SELECT column1 AS balance_id, column2 AS item_id, column3 AS location_id,"
        f" column4 AS before, column5 AS after FROM ({source}) AS v)"
    )


def _balance_key(change: StockChange) -> tuple[int, int]:
    return change.item_id, change.location_id
