"""The only place that locks balances. Every writer goes through `lock_named_balances`, which
takes all of a batch's row locks in one statement in (item_id, location_id) order: two batches
touching overlapping balances then queue behind each other instead of deadlocking."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from inventory.models import Balance, Item
from inventory.sql import on_postgresql, prepared, rows_source, table
from locations.models import Location

BalanceKey = tuple[int, int]  # (item_id, location_id)
# A balance as a batch's line names it: (sku, variant_id, product_id, item_id, location_id).
BalanceName = tuple[str | None, int | None, int | None, int | None, int]
NAME_TYPES = ["text", "bigint", "bigint", "bigint", "bigint"]
# What a name can mean, by the identity it gives: a join condition of `line` with items `i`.
# The planner's rules (resolve._ItemIndex): a variant_id names an item not tracked by product,
# a product_id an item tracked by product.
MEANS = {
    "sku": "i.sku = line.column1",
    "variant_id": f"i.variant_id = line.column2 AND i.tracking <> '{Item.Tracking.PRODUCT}'",
    "product_id": f"i.product_id = line.column3 AND i.tracking = '{Item.Tracking.PRODUCT}'",
    "item_id": "i.id = line.column4",
}


@dataclass(slots=True)
class LockedBalance:
    id: int
    quantity: int
    safety_stock: int
    warning_level: int


def lock_named_balances(
    names: Sequence[BalanceName], *, identities: Sequence[str], lookup: str
) -> tuple[list[tuple[Any, ...]], dict[BalanceKey, LockedBalance]]:
    """Create the missing balance rows (quantity 0, BigCommerce's default settings) of every
    balance `names` can mean, then lock them all for the rest of the transaction; returns the
    rows of `lookup` and the locked balances' current values, by key. Must run inside
    `transaction.atomic()`.

    `lookup` is a query over `line`, the names as rows (column1 sku … column5 location_id): the
    planner's, which reads the items and locations the batch names. It runs with the insert,
    before the lock, in the same round trip, so a one-line write pays one trip to the database
    for its identities and its locks together. A name can mean the item of its sku, of its
    variant_id (an item not tracked by product), of its product_id (an item tracked by
    product) or of its item_id: the same rules the planner resolves names by, so every balance
    an accepted line changes is locked here. (A name whose item changed between
    the lookup and the lock, a rename racing the batch, leaves its balance unlocked: the caller
    must check.) Only the `identities` the batch gives are joined: most batches name every item
    one way, and a join that can match nothing still costs its statement an index to open.

    On PostgreSQL rows are locked `FOR NO KEY UPDATE`: it blocks other writers of the balance but
    not inserts of rows that reference it. SQLite has no row locks; there the IMMEDIATE
    transaction already holds the database write lock.
    """
    source, params = rows_source(names, types=NAME_TYPES)
    named = f"WITH line AS ({source}), {_named(identities)}"
    balance_table = table(Balance)
    # Rows are inserted in key order too: a concurrent insert of the same new key waits on ours,
    # and waiting in one global order cannot form a cycle. NOT EXISTS skips the keys that have
    # a row (nearly all of them) before the costlier speculative insert; ON CONFLICT still
    # settles the race with a concurrent insert of the same key.
    insert_missing = (
        f"INSERT INTO {balance_table} (item_id, location_id, quantity, safety_stock,"
        " warning_level, is_in_stock, bin_picking_number, updated_at)"
        " SELECT n.item_id, n.location_id, 0, 0, 0, TRUE, '', CURRENT_TIMESTAMP FROM named AS n"
        f" JOIN {table(Location)} AS l ON l.id = n.location_id"
        f" WHERE NOT EXISTS (SELECT 1 FROM {balance_table} AS b"
        " WHERE b.item_id = n.item_id AND b.location_id = n.location_id)"
        " ORDER BY n.item_id, n.location_id"
        " ON CONFLICT (item_id, location_id) DO NOTHING"
    )
    lock_clause = " FOR NO KEY UPDATE OF b" if on_postgresql() else ""
    lock = (
        f"{named} SELECT b.id, b.item_id, b.location_id, b.quantity, b.safety_stock,"
        f" b.warning_level FROM {balance_table} AS b JOIN named AS n"
        " ON b.item_id = n.item_id AND b.location_id = n.location_id"
        f" ORDER BY b.item_id, b.location_id{lock_clause}"
    )
    with connection.cursor() as cursor:
        if on_postgresql():
            # Two statements in one round trip (Django binds parameters client-side, so
            # psycopg sends them as one simple query): the insert, a data-modifying CTE of the
            # lookup's statement, then the lock. The lock takes a snapshot of its own, so it
            # sees the rows a concurrent transaction inserted and committed while our insert
            # waited for it.
            insert_and_lookup = f"{named}, missing AS ({insert_missing}) {lookup}"
            cursor.execute(f"{prepared(insert_and_lookup)}; {prepared(lock)}", params * 2)
            found = cursor.fetchall()
            cursor.nextset()
        else:  # no data-modifying CTEs: a statement each
            cursor.execute(f"{named} {insert_missing}", params)
            cursor.execute(f"WITH line AS ({source}) {lookup}", params)
            found = cursor.fetchall()
            cursor.execute(lock, params)
        locked = {
            (item_id, location_id): LockedBalance(balance_id, *values)
            for balance_id, item_id, location_id, *values in cursor.fetchall()
        }
    return found, locked


def _named(identities: Sequence[str]) -> str:
    """`named`: the (item_id, location_id) of every balance a `line` can mean by `identities`."""
    joins = [
        f"SELECT i.id AS item_id, line.column5 AS location_id FROM line"
        f" JOIN {table(Item)} AS i ON {MEANS[identity]}"
        for identity in identities
    ]
    return f"named AS ({' UNION ALL '.join(joins) or NAMES_NOTHING})"


NAMES_NOTHING = (
    "SELECT CAST(NULL AS BIGINT) AS item_id, CAST(NULL AS BIGINT) AS location_id WHERE FALSE"
)
