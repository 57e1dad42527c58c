"""Checking the ledger against the balances: `find_ledger_discrepancies` replays every balance's
chain of ledger lines in the database, set-based, so it stays fast on millions of lines.

The invariant (DESIGN.md §3): per (item, location), ordered by line id, the first line starts at 0,
each line starts where the previous one ended, `delta = after - before`, and the last line ends at
the balance's quantity. A balance without ledger lines must be 0; ledger lines need a balance row
and their adjustment.

`find_document_discrepancies` checks that the movement documents (transfers, supplier receipts,
their receiving events) and the ledger tell the same story: a shipment took exactly each line's
sent quantity from the origin, each receiving's adjustment added exactly what it recorded as
arrived sellable, and each document line's running totals are the sums of its receivings.
Three grouped queries, whatever the number of documents.
"""

from dataclasses import dataclass

from django.db import connection

from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    Item,
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
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


# --- documents against the ledger ----------------------------------------------------------------

# Statuses of a transfer whose stock has left the origin: it must have a shipment.
_NOT_SHIPPED = (TransferOrder.Status.DRAFT, TransferOrder.Status.CANCELLED)

# Each query's `found` rows start with (item_id, location_id); the rest are its facts. Items and
# locations are named in the same statement.
_NAMED = """
SELECT f.*, i.sku, loc.code
FROM found AS f
JOIN {item} AS i ON i.id = f.item_id
JOIN {location} AS loc ON loc.id = f.location_id
ORDER BY i.sku, loc.code
"""

# Every line of a shipped transfer against its shipment's ledger line at the origin (delta is
# minus the sent quantity); then every ledger line of a shipment that no line of its transfer
# explains (another item or another location, or the transfer was never shipped); then the
# lines of shipments that no transfer records.
_SHIPMENTS = """
WITH found AS (
    SELECT tl.item_id, t.origin_id AS location_id, t.id AS transfer_id, t.status,
           tl.quantity AS sent, al.id AS line_id, al.delta, 0 AS stray
    FROM {transfer_line} AS tl
    JOIN {transfer} AS t ON t.id = tl.transfer_id
    LEFT JOIN {line} AS al
        ON al.adjustment_id = t.shipment_id AND al.item_id = tl.item_id
        AND al.location_id = t.origin_id
    WHERE t.status NOT IN ({not_shipped}) AND (al.id IS NULL OR al.delta <> -tl.quantity)
    UNION ALL
    SELECT al.item_id, al.location_id, t.id, t.status, tl.quantity, al.id, al.delta, 1
    FROM {line} AS al
    JOIN {transfer} AS t ON t.shipment_id = al.adjustment_id
    LEFT JOIN {transfer_line} AS tl ON tl.transfer_id = t.id AND tl.item_id = al.item_id
    WHERE tl.id IS NULL OR al.location_id <> t.origin_id OR t.status IN ({not_shipped})
    UNION ALL
    SELECT al.item_id, al.location_id, NULL, NULL, NULL, al.id, al.delta, 2
    FROM {adjustment} AS a
    JOIN {line} AS al ON al.adjustment_id = a.id
    WHERE a.kind = '{shipment}' AND NOT EXISTS (
        SELECT 1 FROM {transfer} AS t WHERE t.shipment_id = a.id
    )
)
"""

# Every receiving event's sellable arrivals against its adjustment's ledger lines at the
# document's location; then every ledger line of such an adjustment that no arrival explains;
# then the lines of receipt adjustments that no receiving records.
_RECEIVINGS = """
WITH place AS (
    SELECT e.id AS event_id, e.adjustment_id, e.transfer_id, e.receipt_id,
           COALESCE(t.destination_id, r.location_id) AS location_id
    FROM {event} AS e
    LEFT JOIN {transfer} AS t ON t.id = e.transfer_id
    LEFT JOIN {receipt} AS r ON r.id = e.receipt_id
),
found AS (
    SELECT el.item_id, p.location_id, p.transfer_id, p.receipt_id, p.event_id,
           el.received, al.id AS line_id, al.delta
    FROM {event_line} AS el
    JOIN place AS p ON p.event_id = el.event_id
    LEFT JOIN {line} AS al
        ON al.adjustment_id = p.adjustment_id AND al.item_id = el.item_id
        AND al.location_id = p.location_id
    WHERE el.received > 0 AND (al.id IS NULL OR al.delta <> el.received)
    UNION ALL
    SELECT al.item_id, al.location_id, p.transfer_id, p.receipt_id, p.event_id,
           NULL, al.id, al.delta
    FROM {line} AS al
    JOIN place AS p ON p.adjustment_id = al.adjustment_id
    LEFT JOIN {event_line} AS el
        ON el.event_id = p.event_id AND el.item_id = al.item_id AND el.received > 0
    WHERE el.id IS NULL OR al.location_id <> p.location_id
    UNION ALL
    SELECT al.item_id, al.location_id, NULL, NULL, NULL, NULL, al.id, al.delta
    FROM {adjustment} AS a
    JOIN {line} AS al ON al.adjustment_id = a.id
    WHERE a.kind = '{receipt_kind}' AND NOT EXISTS (
        SELECT 1 FROM {event} AS e WHERE e.adjustment_id = a.id
    )
)
"""

# Every document line's running totals against the sums of its receivings' lines; then the
# receivings of an item its document has no line for. Located at where the units arrive.
_TOTALS = """
WITH arrived AS (
    SELECT e.transfer_id, e.receipt_id, el.item_id, SUM(el.received) AS received,
           SUM(el.damaged) AS damaged, SUM(el.missing) AS missing
    FROM {event_line} AS el
    JOIN {event} AS e ON e.id = el.event_id
    GROUP BY e.transfer_id, e.receipt_id, el.item_id
),
found AS (
    SELECT tl.item_id, t.destination_id AS location_id, t.id AS transfer_id,
           NULL AS receipt_id, tl.received, tl.damaged, tl.missing,
           COALESCE(a.received, 0) AS events_received, COALESCE(a.damaged, 0) AS events_damaged,
           COALESCE(a.missing, 0) AS events_missing
    FROM {transfer_line} AS tl
    JOIN {transfer} AS t ON t.id = tl.transfer_id
    LEFT JOIN arrived AS a ON a.transfer_id = tl.transfer_id AND a.item_id = tl.item_id
    WHERE tl.received <> COALESCE(a.received, 0) OR tl.damaged <> COALESCE(a.damaged, 0)
       OR tl.missing <> COALESCE(a.missing, 0)
    UNION ALL
    SELECT rl.item_id, r.location_id, NULL, r.id, rl.received, rl.damaged, 0,
           COALESCE(a.received, 0), COALESCE(a.damaged, 0), COALESCE(a.missing, 0)
    FROM {receipt_line} AS rl
    JOIN {receipt} AS r ON r.id = rl.receipt_id
    LEFT JOIN arrived AS a ON a.receipt_id = rl.receipt_id AND a.item_id = rl.item_id
    WHERE rl.received <> COALESCE(a.received, 0) OR rl.damaged <> COALESCE(a.damaged, 0)
       OR COALESCE(a.missing, 0) <> 0
    UNION ALL
    SELECT a.item_id, COALESCE(t.destination_id, r.location_id), a.transfer_id, a.receipt_id,
           NULL, NULL, NULL, a.received, a.damaged, a.missing
    FROM arrived AS a
    LEFT JOIN {transfer} AS t ON t.id = a.transfer_id
    LEFT JOIN {receipt} AS r ON r.id = a.receipt_id
    LEFT JOIN {transfer_line} AS tl ON tl.transfer_id = a.transfer_id AND tl.item_id = a.item_id
    LEFT JOIN {receipt_line} AS rl ON rl.receipt_id = a.receipt_id AND rl.item_id = a.item_id
    WHERE tl.id IS NULL AND rl.id IS NULL
)
"""


def find_document_discrepancies() -> list[Discrepancy]:
    """Every place where a transfer, a supplier receipt or a receiving event disagrees with the
    ledger or with its own receivings, ordered by SKU and location (where the units left for a
    shipment, where they arrived otherwise). Empty when documents and ledger agree."""
    tables = {
        "line": table(AdjustmentLine),
        "adjustment": table(Adjustment),
        "transfer": table(TransferOrder),
        "transfer_line": table(TransferLine),
        "receipt": table(SupplierReceipt),
        "receipt_line": table(SupplierReceiptLine),
        "event": table(ReceivingEvent),
        "event_line": table(ReceivingEventLine),
        "item": table(Item),
        "location": table(Location),
        "not_shipped": ", ".join(f"'{status}'" for status in _NOT_SHIPPED),
        "shipment": Adjustment.Kind.SHIPMENT,
        "receipt_kind": Adjustment.Kind.RECEIPT,
    }
    found = [
        *_document_rows(_SHIPMENTS, tables, _shipment_problems),
        *_document_rows(_RECEIVINGS, tables, _receiving_problems),
        *_document_rows(_TOTALS, tables, _total_problems),
    ]
    return sorted(found, key=lambda found: (found.sku, found.location_code))


def document_counts() -> tuple[int, int]:
    """(number of transfers, number of supplier receipts), for the all-clear message."""
    return TransferOrder.objects.count(), SupplierReceipt.objects.count()


def _document_rows(query: str, tables: dict[str, str], problems) -> list[Discrepancy]:
    with connection.cursor() as cursor:
        cursor.execute((query + _NAMED).format(**tables))
        rows = cursor.fetchall()
    return [
        Discrepancy(item_id, location_id, sku, code, problem)
        for item_id, location_id, *facts, sku, code in rows
        for problem in problems(*facts)
    ]


def _number(transfer_id: int | None, receipt_id: int | None) -> str:
    if transfer_id is not None:
        return TransferOrder(pk=transfer_id).number
    return SupplierReceipt(pk=receipt_id).number


def _shipment_problems(
    transfer_id: int | None,
    status: str | None,
    sent: int | None,
    line_id: int | None,
    delta: int | None,
    stray: int,
) -> list[str]:
    if transfer_id is None:
        return [f"ledger line {line_id} is a shipment of {delta} that no transfer records"]
    number = _number(transfer_id, None)
    if stray and status in _NOT_SHIPPED:
        return [f"ledger line {line_id} ships {number}, which is {status}"]
    if stray:
        return [f"ledger line {line_id} ships {delta} of {number}, which sent none from here"]
    if line_id is None:
        return [f"{number} sent {sent} from here but its shipment has no ledger line for it"]
    return [f"{number} sent {sent} from here but its shipment's ledger line {line_id} says {delta}"]


def _receiving_problems(
    transfer_id: int | None,
    receipt_id: int | None,
    event_id: int | None,
    received: int | None,
    line_id: int | None,
    delta: int | None,
) -> list[str]:
    if event_id is None:
        return [f"ledger line {line_id} is a receipt of {delta} that no receiving records"]
    receiving = f"receiving {event_id} of {_number(transfer_id, receipt_id)}"
    if received is None:
        return [f"ledger line {line_id} adds {delta} for {receiving}, which stocked none here"]
    if line_id is None:
        return [f"{receiving} stocked {received} here but has no ledger line for it"]
    return [f"{receiving} stocked {received} here but its ledger line {line_id} adds {delta}"]


def _total_problems(
    transfer_id: int | None, receipt_id: int | None, *totals: int | None
) -> list[str]:
    number = _number(transfer_id, receipt_id)
    on_line, in_events = totals[:3], totals[3:]
    if on_line[0] is None:
        summed = ", ".join(
            f"{value} {name}" for name, value in zip(_TOTAL_NAMES, in_events, strict=True)
        )
        return [f"receivings of {number} record {summed} of an item it has no line for"]
    return [
        f"{number}'s line says {on_line_value} {name} but its receivings add up to {summed}"
        for name, on_line_value, summed in zip(_TOTAL_NAMES, on_line, in_events, strict=True)
        if on_line_value != summed
    ]


_TOTAL_NAMES = ("received", "damaged", "missing")
