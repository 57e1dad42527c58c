"""THE write path: every change to a balance goes through here, in one transaction, with its
ledger lines. Read it top-down: `apply` orchestrates; `rules` holds every rule once, its Python
and SQL forms side by side; `resolve` finds what a line names (one table of meanings);
`statements` holds every SQL text of a write (the lock order, the one record builder, with its
outbox events, and its SQLite twin); `locking` takes the full path's locks; `fast_path` is the
one-statement shortcut (is the batch eligible? then the shared record); `effects` are the
alerts and their events written with a change; `audit` replays the ledger; `selectors` are
the balance reads the admin, the movement pages and the API share."""

from inventory.stock.apply import apply_adjustment, check_adjustment, request_fingerprint
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
    "check_adjustment",
    "request_fingerprint",
    "update_balance_settings",
    "update_settings",
]
