"""Checking the ledger against the balances: `find_ledger_discrepancies` replays every balance's
chain of ledger lines in the database, set-based, so it stays fast on millions of lines.

The invariant (DESIGN.md §3): per (item, location), ordered by line id, the first line starts at 0,
each line starts where the previous one ended, `delta = after - before`, and the last line ends at
the balance's quantity. A balance without ledger lines must be 0; ledger lines need a balance row
and their adjustment.
"""

from dataclasses import dataclass

from django.db import connection

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.sql import table
from locations.models import Location


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One broken rule of the ledger at one balance."""

    item_id: int
    location_id: int
    sku: str
    location_code: str
    problem: str


# One ordered pass over the ledger (the (item, location, id) index), keeping only the lines that
# break a rule; LEAD marks each chain's last line, which alone is compared with its balance.
# Balances without any line come from an anti-join. Only broken rows ever reach Python.
# Window functions and the WINDOW clause work on SQLite >= 3.28 and PostgreSQL.
_QUERY = """
WITH chain AS (
    SELECT id, item_id, location_id, adjustment_id, quantity_before, quantity_after, delta,
           LAG(quantity_after) OVER w AS previous_after,
           LEAD(id) OVER w AS next_id
    FROM {line}
    WINDOW w AS (PARTITION BY item_id, location_id ORDER BY id)
),
found AS (
    SELECT c.item_id, c.location_id, c.id AS line_id, c.quantity_before, c.quantity_after,
           c.delta, c.previous_after, c.next_id, b.id AS balance_id, b.quantity,
           a.id IS NULL AS adjustment_missing
    FROM chain AS c
    LEFT JOIN {balance} AS b
        ON c.next_id IS NULL AND b.item_id = c.item_id AND b.location_id = c.location_id
    LEFT JOIN {adjustment} AS a ON a.id = c.adjustment_id
    WHERE (c.previous_after IS NULL AND c.quantity_before <> 0)
       OR (c.previous_after IS NOT NULL AND c.quantity_before <> c.previous_after)
       OR c.delta <> c.quantity_after - c.quantity_before
       OR (c.next_id IS NULL AND (b.id IS NULL OR b.quantity <> c.quantity_after))
       OR a.id IS NULL
    UNION ALL
    SELECT b.item_id, b.location_id, NULL, NULL, NULL, NULL, NULL, NULL, b.id, b.quantity, NULL
    FROM {balance} AS b
    WHERE b.quantity <> 0 AND NOT EXISTS (
        SELECT 1 FROM {line} AS l WHERE l.item_id = b.item_id AND l.location_id = b.location_id
    )
)
SELECT f.item_id, f.location_id, i.sku, loc.code, f.line_id, f.quantity_before,
       f.quantity_after, f.delta, f.previous_after, f.next_id, f.balance_id, f.quantity,
       f.adjustment_missing
FROM found AS f
JOIN {item} AS i ON i.id = f.item_id
JOIN {location} AS loc ON loc.id = f.location_id
ORDER BY i.sku, loc.code, COALESCE(f.line_id, 0)
"""


def find_ledger_discrepancies() -> list[Discrepancy]:
    """Every balance whose ledger chain is broken or disagrees with its quantity, one entry per
    broken rule, ordered by SKU, location code and ledger line. Empty when the ledger is sound."""
    query = _QUERY.format(
        line=table(AdjustmentLine),
        adjustment=table(Adjustment),
        balance=table(Balance),
        item=table(Item),
        location=table(Location),
    )
    with connection.cursor() as cursor:
        cursor.execute(query)
        rows = cursor.fetchall()
    return [
        Discrepancy(item_id, location_id, sku, code, problem)
        for item_id, location_id, sku, code, *facts in rows
        for problem in _problems(*facts)
    ]


def ledger_size() -> tuple[int, int]:
    """(number of balances, number of ledger lines), for the all-clear message."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT COUNT(*) FROM {table(Balance)}),"
            f" (SELECT COUNT(*) FROM {table(AdjustmentLine)})"
        )
        balances, lines = cursor.fetchone()
    return balances, lines


def _problems(
    line_id: int | None,
    before: int | None,
    after: int | None,
    delta: int | None,
    previous_after: int | None,
    next_id: int | None,
    balance_id: int | None,
    quantity: int | None,
    adjustment_missing: bool | None,
) -> list[str]:
    """Name every rule one found row breaks (a row may break several)."""
    if line_id is None:
        return [f"balance is {quantity} but there is no ledger line (expected 0)"]
    # A found ledger row always carries its line's numbers.
    assert before is not None
    assert after is not None
    assert delta is not None
    problems = []
    if previous_after is None and before != 0:
        problems.append(f"ledger line {line_id}, the first, starts at {before} instead of 0")
    if previous_after is not None and before != previous_after:
        problems.append(
            f"ledger line {line_id} starts at {before} but the previous line ended at"
            f" {previous_after}"
        )
    if delta != after - before:
        problems.append(f"ledger line {line_id} has delta {delta} but goes {before} -> {after}")
    if adjustment_missing:
        problems.append(f"ledger line {line_id} belongs to no adjustment")
    if next_id is None:
        problems += _last_line_problems(line_id, after, balance_id, quantity)
    return problems


def _last_line_problems(
    line_id: int, after: int, balance_id: int | None, quantity: int | None
) -> list[str]:
    """The last line of a chain must end at its balance's quantity."""
    if balance_id is None:
        return [f"ledger ends at {after} (line {line_id}) but there is no balance row"]
    if quantity != after:
        return [f"balance is {quantity} but the ledger ends at {after} (line {line_id})"]
    return []
