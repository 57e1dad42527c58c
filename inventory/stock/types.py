"""The few value types a write passes along: a line as the caller gives it, and what a line
does to one balance."""

from dataclasses import dataclass
from enum import Enum
from typing import NamedTuple

from inventory.models import Adjustment

Kind = Adjustment.Kind
BalanceKey = tuple[int, int]  # (item_id, location_id)
# A balance as a batch's line names it: (sku, variant_id, product_id, item_id, location_id).
BalanceName = tuple[str | None, int | None, int | None, int | None, int]
NAME_TYPES = ["text", "bigint", "bigint", "bigint", "bigint"]  # a BalanceName's, in SQL


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made
# building a large batch's inputs several times slower (README, Performance).
@dataclass(slots=True)
class LineInput:
    """One line of a batch. Name the item by `sku`, `variant_id`, `product_id` (BigCommerce's
    identities) or `item_id` (ours); when a line gives several, they must name the same item.

    - absolute / stocktake: set on-hand at `location_id` to `quantity`;
    - relative, shipment, receipt: add `quantity` (signed) at `location_id`;
    - transfer: move `quantity` (positive) from `location_id` to `to_location_id`.
    `expected_quantity`, when given, must equal the on-hand (at the source, for a transfer)
    when the line is applied, or the batch is refused as stale.
    """

    location_id: int
    quantity: int
    sku: str | None = None
    variant_id: int | None = None
    product_id: int | None = None
    item_id: int | None = None
    to_location_id: int | None = None
    expected_quantity: int | None = None

    def identities(self) -> list[tuple[str, str | int]]:
        # Spelled out rather than a loop over IDENTITY_FIELDS: it runs once per line.
        given: list[tuple[str, str | int]] = []
        if self.sku is not None:
            given.append(("sku", self.sku))
        if self.variant_id is not None:
            given.append(("variant_id", self.variant_id))
        if self.product_id is not None:
            given.append(("product_id", self.product_id))
        if self.item_id is not None:
            given.append(("item_id", self.item_id))
        return given

    def identity(self) -> tuple[str, str | int] | None:
        """The identity the line names its item by first (for messages and error paths)."""
        given = self.identities()
        return given[0] if given else None


class Op(Enum):
    SET = "set"
    ADD = "add"


def operation(kind: Kind) -> Op:
    """Absolute and stocktake lines set on-hand; the others add to it."""
    return Op.SET if kind in (Kind.ABSOLUTE, Kind.STOCKTAKE) else Op.ADD


class Effect(NamedTuple):  # a tuple: built once per line, up to thousands per batch
    """What one line does to one balance. A transfer line has two effects."""

    index: int
    key: BalanceKey
    op: Op
    amount: int
    identity_field: str  # how the caller named the item, for error paths and messages
    identity_value: str | int
    expected_quantity: int | None = None
    may_go_negative: bool = False

    @property
    def label(self) -> str:
        """The item as the caller named it, for messages (built only when one is needed)."""
        return f"{self.identity_field} {self.identity_value}"


class StockChange(NamedTuple):
    """One balance's quantity change within an adjustment, with the settings the rules need.
    A tuple: the write path builds one per line, up to thousands per batch."""

    balance_id: int
    item_id: int
    location_id: int
    before: int
    after: int
    warning_level: int


@dataclass(slots=True)
class LockedBalance:
    """A balance as the lock read it: what the rules need of it."""

    id: int
    quantity: int
    safety_stock: int
    warning_level: int
