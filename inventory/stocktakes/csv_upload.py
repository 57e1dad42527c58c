"""CSV upload of stocktake counts: a preview that writes nothing, then an apply that writes
every row at once.

The file and how it is read: csv_reading.

Two modes, chosen explicitly: "replace" sets each line's count to the file's number, "add" adds
the file's number to what was already counted (scans plus earlier uploads). Applying the same
file again in add mode would count it twice, so every applied file's SHA-256 is kept and an add
of a file already applied to the stocktake is refused. The same file again in replace mode sets
the same numbers again: harmless, allowed.

Both functions cost a constant number of queries whatever the file's size: one to resolve every
code (with each item's current line), one to check for an earlier upload, and in apply one
upsert for all the lines (reading the on-hand balances in the same statement). A whole store's
count, 100,000 rows, is one file.

Between the preview and its confirm the file is kept in the database (`keep_for_confirm`), so
the confirm names it instead of carrying the file back through the page.
"""

import hashlib
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from inventory.models import (
    MAX_QUANTITY,
    Balance,
    Item,
    Stocktake,
    StocktakeLine,
    StocktakeUpload,
    StocktakeUploadDraft,
)
from inventory.models.catalog import item_label
from inventory.sql import db_datetime, rows_source, table, values_source
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.csv_reading import ParsedRow, parse, without_cycle_collection
from inventory.stocktakes.services import StocktakeError

MODES = ("replace", "add")
ERRORS_IN_MESSAGE = 5  # apply_upload's refusal names this many problems, then "and N more"


@dataclass(frozen=True, slots=True)
class FoundItem:
    """An item a row names, as a preview shows it, with its line on this stocktake: a whole
    store's file names 100,000 items, and building a model instance for each cost the preview
    a third of its time."""

    pk: int
    sku: str
    barcode: str
    name: str
    has_line: bool
    current_count: int | None  # its line's count now

    def __str__(self) -> str:
        return item_label(self.sku, self.name)


@dataclass(frozen=True, slots=True)
class UploadRow:
    """One data row of the file. `error` is None when the row can be applied; then `new_count`
    is what the line will hold (`current_count` is its count now, None if never counted)."""

    line_number: int
    code: str
    counted: int | None
    item: FoundItem | None
    error: str | None
    current_count: int | None
    new_count: int | None


@dataclass(frozen=True, slots=True)
class UploadPreview:
    """What applying the file would do. `errors` are problems with the file as a whole; each
    row carries its own. `already_uploaded`: this exact file (same bytes) was already applied to
    this stocktake, which refuses it in add mode."""

    rows: list[UploadRow]
    errors: list[str]
    sha256: str
    mode: str
    already_uploaded: bool

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and not any(row.error for row in self.rows)
            and not (self.mode == "add" and self.already_uploaded)
        )

    @property
    def row_errors(self) -> list[str]:
        return [f"Line {row.line_number}: {row.error}" for row in self.rows if row.error]


def preview_upload(*, stocktake: Stocktake, data: bytes, mode: str) -> UploadPreview:
    """Parse and check the file, and show each row's count now and after. Writes nothing."""
    _check_mode(mode)
    return _preview(stocktake, data, mode)


def apply_upload(
    *, stocktake: Stocktake, data: bytes, mode: str, actor: AbstractBaseUser
) -> UploadPreview:
    """Write every row's new count, in one transaction, or nothing at all.

    The stocktake row is locked first (as every count does), so no scan or other upload can
    change a line between the preview computed here and the write. Raises StocktakeError:
    "wrong_status" (not counting), "duplicate_upload" (this file already applied, add mode),
    "invalid_upload" (any error in the file)."""
    _check_mode(mode)
    with transaction.atomic():
        stocktake = stocktakes.locked_stocktakes().get(pk=stocktake.pk)
        stocktakes._require(stocktake, Stocktake.Status.COUNTING)
        preview = _preview(stocktake, data, mode)
        if mode == "add" and preview.already_uploaded:
            raise StocktakeError(
                "duplicate_upload",
                "This file was already applied to this count; adding it again would count"
                " it twice. Use replace mode to set the counts it holds.",
            )
        if not preview.ok:
            raise StocktakeError("invalid_upload", _refusal(preview))
        _write_counts(stocktake, preview.rows, actor)
        StocktakeUpload.objects.create(
            stocktake=stocktake, sha256=preview.sha256, mode=mode, uploaded_by=actor
        )
        stocktakes.record_event(stocktake, actor, "uploaded", f"{len(preview.rows)} rows, {mode}")
    return preview


def keep_for_confirm(
    *, stocktake: Stocktake, data: bytes, mode: str, actor: AbstractBaseUser
) -> StocktakeUploadDraft:
    """Keep a previewed file until its person confirms it: their earlier file for this count,
    previewed and never confirmed, is forgotten."""
    _check_mode(mode)
    with transaction.atomic():
        drafts = StocktakeUploadDraft.objects.filter(stocktake=stocktake, uploaded_by=actor)
        drafts.delete()
        return StocktakeUploadDraft.objects.create(
            stocktake=stocktake, uploaded_by=actor, mode=mode, data=data
        )


def kept_for_confirm(
    *, stocktake: Stocktake, draft_id: int, actor: AbstractBaseUser
) -> StocktakeUploadDraft | None:
    """The file `actor` previewed for this count under `draft_id`; None once saved or
    replaced by another preview (and for anyone else's)."""
    drafts = StocktakeUploadDraft.objects.filter(stocktake=stocktake, uploaded_by=actor)
    return drafts.filter(pk=draft_id).first()


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")


def _refusal(preview: UploadPreview) -> str:
    problems = preview.errors + preview.row_errors
    shown = " ".join(problems[:ERRORS_IN_MESSAGE])
    more = len(problems) - ERRORS_IN_MESSAGE
    return f"The file was not applied. {shown}" + (f" And {more} more." if more > 0 else "")


def _preview(stocktake: Stocktake, data: bytes, mode: str) -> UploadPreview:
    sha256 = hashlib.sha256(data).hexdigest()
    already = StocktakeUpload.objects.filter(stocktake=stocktake, sha256=sha256).exists()
    errors: list[str] = []
    if stocktake.status != Stocktake.Status.COUNTING:
        errors.append(
            f"This count is {stocktake.get_status_display().lower()}: counts can no longer change."
        )
    with without_cycle_collection():
        column, parsed, file_errors = parse(data)
        errors += file_errors
        rows = _check_rows(stocktake, column, parsed, mode) if parsed else []
    return UploadPreview(
        rows=rows, errors=errors, sha256=sha256, mode=mode, already_uploaded=already
    )


def _check_rows(
    stocktake: Stocktake, column: str, parsed: list[ParsedRow], mode: str
) -> list[UploadRow]:
    by_sku, by_barcode = _resolve(stocktake, column, {row.code for row in parsed if row.code})
    first_line_of: dict[int, int] = {}  # item id -> line that named it first
    rows = []
    for row in parsed:
        item = by_sku.get(row.code) or by_barcode.get(row.code)
        error = row.error
        current = item.current_count if item is not None and item.has_line else None
        if error is None:
            if item is None:
                error = _unknown(column, row.code)
            elif item.pk in first_line_of:
                error = (
                    f"{item} is already counted on line {first_line_of[item.pk]}:"
                    " keep one of the two lines."
                )
            elif not stocktake.full and not item.has_line:
                error = f"{item} is not part of this count: remove the line."
        if item is not None:
            first_line_of.setdefault(item.pk, row.line_number)
        new = None
        if error is None and row.counted is not None:
            new = row.counted if mode == "replace" else (current or 0) + row.counted
            if new > MAX_QUANTITY:
                error = f"{current} counted so far + {row.counted} is more than the largest count."
                new = None
        rows.append(
            UploadRow(
                line_number=row.line_number,
                code=row.code,
                counted=row.counted,
                item=item,
                error=error,
                current_count=current,
                new_count=new,
            )
        )
    return rows


def _unknown(column: str, code: str) -> str:
    label = {"sku": "SKU", "barcode": "barcode", "code": "SKU or barcode"}[column]
    return f"No item has {label} “{code}”: check it, or delete the line."


def _resolve(
    stocktake: Stocktake, column: str, codes: set[str]
) -> tuple[dict[str, FoundItem], dict[str, FoundItem]]:
    """Every code's item, by SKU and by barcode, with its line on this stocktake, in one
    query."""
    if not codes:
        return {}, {}
    wanted = values_source(sorted(codes), "text")
    match = {
        "sku": Q(sku__in=wanted),
        "barcode": Q(barcode__in=wanted),
        "code": Q(sku__in=wanted) | Q(barcode__in=wanted),
    }[column]
    line = StocktakeLine.objects.filter(stocktake=stocktake, item=OuterRef("pk"))
    rows = (
        Item.objects.filter(match)
        .annotate(
            line_id=Subquery(line.values("pk")[:1]),
            current_count=Subquery(line.values("counted_quantity")[:1]),
        )
        .order_by()
        .values_list("pk", "sku", "barcode", "name", "line_id", "current_count")
    )
    by_sku: dict[str, FoundItem] = {}
    by_barcode: dict[str, FoundItem] = {}
    for pk, sku, barcode, name, line_id, current_count in rows:
        item = FoundItem(pk, sku, barcode, name, line_id is not None, current_count)
        if item.sku in codes and column != "barcode":
            by_sku[item.sku] = item
        if item.barcode in codes and column != "sku":
            by_barcode[item.barcode] = item
    return by_sku, by_barcode


def _write_counts(stocktake: Stocktake, rows: list[UploadRow], actor: AbstractBaseUser) -> None:
    """Every row's count in ONE statement: insert the lines a full count does not have yet,
    update the others, with the on-hand at the location now as each line's expected quantity
    (as counting an item does). Lines are written in item order, the order counts lock them."""
    assert all(row.item is not None and row.new_count is not None for row in rows)
    source, params = rows_source(
        sorted((row.item.pk, row.new_count) for row in rows)  # type: ignore[union-attr]
    )
    line_table, balance_table = table(StocktakeLine), table(Balance)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {line_table} (stocktake_id, item_id, counted_quantity, counted_at,"
            " counted_by_id, expected_quantity)"
            " SELECT %s, v.column1, v.column2, %s, %s, COALESCE(b.quantity, 0)"
            f" FROM ({source}) AS v LEFT JOIN {balance_table} AS b"
            " ON b.item_id = v.column1 AND b.location_id = %s"
            " WHERE true ORDER BY v.column1"
            " ON CONFLICT (stocktake_id, item_id) DO UPDATE SET"
            " counted_quantity = excluded.counted_quantity, counted_at = excluded.counted_at,"
            " counted_by_id = excluded.counted_by_id,"
            " expected_quantity = excluded.expected_quantity",
            [
                stocktake.pk,
                db_datetime(timezone.now()),
                actor.pk,
                *params,
                stocktake.location_id,
            ],
        )
