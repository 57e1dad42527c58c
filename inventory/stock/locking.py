"""The only place that takes the full path's locks: `lock_named_balances` takes all of a
batch's row locks in one statement, in the one order of `statements.in_lock_order` (which the
fast path's statement uses too)."""

from collections.abc import Sequence
from typing import Any

from django.db import connection

from inventory.models import Balance
from inventory.sql import on_postgresql, prepared, rows_source, table
from inventory.stock import statements
from inventory.stock.types import NAME_TYPES, BalanceKey, BalanceName, LockedBalance


def lock_named_balances(
    names: Sequence[BalanceName], *, named: str, lookup: str
) -> tuple[list[tuple[Any, ...]], dict[BalanceKey, LockedBalance]]:
    """Create the missing balance rows (quantity 0, BigCommerce's default settings) of every
    balance `names` can mean, then lock them all for the rest of the transaction; returns the
    rows of `lookup` and the locked balances' current values, by key. Must run inside
    `transaction.atomic()`.

    `named` is the CTE `named` (item_id, location_id) of every balance a name can mean, over
    `line`, the names as rows (column1 sku … column5 location_id): `resolve.named`, the same
    meanings the planner resolves names by, so every balance an accepted line changes is locked
    here. (A name whose item changed between the lookup and the lock, a rename racing the
    batch, leaves its balance unlocked: the caller must check.) `lookup` is a query over `line`:
    the planner's, which reads the items and locations the batch names. It runs with the
    insert, before the lock, in the same round trip, so a one-line write pays one trip to the
    database for its identities and its locks together.
    """
    source, params = rows_source(names, types=NAME_TYPES)
    with_named = f"WITH line AS ({source}), {named}"
    insert_missing = statements.insert_missing_balances()
    lock = statements.in_lock_order(
        f"{with_named} SELECT {statements.LOCKED_COLUMNS} FROM {table(Balance)} AS b JOIN named AS n"
        " ON b.item_id = n.item_id AND b.location_id = n.location_id"
    )
    with connection.cursor() as cursor:
        if on_postgresql():
            # Two statements in one round trip (Django binds parameters client-side, so
            # psycopg sends them as one simple query): the insert, a data-modifying CTE of the
            # lookup's statement, then the lock. The lock takes a snapshot of its own, so it
            # sees the rows a concurrent transaction inserted and committed while our insert
            # waited for it.
            insert_and_lookup = f"{with_named}, missing AS ({insert_missing}) {lookup}"
            cursor.execute(f"{prepared(insert_and_lookup)}; {prepared(lock)}", params * 2)
            found = cursor.fetchall()
            cursor.nextset()
        else:  # no data-modifying CTEs: a statement each
            cursor.execute(f"{with_named} {insert_missing}", params)
            cursor.execute(f"WITH line AS ({source}) {lookup}", params)
            found = cursor.fetchall()
            cursor.execute(lock, params)
        locked = {
            (item_id, location_id): LockedBalance(balance_id, *values)
            for balance_id, item_id, location_id, *values in cursor.fetchall()
        }
    return found, locked
