"""Inventory models: stock and its ledger, API clients (and the location metafields they keep),
stocktakes, movements (transfers and supplier receipts), alerts and webhooks."""

from inventory.models.activity import DailyActivity
from inventory.models.alerts import LowStockAlert
from inventory.models.api import ApiClient, IdempotencyRecord, RateLimitCounter
from inventory.models.catalog import CatalogSize, Item
from inventory.models.ledger import Adjustment, AdjustmentLine
from inventory.models.metafields import LocationMetafield
from inventory.models.movements import (
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
from inventory.models.stock import MAX_BATCH_LINES, MAX_QUANTITY, Balance
from inventory.models.stocktakes import (
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeRecount,
    StocktakeScan,
    StocktakeTotals,
    StocktakeUnknownCode,
    StocktakeUpload,
    StocktakeUploadDraft,
)
from inventory.models.webhooks import (
    WebhookAttempt,
    WebhookEndpoint,
    WebhookEvent,
    WebhookScope,
)

__all__ = [
    "MAX_BATCH_LINES",
    "MAX_QUANTITY",
    "Adjustment",
    "AdjustmentLine",
    "ApiClient",
    "Balance",
    "CatalogSize",
    "DailyActivity",
    "IdempotencyRecord",
    "Item",
    "LocationMetafield",
    "LowStockAlert",
    "RateLimitCounter",
    "ReceivingEvent",
    "ReceivingEventLine",
    "Stocktake",
    "StocktakeEvent",
    "StocktakeLine",
    "StocktakeRecount",
    "StocktakeScan",
    "StocktakeTotals",
    "StocktakeUnknownCode",
    "StocktakeUpload",
    "StocktakeUploadDraft",
    "SupplierReceipt",
    "SupplierReceiptLine",
    "TransferLine",
    "TransferOrder",
    "WebhookAttempt",
    "WebhookEndpoint",
    "WebhookEvent",
    "WebhookScope",
]
