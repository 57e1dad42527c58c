"""What happens because stock or settings changed: low-stock alerts and webhook events.

The write path (`services.py`) calls these inside its transaction, after the balances and the
ledger are written and before it commits, so an alert or an outbox event exists exactly when the
change does. Anything that leaves the process (email, HTTP) is scheduled with
`transaction.on_commit`, never done here: a refused or rolled-back batch sends nothing.
"""

from collections.abc import Sequence
from typing import NamedTuple

from inventory.models import Adjustment


class StockChange(NamedTuple):
    """One balance's quantity change within an adjustment, with the settings the rules need.
    A tuple: the write path builds one per line, up to thousands per batch."""

    balance_id: int
    item_id: int
    location_id: int
    before: int
    after: int
    warning_level: int


def stock_changed(
    *, adjustment: Adjustment, changes: Sequence[StockChange], notify_low_stock: bool = True
) -> None:
    """Called once per applied adjustment (never for a replay), inside its transaction."""


def settings_changed(*, adjustment: Adjustment, balance_ids: Sequence[int]) -> None:
    """Called once per settings adjustment, inside its transaction, after the new settings are
    written."""
