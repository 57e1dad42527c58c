"""Domain errors of the write path. Each carries a stable `code`; interfaces map them to HTTP
statuses or form errors, never the other way round."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    EMPTY_BATCH = "empty_batch"
    TOO_MANY_LINES = "too_many_lines"
    MISSING_IDENTITY = "missing_identity"
    AMBIGUOUS_IDENTITY = "ambiguous_identity"
    UNKNOWN_ITEM = "unknown_item"
    WRONG_IDENTIFIER = "wrong_identifier_for_tracking"
    UNKNOWN_LOCATION = "unknown_location"
    LOCATION_DISABLED = "location_disabled"
    SAME_LOCATION = "same_location"
    DUPLICATE_LINE = "duplicate_line"
    NEGATIVE_QUANTITY = "negative_quantity"
    NON_POSITIVE_QUANTITY = "non_positive_quantity"
    QUANTITY_OUT_OF_RANGE = "quantity_out_of_range"
    INSUFFICIENT_STOCK = "insufficient_stock"
    STALE_QUANTITY = "stale_quantity"
    IDENTITY_CHANGED = "identity_changed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    IDEMPOTENCY_KEY_IN_FLIGHT = "idempotency_key_in_flight"
    # Transfers and supplier receipts (inventory.movements)
    WRONG_STATUS = "wrong_status"
    NOT_ON_DOCUMENT = "item_not_on_document"
    OVERAGE = "overage_not_accepted"
    NOT_TRACKED = "not_tracked_here"
    NOT_PERMITTED = "not_permitted"


@dataclass(frozen=True, slots=True)
class LineError:
    """What is wrong with one line: `index` in the batch (None for the batch itself) and the
    `field` at fault, so an API can answer `items.3.sku` and a form can mark the right input.

    `message` words it for a partner's program, naming the item and location as the request
    did ("sku MUG at location 1"). The facts below let `inventory.stock.messages` word it for
    a person instead (the item's SKU and name, the location's name, what to do next):
    `item_id` once the item is known, else `named`, the identity the line gave; `location_id`,
    the location at fault; `facts`, the numbers of the rule it broke."""

    index: int | None
    field: str
    code: ErrorCode
    message: str
    item_id: int | None = field(default=None, kw_only=True)
    named: tuple[str, str | int] | None = field(default=None, kw_only=True)
    location_id: int | None = field(default=None, kw_only=True)
    facts: Mapping[str, int] = field(default_factory=dict, kw_only=True)


class InventoryError(Exception):
    code: ErrorCode

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AdjustmentRejected(InventoryError):
    """The batch breaks a rule; nothing was written. Lists every failing line."""

    def __init__(self, errors: list[LineError]) -> None:
        self.errors = errors
        self.code = errors[0].code
        super().__init__("; ".join(error.message for error in errors))


class StaleBalances(AdjustmentRejected):
    """A concurrent write got there first: every failing line's `expected_quantity` no longer
    matches on-hand, or its item changed while the batch was applied. Nothing was written;
    retrying (with fresh numbers) is safe."""


class IdempotencyKeyReused(InventoryError):
    code = ErrorCode.IDEMPOTENCY_KEY_REUSED

    def __init__(self, key: str) -> None:
        super().__init__(f"Idempotency key {key!r} was already used for a different request.")


class IdempotencyKeyInFlight(InventoryError):
    code = ErrorCode.IDEMPOTENCY_KEY_IN_FLIGHT

    def __init__(self, key: str) -> None:
        super().__init__(f"A request with idempotency key {key!r} is still being processed.")


class MovementRejected(AdjustmentRejected):
    """A transfer or supplier receipt's lines break a rule of the document (an item it does not
    hold, more than was sent); nothing was written. The same shape as the write path's refusal,
    so every interface words and maps both alike."""


class MovementNotAllowed(InventoryError):
    """A step the document's status does not allow now (shipping a cancelled transfer), or one
    its caller may not take (a location they do not work at). Nothing was written."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
