"""Every rule of a write, once: its Python form beside its SQL form.

The full path (`apply`, `resolve`) checks a batch in Python and names every failing line. The
fast path (`fast_path`) checks the same rules in SQL, inside its one statement, on the locked
rows; it needs no messages, only "does every line pass?". The two must agree (the fast path may
be stricter, never looser: tests/stock/test_fast_path.py holds them to the same results), so each
rule's SQL form sits right under its Python form: change one, change the other.

The SQL forms are conditions that HOLD for an accepted line, over the columns of the fast path's
`change` rows: before, after, amount (the line's quantity), expected, safety_stock,
warning_level, enabled, allow_negative_stock, balance_id.
"""

from collections.abc import Mapping, Sequence

from inventory.errors import ErrorCode, LineError
from inventory.models import MAX_QUANTITY, Adjustment
from inventory.models.stock import stock_level_sql
from inventory.stock.types import (
    BalanceKey,
    Effect,
    LineInput,
    LockedBalance,
    Op,
    StockChange,
    operation,
)

Kind = Adjustment.Kind


# Quantity out of range: no quantity, given or resulting, beyond ±MAX_QUANTITY.
def out_of_range(quantity: int) -> bool:
    return abs(quantity) > MAX_QUANTITY


def in_range_sql(column: str) -> str:
    return f"abs({column}) <= {MAX_QUANTITY}"


# Change out of range: the ledger line records after - before in the same 32 bits, so one
# adjustment may not move a balance further than ±MAX_QUANTITY (from far below zero straight
# to a count, say); two adjustments can.
def change_out_of_range(before: int, after: int) -> bool:
    return out_of_range(after - before)


CHANGE_IN_RANGE_SQL = in_range_sql("after - before")


# Set below 0: an absolute or stocktake line cannot set on-hand below 0.
def sets_below_zero(kind: Kind, quantity: int) -> bool:
    return quantity < 0 and operation(kind) is Op.SET  # the cheap test first: once per line


SETS_NOT_BELOW_ZERO_SQL = "amount >= 0"


# Transfer quantity not positive, no destination, same location: no SQL form, the fast path
# takes no transfers (`fast_path.KINDS`).
def transfer_not_positive(kind: Kind, quantity: int) -> bool:
    return quantity <= 0 and kind == Kind.TRANSFER


# Stale: `expected_quantity`, when given, must be the on-hand of the locked row.
def is_stale(expected: int | None, before: int) -> bool:
    return expected is not None and expected != before


NOT_STALE_SQL = "(expected IS NULL OR expected = before)"


# Insufficient stock: a decrease may not take on-hand below the safety stock (nor below zero),
# unless the location allows negative stock.
def takes_too_much(effect: Effect, after: int, safety_stock: int) -> bool:
    decrease = effect.op is Op.ADD and effect.amount < 0
    return decrease and not effect.may_go_negative and after < max(safety_stock, 0)


ENOUGH_STOCK_SQL = "(amount >= 0 OR allow_negative_stock OR after >= greatest(safety_stock, 0))"


# Disabled location: a line changes stock only at an enabled location (an unknown one is
# refused too; in SQL it joins no row, so the line count tells).
LOCATION_ENABLED_SQL = "enabled"


# Alert level (`models.stock.stock_level`, with its SQL form beside it there): `alerts` opens and
# closes alerts on a change of level; the fast path takes only changes that keep it.
LEVEL_KEPT_SQL = (
    f"{stock_level_sql('before', 'warning_level')} = {stock_level_sql('after', 'warning_level')}"
)


# Duplicates: two lines on one balance make the result depend on their order.
def duplicate_errors(effects: list[Effect]) -> list[LineError]:
    first_index: dict[BalanceKey, int] = {}
    errors = []
    for effect in effects:
        first = first_index.setdefault(effect.key, effect.index)
        if first != effect.index:
            item_id, location_id = effect.key
            errors.append(
                LineError(
                    effect.index,
                    effect.identity_field,
                    ErrorCode.DUPLICATE_LINE,
                    f"{effect.label} at location {location_id} is already changed by line {first}.",
                    item_id=item_id,
                    location_id=location_id,
                    facts={"first": first},
                )
            )
    return errors


NO_DUPLICATES_SQL = "count(DISTINCT balance_id) = count(*)"  # an aggregate over all lines


def accepted_sql(kind: Kind) -> str:
    """What the fast path requires of each line of a batch of `kind`: every rule above. (The
    given quantities are in range before the statement runs: `fast_path._shared_identity`.)"""
    rules = [LOCATION_ENABLED_SQL, in_range_sql("after"), CHANGE_IN_RANGE_SQL, NOT_STALE_SQL]
    rules.append(LEVEL_KEPT_SQL)
    rules.append(SETS_NOT_BELOW_ZERO_SQL if operation(kind) is Op.SET else ENOUGH_STOCK_SQL)
    return " AND ".join(rules)


# The full path's checks, in the order it runs them, with their messages.


def shape_errors(kind: Kind, index: int, line: LineInput) -> list[LineError]:
    """The rules a line breaks as given, before anything is read."""
    errors = []
    quantity = line.quantity
    if sets_below_zero(kind, quantity):
        errors.append(
            LineError(
                index,
                "quantity",
                ErrorCode.NEGATIVE_QUANTITY,
                f"{label(line)}: on-hand cannot be set below 0.",
                **_facts(line, quantity=quantity),
            )
        )
    elif transfer_not_positive(kind, quantity):
        errors.append(
            LineError(
                index,
                "quantity",
                ErrorCode.NON_POSITIVE_QUANTITY,
                f"{label(line)}: a transfer moves a positive quantity.",
                **_facts(line, quantity=quantity),
            )
        )
    if out_of_range(quantity):
        errors.append(_out_of_range(index, "quantity", line))
    if line.expected_quantity is not None and out_of_range(line.expected_quantity):
        errors.append(_out_of_range(index, "expected_quantity", line))
    if kind == Kind.TRANSFER:
        errors += _destination_errors(index, line)
    return errors


def _destination_errors(index: int, line: LineInput) -> list[LineError]:
    if line.to_location_id is None:
        message = f"{label(line)}: a transfer needs a destination location."
        facts = {**_facts(line), "location_id": None}  # none given
        return [LineError(index, "to_location_id", ErrorCode.UNKNOWN_LOCATION, message, **facts)]
    if line.to_location_id == line.location_id:
        message = f"{label(line)}: source and destination are both location {line.location_id}."
        return [
            LineError(index, "to_location_id", ErrorCode.SAME_LOCATION, message, **_facts(line))
        ]
    return []


def _out_of_range(index: int, field: str, line: LineInput) -> LineError:
    return LineError(
        index,
        field,
        ErrorCode.QUANTITY_OUT_OF_RANGE,
        f"{label(line)}: {field} must be between -{MAX_QUANTITY} and {MAX_QUANTITY}.",
        **_facts(line, given=getattr(line, field)),
    )


def location_errors(
    kind: Kind, index: int, line: LineInput, enabled: Mapping[int, bool]
) -> list[LineError]:
    """The line's locations that do not exist or are disabled (`enabled`: by location id)."""
    if kind != Kind.TRANSFER and enabled.get(line.location_id):
        return []  # the common case, first: one enabled location
    fields = ["location_id", "to_location_id"] if kind == Kind.TRANSFER else ["location_id"]
    errors = []
    for field in fields:
        location_id = getattr(line, field)
        if location_id is None:
            continue
        if location_id not in enabled:
            code, what = ErrorCode.UNKNOWN_LOCATION, "does not exist"
        elif not enabled[location_id]:
            code, what = ErrorCode.LOCATION_DISABLED, "is disabled"
        else:
            continue
        message = f"{label(line)}: location {location_id} {what}."
        facts = _facts(line)
        facts["location_id"] = location_id
        errors.append(LineError(index, field, code, message, **facts))
    return errors


def check_locked(
    effects: Sequence[Effect], locked: Mapping[BalanceKey, LockedBalance]
) -> tuple[list[StockChange], list[LineError], list[LineError]]:
    """Compute each new quantity from the locked row and check the rules that need it. Returns
    the changes, the broken rules and the stale `expected_quantity` lines."""
    changes, errors, stale = [], [], []
    for effect in effects:
        balance = locked[effect.key]
        before = balance.quantity
        after = effect.amount if effect.op is Op.SET else before + effect.amount
        changes.append(StockChange(balance.id, *effect.key, before, after, balance.warning_level))
        if is_stale(effect.expected_quantity, before):
            stale.append(
                LineError(
                    effect.index,
                    "expected_quantity",
                    ErrorCode.STALE_QUANTITY,
                    f"{_where(effect)}: on-hand is {before}, not the expected"
                    f" {effect.expected_quantity}.",
                    **_at(effect, on_hand=before, expected=effect.expected_quantity),
                )
            )
        if out_of_range(after):
            errors.append(
                LineError(
                    effect.index,
                    "quantity",
                    ErrorCode.QUANTITY_OUT_OF_RANGE,
                    f"{_where(effect)}: on-hand would be {after}, beyond the limit of"
                    f" {MAX_QUANTITY}.",
                    **_at(effect, after=after),
                )
            )
        elif change_out_of_range(before, after):
            errors.append(
                LineError(
                    effect.index,
                    "quantity",
                    ErrorCode.QUANTITY_OUT_OF_RANGE,
                    f"{_where(effect)}: on-hand would change by {after - before}, beyond the"
                    f" limit of {MAX_QUANTITY} in one adjustment: make it in two.",
                    **_at(effect, change=after - before),
                )
            )
        elif takes_too_much(effect, after, balance.safety_stock):
            kept = f" (safety stock {balance.safety_stock})" if balance.safety_stock else ""
            errors.append(
                LineError(
                    effect.index,
                    "quantity",
                    ErrorCode.INSUFFICIENT_STOCK,
                    f"{_where(effect)}: insufficient stock: on-hand {before}{kept},"
                    f" change {effect.amount}.",
                    **_at(
                        effect,
                        on_hand=before,
                        change=effect.amount,
                        safety_stock=balance.safety_stock,
                    ),
                )
            )
    return changes, errors, stale


def label(line: LineInput) -> str:
    """The item as a line names it, for messages."""
    identity = line.identity()
    if identity is None:
        return f"line at location {line.location_id}"
    name, value = identity
    return f"{name} {value}"


def _where(effect: Effect) -> str:
    return f"{effect.label} at location {effect.key[1]}"


# The facts a person's message needs (`inventory.stock.messages`), beside the message for
# programs; built only for a line that fails.


def _facts(line: LineInput, **facts: int) -> dict:
    """A line's facts before its item is resolved: the item as the line names it."""
    return {
        "item_id": line.item_id,
        "named": line.identity(),
        "location_id": line.location_id,
        "facts": facts,
    }


def _at(effect: Effect, **facts: int | None) -> dict:
    """A resolved line's facts: its balance's item and location."""
    item_id, location_id = effect.key
    return {"item_id": item_id, "location_id": location_id, "facts": facts}
