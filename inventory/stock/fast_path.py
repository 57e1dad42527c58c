"""The write path's shortcut, on PostgreSQL: is this batch eligible? then the shared record
(`statements.record`), in ONE statement that locks its balances, checks every rule (`rules`, in
their SQL form) on the locked values and records the change (adjustment, balances, ledger
lines, outbox events).

Why: most writes are a line or two (a sale, a receipt), and for them the trips to the database
cost more than the work. The full path (`stock.apply_adjustment`) makes three: BEGIN; the
identities and the locks; the record, with the rules checked in Python between the last two.
Outside a transaction this statement is a transaction of its own: no BEGIN, no COMMIT, and the
row locks are held for one statement only. (What it saves is measured in README, Performance.)

It applies only what the full path would apply, and the same way: balances locked in
(item_id, location_id) order, quantities from the locked rows, names meaning what `resolve`
says they mean. It writes nothing, and returns False, unless every line names an existing
balance at an enabled location, every rule holds and no balance crosses an alert level. The
caller then takes the full path, which creates missing balances, names every failing line and
opens or closes alerts. So the rules here may be stricter than the full path's, never looser:
tests/stock/test_fast_path.py holds both paths to the same results.
"""

from collections.abc import Sequence

from django.db import connection

from inventory.models import Adjustment, Balance, Item
from inventory.sql import on_postgresql, prepared, rows_source, table
from inventory.stock import rules, statements
from inventory.stock.resolve import means
from inventory.stock.types import NAME_TYPES, LineInput, Op, operation
from locations.models import Location

Kind = Adjustment.Kind
# Not transfers: two balances a line.
KINDS = (Kind.ABSOLUTE, Kind.STOCKTAKE, Kind.RELATIVE, Kind.SHIPMENT, Kind.RECEIPT)


def apply(adjustment: Adjustment, lines: Sequence[LineInput]) -> bool:
    """Apply the batch in one statement, inserting `adjustment` (unsaved) as its record; False
    when the batch is not one this statement takes (see the module's docstring), and then
    nothing was written."""
    identity = _shared_identity(adjustment.kind, lines)
    if identity is None:
        return False
    source_sql, line_params = _lines_source(lines)
    statement, params = statements.record(
        adjustment,
        (_eligible(adjustment.kind, identity, source_sql), line_params),
        only_if=" FROM verdict WHERE accepted",
    )
    with connection.cursor() as cursor:
        cursor.execute(prepared(statement), params)
        row = cursor.fetchone()
    if row is None:
        return False
    adjustment.mark_inserted(row[0], connection.alias)
    return True


def _shared_identity(kind: Kind, lines: Sequence[LineInput]) -> str | None:
    """The one identity field every line names its item by; None when the batch is not one
    for this statement (not PostgreSQL, another kind, an empty batch, a line naming its item
    several ways or none, a quantity out of range: the full path explains those)."""
    if not on_postgresql() or kind not in KINDS or not lines:
        return None
    given = lines[0].identities()
    if len(given) != 1:
        return None
    field = given[0][0]
    for line in lines:
        identities = line.identities()
        if len(identities) != 1 or identities[0][0] != field:
            return None
        expected = line.expected_quantity
        if rules.out_of_range(line.quantity) or (
            expected is not None and rules.out_of_range(expected)
        ):
            return None  # the largest would not even fit the statement's bigint columns
    return field


def _lines_source(lines: Sequence[LineInput]) -> tuple[str, list]:
    """The lines as rows `line`: the balance's name as `locking` reads it (column1 sku …
    column5 location_id), then column6 the quantity and column7 the expected quantity."""
    return rows_source(
        [
            (
                line.sku,
                line.variant_id,
                line.product_id,
                line.item_id,
                line.location_id,
                line.quantity,
                line.expected_quantity,
            )
            for line in lines
        ],
        types=[*NAME_TYPES, "bigint", "bigint"],
    )


def _eligible(kind: Kind, identity: str, source: str) -> str:
    """Is every line eligible? The record's first CTEs: `line`, `locked`, the record's `change`
    and `verdict`, on which the record's writes all depend (`only_if`). `locked` takes the row
    locks in the one order (`statements.in_lock_order`) and reads the balances' newest
    committed values (a locking read waits for a concurrent writer, then sees its change).
    `verdict` is an aggregate over all lines, so nothing is written unless every line passes
    every rule (`rules`); and nothing is written before every lock is held."""
    after = "amount" if operation(kind) is Op.SET else "quantity + amount"
    locked = statements.in_lock_order(
        f"SELECT {statements.LOCKED_COLUMNS}, l.enabled, l.allow_negative_stock,"
        " line.column6 AS amount, line.column7 AS expected"
        f" FROM line JOIN {table(Item)} AS i ON {means(identity)}"
        f" JOIN {table(Balance)} AS b ON b.item_id = i.id AND b.location_id = line.column5"
        f" JOIN {table(Location)} AS l ON l.id = line.column5"
    )
    return (
        f"line AS ({source}), locked AS ({locked}),"
        " change AS (SELECT id AS balance_id, item_id, location_id, quantity AS before,"
        f" {after} AS after, safety_stock, warning_level, enabled, allow_negative_stock,"
        " amount, expected FROM locked),"
        " verdict AS (SELECT count(*) = (SELECT count(*) FROM line)"
        f" AND {rules.NO_DUPLICATES_SQL}"
        f" AND coalesce(bool_and({rules.accepted_sql(kind)}), FALSE) AS accepted FROM change)"
    )
