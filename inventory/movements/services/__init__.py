"""Transfers with a transit stage and supplier receipts: every step that changes a document,
and through it, stock.

A transfer's stock is always in exactly one place: on hand at the origin until shipped; in
transit (the outstanding part of its lines) until received; then on hand at the destination,
or written off as damaged or missing. Shipping is one adjustment of kind `shipment` (every line
leaves the origin), each receiving event one of kind `receipt` (only what arrived sellable is
added); both through `stock.apply_adjustment`, in the same transaction as the document's own
change, so the ledger and the documents never disagree.

Each step locks its document row first: two receivings of one transfer (two clerks, or a
retried request) run one after the other, and the second sees what the first accounted for.
The balances are then locked by the write path, in its one order.
"""

from inventory.movements.services.common import ACCEPT_OVERAGE, Arrival, Planned, Who
from inventory.movements.services.receipts import close_receipt, create_receipt, receive_receipt
from inventory.movements.services.transfers import (
    cancel_transfer,
    close_transfer,
    create_transfer,
    receive_transfer,
    ship_transfer,
)

__all__ = [
    "ACCEPT_OVERAGE",
    "Arrival",
    "Planned",
    "Who",
    "cancel_transfer",
    "close_receipt",
    "close_transfer",
    "create_receipt",
    "create_transfer",
    "receive_receipt",
    "receive_transfer",
    "ship_transfer",
]
