"""THE write path: every change to a balance goes through here, in one transaction, with its
ledger lines. Read it top-down: `apply` orchestrates; `resolve` finds what a line names;
`locking` takes the row locks; `fast_path` is the one-statement shortcut; `effects` are the
alerts and outbox rows written with a change; `audit` replays the ledger."""

from inventory.stock.apply import apply_adjustment, request_fingerprint
from inventory.stock.settings import (
    SettingsInput,
    update_balance_settings,
    update_settings,
)
from inventory.stock.types import LineInput

__all__ = [
    "LineInput",
    "SettingsInput",
    "apply_adjustment",
    "request_fingerprint",
    "update_balance_settings",
    "update_settings",
]
