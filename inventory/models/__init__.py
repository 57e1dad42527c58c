"""Inventory models: stock and its ledger, API clients, stocktakes."""

from inventory.models.api import ApiClient, IdempotencyRecord
from inventory.models.stock import (
    MAX_BATCH_LINES,
    MAX_QUANTITY,
    Adjustment,
    AdjustmentLine,
    Balance,
    Item,
)
from inventory.models.stocktakes import (
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeUnknownCode,
    StocktakeUpload,
)

__all__ = [
    "MAX_BATCH_LINES",
    "MAX_QUANTITY",
    "Adjustment",
    "AdjustmentLine",
    "ApiClient",
    "Balance",
    "IdempotencyRecord",
    "Item",
    "Stocktake",
    "StocktakeEvent",
    "StocktakeLine",
    "StocktakeUnknownCode",
    "StocktakeUpload",
]
