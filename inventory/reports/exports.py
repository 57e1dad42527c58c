"""CSV exports that stream: balances per location (with their settings) and the stock history.

Rows are read in chunks by keyset pagination: each chunk is one query ordered by a unique key,
resuming after the last key of the previous chunk (`WHERE key > last ORDER BY key LIMIT n`).
Chunks are values tuples, never model instances, and each becomes one block of CSV text before
the next is read, so memory holds one chunk whatever the size of the export, and the number of
queries is the number of chunks (rows / CHUNK_SIZE, plus one per location for balances).

Why keyset pagination rather than `QuerySet.iterator()`: on PostgreSQL `iterator()` declares a
server-side cursor `WITH HOLD` outside a transaction, and PostgreSQL then computes and stores the
whole result before the first row leaves (the first byte of a million-row export waits for all
of it, seconds for a million-line history); inside a
transaction it would hold one snapshot open for the whole download. Behind a
transaction-pooling bouncer server-side cursors must be disabled, and then psycopg loads the
whole result into client memory. Keyset chunks behave the same on SQLite and PostgreSQL, and
each is a short indexed query.

The ledger is append-only and new lines get higher ids, so a history export read newest first
is exactly the history as it stood when the export started. A balance export reads each chunk
as it stands when the chunk is read: a balance changed during the download shows its new value.
"""

import csv
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, Func, QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

from inventory.models import AdjustmentLine, Balance, SupplierReceipt, TransferOrder
from locations.models import Location

CHUNK_SIZE = 5000  # rows per query: a few MB of tuples, and 200 queries for a million rows

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Row = tuple[Any, ...]


def keyset_chunks(
    rows: QuerySet, *, fields: Sequence[str], key: str, descending: bool = False
) -> Iterator[list[Row]]:
    """`rows` as lists of at most CHUNK_SIZE values tuples of `fields`, ordered by `key`, which
    must be one of `fields` and unique within `rows`. One query per chunk."""
    position = list(fields).index(key)
    ordered = rows.order_by(f"-{key}" if descending else key).values_list(*fields)
    after = f"{key}__lt" if descending else f"{key}__gt"
    chunk = list(ordered[:CHUNK_SIZE])
    while chunk:
        yield chunk
        if len(chunk) < CHUNK_SIZE:
            return  # a short chunk is the last: no query to learn that nothing follows
        chunk = list(ordered.filter(**{after: chunk[-1][position]})[:CHUNK_SIZE])


def csv_blocks(
    header: Sequence[str], chunks: Iterable[list[Row]], to_cells: Callable[[Row], Sequence[Any]]
) -> Iterator[str]:
    """The header line, then one block of CSV lines per chunk (one write to the client per
    chunk rather than per row). Text cells that a spreadsheet would run as a formula are
    prefixed with an apostrophe, which shows as text."""
    lines = _Lines()
    writer = csv.writer(lines)
    writer.writerow(header)
    yield lines.drain()
    for chunk in chunks:
        writer.writerows(_defused(to_cells(row)) for row in chunk)
        yield lines.drain()


def csv_response(blocks: Iterator[str], *, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(blocks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


class _Lines(list):
    """What csv.writer writes to: the lines of a chunk, joined into one block when drained (a
    StringIO would keep a 4-byte-per-character copy of the block after its first truncate)."""

    write = list.append

    def drain(self) -> str:
        block = "".join(self)
        self.clear()
        return block


def _defused(cells: Sequence[Any]) -> list[Any]:
    return [
        f"'{cell}" if isinstance(cell, str) and cell.startswith(FORMULA_STARTS) else cell
        for cell in cells
    ]


class UtcIsoText(Func):
    """A timestamp as the text `datetime.isoformat()` gives for it in UTC
    (2024-05-01T10:00:00.123456+00:00), written by the database. Parsing every timestamp into a
    datetime only to format it again was the largest part of an export's work per row."""

    output_field = CharField()
    arity = 1
    # PostgreSQL: microseconds are left out when they are zero, as isoformat() does.
    template = (
        "replace(to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US'),"
        " '.000000', '') || '+00:00'"
    )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django stores an aware datetime on SQLite as UTC text, "YYYY-MM-DD HH:MM:SS[.ffffff]".
        return self.as_sql(
            compiler, connection, template="replace(%(expressions)s, ' ', 'T') || '+00:00'"
        )


def _stamp() -> str:
    return timezone.now().strftime("%Y%m%d-%H%M%S")


# Balances ------------------------------------------------------------------------------------

BALANCE_HEADER = [
    "sku",
    "name",
    "product_id",
    "variant_id",
    "location_id",
    "location_code",
    "on_hand",
    "safety_stock",
    "available_to_sell",
    "warning_level",
    "is_in_stock",
    "bin_picking_number",
    "updated_at",
]
_BALANCE_FIELDS = [
    "item__sku",
    "item__name",
    "item__product_id",
    "item__variant_id",
    "location_id",
    "location__code",
    "quantity",
    "safety_stock",
    "warning_level",
    "is_in_stock",
    "bin_picking_number",
    "updated_at_text",
]


def balances_csv(
    balances: QuerySet[Balance], *, locations: QuerySet[Location], filename_part: str
) -> StreamingHttpResponse:
    """`balances` as CSV, grouped by location (in code order) and by SKU within a location.
    `locations` are those to go through; `balances` are already narrowed to what the user may
    see. Per location the rows come in SKU order through the item's unique SKU index."""
    blocks = csv_blocks(BALANCE_HEADER, _balance_chunks(balances, locations), _balance_cells)
    return csv_response(blocks, filename=f"balances-{filename_part}-{_stamp()}.csv")


def _balance_chunks(
    balances: QuerySet[Balance], locations: QuerySet[Location]
) -> Iterator[list[Row]]:
    balances = balances.annotate(updated_at_text=UtcIsoText("updated_at"))
    for location_id in locations.order_by("code").values_list("pk", flat=True):
        yield from keyset_chunks(
            balances.filter(location_id=location_id), fields=_BALANCE_FIELDS, key="item__sku"
        )


def _balance_cells(row: Row) -> list[Any]:
    """The row with available to sell after the safety stock (as Balance.available_to_sell),
    and in stock as true or false."""
    *identity, on_hand, safety, warning, is_in_stock, bin_number, updated_at = row
    in_stock = "true" if is_in_stock else "false"
    return [*identity, on_hand, safety, on_hand - safety, warning, in_stock, bin_number, updated_at]


# History -------------------------------------------------------------------------------------

HISTORY_HEADER = [
    "created_at",
    "transaction_id",
    "kind",
    "source",
    "user",
    "location",
    "sku",
    "item",
    "quantity_before",
    "quantity_after",
    "delta",
    "reason_code",
    "reason",
    "reference",
    "document",  # the transfer (T-12) or supplier receipt shipped or received
]


def _history_fields() -> list[str]:
    username = get_user_model().USERNAME_FIELD
    return [
        "id",
        "created_at_text",
        "adjustment__transaction_id",
        "adjustment__kind",
        "adjustment__source",
        f"adjustment__actor__{username}",
        "adjustment__api_client__name",
        "location__code",
        "item__sku",
        "item__name",
        "quantity_before",
        "quantity_after",
        "delta",
        "adjustment__reason_code",
        "adjustment__reason",
        "adjustment__reference",
        "adjustment__shipped_transfer__id",
        "adjustment__receiving__transfer_id",
        "adjustment__receiving__receipt_id",
    ]


def history_csv(lines: QuerySet[AdjustmentLine]) -> StreamingHttpResponse:
    """Ledger lines as CSV, newest first (the history list's default order, and the order in
    which the append-only ledger reads as a snapshot; see the module's docstring)."""
    lines = lines.annotate(created_at_text=UtcIsoText("created_at"))
    chunks = keyset_chunks(lines, fields=_history_fields(), key="id", descending=True)
    blocks = csv_blocks(HISTORY_HEADER, chunks, _history_cells)
    return csv_response(blocks, filename=f"stock-history-{_stamp()}.csv")


def _history_cells(row: Row) -> list[Any]:
    _, created_at, transaction_id, kind, source, username, client_name = row[:7]
    *line, shipped, received_transfer, received_receipt = row[7:]
    return [
        created_at,
        transaction_id,
        kind,
        source,
        _made_by(username, client_name),
        *line,
        _document_number(shipped or received_transfer, received_receipt),
    ]


def _document_number(transfer_id: int | None, receipt_id: int | None) -> str:
    """As TransferOrder.number and SupplierReceipt.number, from ids."""
    if transfer_id is not None:
        return TransferOrder(pk=transfer_id).number
    if receipt_id is not None:
        return SupplierReceipt(pk=receipt_id).number
    return ""


def _made_by(username: str | None, client_name: str | None) -> str:
    """As Adjustment.made_by, from values: a user, an API client, or the system."""
    if username is not None:
        return username
    if client_name is not None:
        return f"API: {client_name}"
    return "system"
