"""Where the adjust and move forms show the write path's refusals (the words are
`stock.messages.for_people`'s), and the line above the form that says nothing was changed and
which rows to look at."""

from inventory.errors import ErrorCode, LineError

# Where a message goes: a box of the row, the row as a whole (None), or a location field.
SOURCE = "source"
DESTINATION = "destination"


def box_of(error: LineError) -> str | None:
    """Which box of the form a write-path refusal belongs to: a row's code or quantity, a
    location field, or the row as a whole (None). Its words are `stock.messages.for_people`'s."""
    if error.code in (ErrorCode.UNKNOWN_LOCATION, ErrorCode.LOCATION_DISABLED):
        return DESTINATION if error.field == "to_location_id" else SOURCE
    if error.code == ErrorCode.SAME_LOCATION:
        return DESTINATION
    if error.code in (
        ErrorCode.INSUFFICIENT_STOCK,
        ErrorCode.NEGATIVE_QUANTITY,
        ErrorCode.NON_POSITIVE_QUANTITY,
        ErrorCode.QUANTITY_OUT_OF_RANGE,
    ):
        return "quantity"
    if error.code in (
        ErrorCode.DUPLICATE_LINE,
        ErrorCode.UNKNOWN_ITEM,
        ErrorCode.WRONG_IDENTIFIER,
        ErrorCode.MISSING_IDENTITY,
    ):
        return "code"
    return None


def summary_of(header, rows, bad: list[int], warned: list[int]) -> str:
    """The line above the form after a submission: nothing was changed, and what to look at."""
    fields = [name for name in header.errors if name != "__all__"]
    to_fix = (["the fields"] if fields else []) + ([_rows_named(bad)] if bad else [])
    parts = [f"fix {' and '.join(to_fix)} marked below"] if to_fix else []
    if warned:
        parts.append(f"look again at {_rows_named(warned)}")
    if parts:
        return f"Nothing was changed. Please {' and '.join(parts)}."
    if header.non_field_errors() or rows.non_form_errors():
        return "Nothing was changed."
    return ""


def _rows_named(numbers: list[int]) -> str:
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    return f"rows {', '.join(map(str, numbers[:-1]))} and {numbers[-1]}"
