"""Reading a count file (the first half of a CSV upload, csv_upload).

The file has a header row `sku,counted` or `barcode,counted` (or `code,counted`: a SKU or a
barcode, SKU first). Headers are case-insensitive; a UTF-8 BOM, blank lines, whitespace around
cells, Windows line endings and `;` or tab as the delimiter are tolerated. Other columns are
ignored, so a count sheet exported with names still uploads.

Each row is read into a code and a count, or the reason it cannot be: which item a code names
is the upload's to find."""

import csv
import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from inventory.models import MAX_QUANTITY

MAX_ROWS = 100_000
CODE_COLUMNS = ("sku", "barcode", "code")
COUNT_COLUMN = "counted"
DELIMITERS = (",", ";", "\t")
_DIGITS = re.compile(r"[0-9]+")
_MAX_DIGITS = len(str(MAX_QUANTITY))


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """A file is read into a few objects per row: a whole store's 100,000 rows make hundreds of
    thousands, and CPython's cycle collector, run as they are allocated, walks all the live
    ones again each time (it made a 100,000-row preview take 1.7 times as long per row as a
    1,000-row one). None of them form cycles: reference counting frees every one."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True, slots=True)
class ParsedRow:
    line_number: int
    code: str
    counted: int | None
    error: str | None


def parse(data: bytes) -> tuple[str, list[ParsedRow], list[str]]:
    """The code column's name, the data rows, and the file's problems."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "", [], ["The file is not UTF-8 text. Save it as “CSV UTF-8” and upload it again."]
    if not text.strip():
        return "", [], ["The file is empty."]
    if "\x00" in text:  # a spreadsheet, not its CSV export (and PostgreSQL refuses NUL in text)
        return "", [], ["The file is not a CSV text file. Export it from the spreadsheet as CSV."]
    first_line = next(line for line in text.splitlines() if line.strip())
    delimiter = next((d for d in DELIMITERS if d in first_line), ",")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        records = [
            (reader.line_num, [cell.strip() for cell in record])
            for record in reader
            if any(cell.strip() for cell in record)
        ]
    except csv.Error as error:
        return "", [], [f"The file is not a readable CSV (line {reader.line_num}: {error})."]
    if not records:
        return "", [], ["The file is empty."]
    (_, header), *body = records
    names = [cell.lower() for cell in header]
    code_columns = [name for name in CODE_COLUMNS if name in names]
    if len(code_columns) != 1 or COUNT_COLUMN not in names:
        return (
            "",
            [],
            [
                "The first row must be a header naming the columns: sku,counted or"
                f" barcode,counted (or code,counted); found {','.join(header)}."
            ],
        )
    if not body:
        return "", [], ["The file has a header but no rows of counts."]
    if len(body) > MAX_ROWS:
        return "", [], [f"At most {MAX_ROWS} rows per file, not {len(body)}: split it."]
    column = code_columns[0]
    code_at, count_at = names.index(column), names.index(COUNT_COLUMN)
    return column, [_parse_row(n, cells, code_at, count_at) for n, cells in body], []


def _parse_row(line_number: int, cells: list[str], code_at: int, count_at: int) -> ParsedRow:
    code = cells[code_at] if code_at < len(cells) else ""
    raw = cells[count_at] if count_at < len(cells) else ""
    digits = (raw.lstrip("0") or "0") if _DIGITS.fullmatch(raw) else None
    # int() refuses more than 4300 digits (ValueError): far more than any count can have.
    counted = int(digits) if digits is not None and len(digits) <= _MAX_DIGITS else None
    error = None
    if not code:
        error = "No SKU or barcode: fill it in, or delete the line."
    elif not raw:
        error = "No count: enter the number counted."
    elif digits is None:
        error = f"The count “{raw}” is not a whole number of zero or more."
    elif counted is None or counted > MAX_QUANTITY:
        shown = raw if len(raw) <= _MAX_DIGITS * 2 else f"{raw[:_MAX_DIGITS]}… ({len(raw)} digits)"
        error = f"The count {shown} is too large."
    return ParsedRow(line_number, code, counted, error)
