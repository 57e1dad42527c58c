"""Which item and location a line names, written once: the table of meanings (`MEANINGS`) is
what the lookup SQL, the lock SQL (here and in `fast_path`) and the Python index all read. Turns
a batch's lines into effects on balances in a constant number of queries whatever its size.
Used by stock.apply_adjustment."""

from collections.abc import Sequence
from typing import NamedTuple

from inventory.errors import AdjustmentRejected, ErrorCode, LineError, StaleBalances
from inventory.models import MAX_BATCH_LINES, Adjustment, Item
from inventory.sql import table
from inventory.stock import rules
from inventory.stock.locking import lock_named_balances
from inventory.stock.types import (
    BalanceKey,
    BalanceName,
    Effect,
    LineInput,
    LockedBalance,
    Op,
    operation,
)
from locations.models import Location

Kind = Adjustment.Kind
PRODUCT = Item.Tracking.PRODUCT


class Meaning(NamedTuple):
    """What an identity a line gives means: the item whose `column` equals the line's
    `line_column` (a column of the `line` rows, see `locking.BalanceName`), if its tracking
    fits `by_product` (True: tracked by product; False: not; None: either). An item found by
    the column but of the other tracking is refused with `wrong_tracking`."""

    column: str
    line_column: str
    by_product: bool | None = None
    wrong_tracking: str = ""


MEANINGS = {
    "sku": Meaning("sku", "column1"),
    "variant_id": Meaning(
        "variant_id",
        "column2",
        by_product=False,
        wrong_tracking="Item with variant_id {} is tracked by product,"
        " please update stock by product id",
    ),
    "product_id": Meaning(
        "product_id",
        "column3",
        by_product=True,
        wrong_tracking="Item with product_id {} is tracked by variant,"
        " please update stock by variant id",
    ),
    "item_id": Meaning("id", "column4"),
}
IDENTITY_FIELDS = tuple(MEANINGS)


def finds(identity: str) -> str:
    """A join condition of `line` with items `i`: the items the identity finds, whatever their
    tracking (so that naming an item by the wrong one gets its own error)."""
    meaning = MEANINGS[identity]
    return f"i.{meaning.column} = line.{meaning.line_column}"


def means(identity: str) -> str:
    """A join condition of `line` with items `i`: the item the identity means."""
    meaning = MEANINGS[identity]
    if meaning.by_product is None:
        return finds(identity)
    tracking = "=" if meaning.by_product else "<>"
    return f"{finds(identity)} AND i.tracking {tracking} '{PRODUCT}'"


def named(identities: Sequence[str]) -> str:
    """`named`: the (item_id, location_id) of every balance a `line` can mean by `identities`."""
    joins = [
        f"SELECT i.id AS item_id, line.column5 AS location_id FROM line"
        f" JOIN {table(Item)} AS i ON {means(identity)}"
        for identity in identities
    ]
    return f"named AS ({' UNION ALL '.join(joins) or NAMES_NOTHING})"


NAMES_NOTHING = (
    "SELECT CAST(NULL AS BIGINT) AS item_id, CAST(NULL AS BIGINT) AS location_id WHERE FALSE"
)


def plan_and_lock(
    kind: Kind, lines: Sequence[LineInput], *, max_lines: int | None = MAX_BATCH_LINES
) -> tuple[list[Effect], list[LineError], dict[BalanceKey, LockedBalance]]:
    """Check the batch's shape, resolve every identity and lock every balance the batch can
    change, in one round trip whatever its size. Returns the effects of the well-formed lines,
    the errors of the others, and the locked balances.

    Raises `StaleBalances` when a line's item changed between the lookup and the lock (a rename
    racing the batch), its balance then unlocked: nothing is written, and a retry is safe."""
    _check_size(lines, max_lines)
    names: list[BalanceName] = []
    for line in lines:
        names.append((line.sku, line.variant_id, line.product_id, line.item_id, line.location_id))
        if line.to_location_id is not None:
            names.append(
                (line.sku, line.variant_id, line.product_id, line.item_id, line.to_location_id)
            )
    columns = list(zip(*names, strict=True))  # every name's sku, variant_id, … location_id
    identities = tuple(
        field
        for field, values in zip(IDENTITY_FIELDS, columns, strict=False)
        if values.count(None) < len(values)
    )
    rows, locked = lock_named_balances(
        names, named=named(identities), lookup=_lookup_query(identities)
    )
    effects, errors = _plan(kind, lines, rows)
    if unlocked := [effect for effect in effects if effect.key not in locked]:
        raise StaleBalances([_identity_changed(effect) for effect in unlocked])
    return effects, errors, locked


def _check_size(lines: Sequence[LineInput], max_lines: int | None) -> None:
    if not lines:
        raise AdjustmentRejected(
            [LineError(None, "items", ErrorCode.EMPTY_BATCH, "The batch has no lines.")]
        )
    if max_lines is not None and len(lines) > max_lines:
        raise AdjustmentRejected(
            [
                LineError(
                    None,
                    "items",
                    ErrorCode.TOO_MANY_LINES,
                    f"A batch takes at most {max_lines} lines; this one has {len(lines)}.",
                    facts={"most": max_lines, "lines": len(lines)},
                )
            ]
        )


def _identity_changed(effect: Effect) -> LineError:
    return LineError(
        effect.index,
        effect.identity_field,
        ErrorCode.IDENTITY_CHANGED,
        f"{effect.label} at location {effect.key[1]}: the item changed while the batch was"
        " applied; nothing was changed, please retry.",
        item_id=effect.key[0],
        location_id=effect.key[1],
    )


def _plan(
    kind: Kind, lines: Sequence[LineInput], rows: list[tuple]
) -> tuple[list[Effect], list[LineError]]:
    """Each line's effects, from the lookup's rows."""
    errors: list[LineError] = []
    found_items = [ItemRef(*row[1:6]) for row in rows if row[0] == "item"]
    found_locations = [(row[1], bool(row[6]), bool(row[7])) for row in rows if row[0] == "location"]
    items = ItemIndex(found_items)
    locations = _LocationIndex(found_locations)
    effects: list[Effect] = []
    op = operation(kind)
    transfer = kind == Kind.TRANSFER
    sign = -1 if transfer else 1  # a transfer takes its quantity from the source
    for index, line in enumerate(lines):  # up to 2000 times per batch: kept lean
        given = line.identities()
        item, item_error = items.resolve(index, given)
        line_errors = rules.shape_errors(kind, index, line)
        if item_error:
            line_errors.append(item_error)
        line_errors += rules.location_errors(kind, index, line, locations.enabled)
        if line_errors:
            errors += line_errors
            continue
        assert item is not None
        field, value = given[0]
        effects.append(
            Effect(
                index,
                (item.id, line.location_id),
                op,
                sign * line.quantity,
                field,
                value,
                line.expected_quantity,
                locations.allows_negative(line.location_id),
            )
        )
        if transfer:
            assert line.to_location_id is not None
            destination = (item.id, line.to_location_id)
            effects.append(Effect(index, destination, Op.ADD, line.quantity, field, value))
    errors += rules.duplicate_errors(effects)
    return effects, errors


class ItemRef(NamedTuple):
    """The few columns of an item that planning needs (tuples, not model instances: building
    2000 ORM objects would cost more than the whole database round trip). Fields are named as
    the item's columns, which `MEANINGS` names."""

    id: int
    sku: str
    variant_id: int | None
    product_id: int | None
    tracking: str


def _lookup_query(identities: Sequence[str]) -> str:
    """Every item and every location a batch's `line`s name (see `lock_named_balances`) by the
    `identities` it gives: a UNION of the two row shapes. Each identity is a join of its own,
    which probes that column's index: an OR of them would scan the item table."""
    no_flag = "CAST(NULL AS BOOLEAN)"  # typed: the first SELECT settles the columns' types
    columns = f"'item', i.id, i.sku, i.variant_id, i.product_id, i.tracking, {no_flag}, {no_flag}"
    items = [
        f"SELECT {columns} FROM line JOIN {table(Item)} AS i ON {finds(identity)}"
        for identity in identities
    ] or [f"SELECT {columns} FROM {table(Item)} AS i WHERE FALSE"]
    return (
        " UNION ALL ".join(items)
        + " UNION ALL SELECT 'location', id, NULL, NULL, NULL, NULL, enabled, allow_negative_stock"
        f" FROM {table(Location)} WHERE id IN (SELECT column5 FROM line)"
    )


class ItemIndex:
    """The items a batch names, by each identity in `MEANINGS`; and the values that find an
    item of the other tracking (`wrong`)."""

    def __init__(self, items: list[ItemRef]) -> None:
        self.by: dict[str, dict[str | int, ItemRef]] = {name: {} for name in MEANINGS}
        self.wrong: dict[str, set[str | int]] = {name: set() for name in MEANINGS}
        indexes = [
            (self.by[name], self.wrong[name], meaning.column, meaning.by_product)
            for name, meaning in MEANINGS.items()
        ]
        for item in items:
            by_product = item.tracking == PRODUCT
            for by, wrong, column, wanted in indexes:
                value = getattr(item, column)
                if value is None:
                    continue
                if wanted is None or wanted == by_product:
                    by[value] = item
                else:
                    wrong.add(value)

    def resolve(
        self, index: int, given: list[tuple[str, str | int]]
    ) -> tuple[ItemRef | None, LineError | None]:
        if len(given) == 1:
            return self._resolve_one(index, *given[0])
        if not given:
            message = "Name the item by one of sku, variant_id or product_id."
            return None, LineError(index, "sku", ErrorCode.MISSING_IDENTITY, message)
        found = []
        for name, value in given:
            item, error = self._resolve_one(index, name, value)
            if error is not None:
                return None, error
            found.append(item)
        if len({item.id for item in found}) > 1:
            names = " and ".join(f"{name} {value}" for name, value in given)
            message = f"{names} name different items."
            error = LineError(
                index, given[0][0], ErrorCode.AMBIGUOUS_IDENTITY, message, named=given[0]
            )
            return None, error
        return found[0], None

    def _resolve_one(
        self, index: int, name: str, value: str | int
    ) -> tuple[ItemRef | None, LineError | None]:
        item = self.by[name].get(value)
        if item is not None:
            return item, None
        if value in self.wrong[name]:
            message = MEANINGS[name].wrong_tracking.format(value)
            error = LineError(index, name, ErrorCode.WRONG_IDENTIFIER, message, named=(name, value))
            return None, error
        message = f"Item with {name} {value} does not exist."
        return None, LineError(index, name, ErrorCode.UNKNOWN_ITEM, message, named=(name, value))


class _LocationIndex:
    """The locations a batch names: (id, enabled, allow_negative_stock) rows."""

    def __init__(self, rows: list[tuple[int, bool, bool]]) -> None:
        self.enabled = {location_id: enabled for location_id, enabled, _ in rows}
        self.negative_allowed = {location_id for location_id, _, allowed in rows if allowed}

    def allows_negative(self, location_id: int) -> bool:
        return location_id in self.negative_allowed
