"""Turning a batch's lines into effects on balances: shape checks and identity resolution, in a
constant number of queries whatever the batch size. Used by stock.apply_adjustment."""

from collections.abc import Sequence
from typing import NamedTuple

from inventory.errors import AdjustmentRejected, ErrorCode, LineError, StaleBalances
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, Adjustment, Item
from inventory.sql import table
from inventory.stock.locking import BalanceKey, BalanceName, LockedBalance, lock_named_balances
from inventory.stock.types import Effect, LineInput, Op, operation
from locations.models import Location

Kind = Adjustment.Kind
IDENTITY_FIELDS = ("sku", "variant_id", "product_id", "item_id")


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
        names, identities=identities, lookup=_lookup_query(identities)
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
    )


def _plan(
    kind: Kind, lines: Sequence[LineInput], rows: list[tuple]
) -> tuple[list[Effect], list[LineError]]:
    """Each line's effects, from the lookup's rows."""
    errors: list[LineError] = []
    found_items = [ItemRef(*row[1:6]) for row in rows if row[0] == "item"]
    found_locations = [(row[1], bool(row[6]), bool(row[7])) for row in rows if row[0] == "location"]
    items = _ItemIndex(found_items)
    locations = _LocationIndex(found_locations)
    effects: list[Effect] = []
    op = operation(kind)
    transfer = kind == Kind.TRANSFER
    sign = -1 if transfer else 1  # a transfer takes its quantity from the source
    for index, line in enumerate(lines):  # up to 2000 times per batch: kept lean
        given = line.identities()
        item, item_error = items.resolve(index, given)
        line_errors = _shape_errors(kind, index, line)
        if item_error:
            line_errors.append(item_error)
        line_errors += locations.errors(index, line, kind)
        if line_errors:
            errors += line_errors
            continue
        assert item is not None
        field, value = given[0]
        effects.append(
            Effect(
                index,
                (item.pk, line.location_id),
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
            destination = (item.pk, line.to_location_id)
            effects.append(Effect(index, destination, Op.ADD, line.quantity, field, value))
    errors += _duplicate_errors(effects)
    return effects, errors


def _shape_errors(kind: Kind, index: int, line: LineInput) -> list[LineError]:
    errors = []
    quantity = line.quantity
    if kind in (Kind.ABSOLUTE, Kind.STOCKTAKE) and quantity < 0:
        errors.append(
            LineError(
                index,
                "quantity",
                ErrorCode.NEGATIVE_QUANTITY,
                f"{_label(line)}: on-hand cannot be set below 0.",
            )
        )
    elif kind == Kind.TRANSFER and quantity <= 0:
        errors.append(
            LineError(
                index,
                "quantity",
                ErrorCode.NON_POSITIVE_QUANTITY,
                f"{_label(line)}: a transfer moves a positive quantity.",
            )
        )
    if abs(quantity) > MAX_QUANTITY:
        errors.append(_out_of_range(index, "quantity", line))
    if line.expected_quantity is not None and abs(line.expected_quantity) > MAX_QUANTITY:
        errors.append(_out_of_range(index, "expected_quantity", line))
    if kind == Kind.TRANSFER and line.to_location_id is None:
        errors.append(
            LineError(
                index,
                "to_location_id",
                ErrorCode.UNKNOWN_LOCATION,
                f"{_label(line)}: a transfer needs a destination location.",
            )
        )
    elif kind == Kind.TRANSFER and line.to_location_id == line.location_id:
        errors.append(
            LineError(
                index,
                "to_location_id",
                ErrorCode.SAME_LOCATION,
                f"{_label(line)}: source and destination are both location {line.location_id}.",
            )
        )
    return errors


def _out_of_range(index: int, field: str, line: LineInput) -> LineError:
    return LineError(
        index,
        field,
        ErrorCode.QUANTITY_OUT_OF_RANGE,
        f"{_label(line)}: {field} must be between -{MAX_QUANTITY} and {MAX_QUANTITY}.",
    )


def _label(line: LineInput) -> str:
    identity = line.identity()
    if identity is None:
        return f"line at location {line.location_id}"
    name, value = identity
    return f"{name} {value}"


class ItemRef(NamedTuple):
    """The few columns of an item that planning needs (tuples, not model instances: building
    2000 ORM objects would cost more than the whole database round trip)."""

    pk: int
    sku: str
    variant_id: int | None
    product_id: int
    tracking: str


def _lookup_query(identities: Sequence[str]) -> str:
    """Every item and every location a batch's `line`s name (see `lock_named_balances`) by the
    `identities` it gives: a UNION of the two row shapes. An item is found by an identity
    whatever its tracking, so that naming it by the wrong one gets its own error. Each identity
    is a join of its own, which probes that column's index: an OR of them would scan the item
    table."""
    no_flag = "CAST(NULL AS BOOLEAN)"  # typed: the first SELECT settles the columns' types
    columns = f"'item', i.id, i.sku, i.variant_id, i.product_id, i.tracking, {no_flag}, {no_flag}"
    items = [
        f"SELECT {columns} FROM line JOIN {table(Item)} AS i ON {FINDS[identity]}"
        for identity in identities
    ] or [f"SELECT {columns} FROM {table(Item)} AS i WHERE FALSE"]
    return (
        " UNION ALL ".join(items)
        + " UNION ALL SELECT 'location', id, NULL, NULL, NULL, NULL, enabled, allow_negative_stock"
        f" FROM {table(Location)} WHERE id IN (SELECT column5 FROM line)"
    )


# The items a line's identity finds, whatever their tracking (locking.MEANS narrows it).
FINDS = {
    "sku": "i.sku = line.column1",
    "variant_id": "i.variant_id = line.column2",
    "product_id": "i.product_id = line.column3",
    "item_id": "i.id = line.column4",
}


class _ItemIndex:
    """The items a batch names, by each of their identities."""

    def __init__(self, items: list[ItemRef]) -> None:
        self.by: dict[str, dict[str | int, ItemRef]] = {name: {} for name in IDENTITY_FIELDS}
        self.product_tracked_by_variant: set[int] = set()
        for item in items:
            self.by["sku"][item.sku] = item
            self.by["item_id"][item.pk] = item
            if item.variant_id is not None:
                self.by["variant_id"][item.variant_id] = item
            if item.tracking == Item.Tracking.PRODUCT:
                self.by["product_id"][item.product_id] = item
            else:
                self.product_tracked_by_variant.add(item.product_id)

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
        if len({item.pk for item in found}) > 1:
            names = " and ".join(f"{name} {value}" for name, value in given)
            message = f"{names} name different items."
            return None, LineError(index, given[0][0], ErrorCode.AMBIGUOUS_IDENTITY, message)
        return found[0], None

    def _resolve_one(
        self, index: int, name: str, value: str | int
    ) -> tuple[ItemRef | None, LineError | None]:
        item = self.by[name].get(value)
        if name == "variant_id" and item is not None and item.tracking == Item.Tracking.PRODUCT:
            return None, LineError(
                index,
                name,
                ErrorCode.WRONG_IDENTIFIER,
                f"Item with variant_id {value} is tracked by product, please update stock by product id",
            )
        if item is None and name == "product_id" and value in self.product_tracked_by_variant:
            return None, LineError(
                index,
                name,
                ErrorCode.WRONG_IDENTIFIER,
                f"Item with product_id {value} is tracked by variant, please update stock by variant id",
            )
        if item is None:
            return None, LineError(
                index, name, ErrorCode.UNKNOWN_ITEM, f"Item with {name} {value} does not exist."
            )
        return item, None


class _LocationIndex:
    """The locations a batch names: (id, enabled, allow_negative_stock) rows."""

    def __init__(self, rows: list[tuple[int, bool, bool]]) -> None:
        self.enabled = {location_id: enabled for location_id, enabled, _ in rows}
        self.negative_allowed = {location_id for location_id, _, allowed in rows if allowed}

    def allows_negative(self, location_id: int) -> bool:
        return location_id in self.negative_allowed

    def errors(self, index: int, line: LineInput, kind: Kind) -> list[LineError]:
        if kind != Kind.TRANSFER and self.enabled.get(line.location_id):
            return []  # the common case, first: one enabled location
        fields = ["location_id", "to_location_id"] if kind == Kind.TRANSFER else ["location_id"]
        errors = []
        for field in fields:
            location_id = getattr(line, field)
            if location_id is None:
                continue
            if location_id not in self.enabled:
                errors.append(
                    LineError(
                        index,
                        field,
                        ErrorCode.UNKNOWN_LOCATION,
                        f"{_label(line)}: location {location_id} does not exist.",
                    )
                )
            elif not self.enabled[location_id]:
                errors.append(
                    LineError(
                        index,
                        field,
                        ErrorCode.LOCATION_DISABLED,
                        f"{_label(line)}: location {location_id} is disabled.",
                    )
                )
        return errors


def _duplicate_errors(effects: list[Effect]) -> list[LineError]:
    """Two lines on one balance make the result depend on their order: refuse them."""
    first_index: dict[BalanceKey, int] = {}
    errors = []
    for effect in effects:
        first = first_index.setdefault(effect.key, effect.index)
        if first != effect.index:
            location_id = effect.key[1]
            errors.append(
                LineError(
                    effect.index,
                    effect.identity_field,
                    ErrorCode.DUPLICATE_LINE,
                    f"{effect.label} at location {location_id} is already changed by line {first}.",
                )
            )
    return errors
