"""The only place that locks balances. Every writer goes through `lock_balances`, which takes all
of a batch's row locks in one statement in (item_id, location_id) order: two batches touching
overlapping balances then queue behind each other instead of deadlocking."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from inventory.models import Balance
from inventory.sql import db_datetime, rows_source, table

BalanceKey = tuple[int, int]  # (item_id, location_id)


@dataclass(slots=True)
class LockedBalance:
    id: int
    quantity: int
    safety_stock: int
    warning_level: int


def lock_balances(keys: Iterable[BalanceKey]) -> dict[BalanceKey, LockedBalance]:
    """Create the missing balance rows (quantity 0, BigCommerce's default settings), then lock every row for the rest of the
    transaction and return their current values. Must run inside `transaction.atomic()`.

    On PostgreSQL rows are locked `FOR NO KEY UPDATE`: it blocks other writers of the balance but
    not inserts of rows that reference it. SQLite has no row locks; there the IMMEDIATE
    transaction already holds the database write lock.
    """
    sorted_keys = sorted(set(keys))
    source, params = rows_source(sorted_keys)
    balance_table = table(Balance)
    # Rows are inserted in key order too: a concurrent insert of the same new key waits on ours,
    # and waiting in one global order cannot form a cycle. NOT EXISTS skips the keys that have
    # a row (nearly all of them) before the costlier speculative insert; ON CONFLICT still
    # settles the race with a concurrent insert of the same key.
    insert_missing = (
        f"INSERT INTO {balance_table} (item_id, location_id, quantity, safety_stock,"
        " warning_level, is_in_stock, bin_picking_number, updated_at)"
        f" SELECT v.column1, v.column2, 0, 0, 0, %s, '', %s FROM ({source}) AS v"
        f" WHERE NOT EXISTS (SELECT 1 FROM {balance_table} AS b"
        " WHERE b.item_id = v.column1 AND b.location_id = v.column2)"
        " ORDER BY v.column1, v.column2"
        " ON CONFLICT (item_id, location_id) DO NOTHING"
    )
    insert_params = [True, db_datetime(timezone.now()), *params]
    lock_clause = " FOR NO KEY UPDATE OF b" if connection.vendor == "postgresql" else ""
    lock = (
        "SELECT b.id, b.item_id, b.location_id, b.quantity, b.safety_stock, b.warning_level"
        f" FROM {balance_table} AS b JOIN ({source}) AS v"
        " ON b.item_id = v.column1 AND b.location_id = v.column2"
        f" ORDER BY b.item_id, b.location_id{lock_clause}"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Both statements in one round trip (Django binds parameters client-side, so
            # psycopg sends them as one simple query). Each still takes its own snapshot, so
            # the lock sees the rows a concurrent transaction inserted and committed while our
            # insert waited for it.
            cursor.execute(f"{insert_missing}; {lock}", insert_params + params)
            cursor.nextset()
        else:
            cursor.execute(insert_missing, insert_params)
            cursor.execute(lock, params)
        return {
            (item_id, location_id): LockedBalance(balance_id, *values)
            for balance_id, item_id, location_id, *values in cursor.fetchall()
        }
