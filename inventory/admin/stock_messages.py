"""The words of the adjust and move forms: the write path's refusals of a row, with the item
by SKU and name, the location by name and what to do next (the write path's own messages name
what a partner's request named: `sku X at location 2`); and the line above the form that says
nothing was changed and which rows to look at."""

from inventory.admin.adjust_forms import StockRowForm, item_label
from inventory.errors import ErrorCode, LineError
from inventory.models import MAX_QUANTITY, Balance
from locations.models import Location

# Where a message goes: a box of the row, the row as a whole (None), or a location field.
SOURCE = "source"
DESTINATION = "destination"


def explain(
    error: LineError, form: StockRowForm, location: Location | None, balance: Balance | None
) -> tuple[str | None, str]:
    """(where, message) for one refusal of the row `form`. `location` is the one the error is
    about; `balance` is the row's item there as it is now (None: nothing on hand)."""
    label = item_label(form.item) if form.item is not None else "This item"
    place = location.label if location is not None else "that location"
    on_hand = balance.quantity if balance is not None else 0
    code = error.code
    if code == ErrorCode.INSUFFICIENT_STOCK:
        return "quantity", _insufficient(label, place, on_hand, balance)
    if code == ErrorCode.STALE_QUANTITY:
        seen = form.cleaned_data.get("expected_quantity")
        return None, (
            f"{label}: on-hand at {place} is now {on_hand}, not the {seen} shown when you looked"
            " it up (someone changed it meanwhile). Check the quantity, then apply again."
        )
    if code == ErrorCode.NEGATIVE_QUANTITY:
        return "quantity", (
            f"{label}: on-hand cannot be set below 0. To take units out, choose “Add” and enter"
            " a negative number."
        )
    if code == ErrorCode.NON_POSITIVE_QUANTITY:
        return "quantity", "Move at least 1."
    if code == ErrorCode.QUANTITY_OUT_OF_RANGE:
        return "quantity", (
            f"{label}: that goes beyond {MAX_QUANTITY:,}, the most one balance or one change can"
            " hold. Use a smaller quantity, or make the change in two steps."
        )
    if code == ErrorCode.DUPLICATE_LINE:
        return "code", f"{label} is on another row too: put it on one row."
    if code == ErrorCode.IDENTITY_CHANGED:
        return None, f"{label} was changed by someone else just now. Apply again."
    if code in (ErrorCode.UNKNOWN_LOCATION, ErrorCode.LOCATION_DISABLED, ErrorCode.SAME_LOCATION):
        return _location_message(error, place)
    if code in (ErrorCode.UNKNOWN_ITEM, ErrorCode.WRONG_IDENTIFIER, ErrorCode.MISSING_IDENTITY):
        return "code", "That item no longer exists. Check the code."
    return None, error.message


def _insufficient(label: str, place: str, on_hand: int, balance: Balance | None) -> str:
    safety = max(balance.safety_stock, 0) if balance is not None else 0
    spare = max(on_hand - safety, 0)
    kept = f" ({safety} kept as safety stock)" if safety else ""
    if spare == 0:
        return f"{label}: {on_hand} on hand at {place}{kept}, so none can be taken out."
    return (
        f"{label}: only {on_hand} on hand at {place}{kept}, so at most {spare} can be taken"
        " out. Lower the quantity."
    )


def _location_message(error: LineError, place: str) -> tuple[str, str]:
    where = DESTINATION if error.field == "to_location_id" else SOURCE
    if error.code == ErrorCode.SAME_LOCATION:
        return DESTINATION, "Choose another location to move to: both are the same."
    if error.code == ErrorCode.LOCATION_DISABLED:
        return where, f"{place} is closed for stock changes. Choose another location."
    return where, "That location no longer exists. Choose another."


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
