"""Request and response bodies of the inventory API, as pydantic models rather than DRF
serializers: they validate a large batch several times faster (README, Performance) and
drf-spectacular turns them into the OpenAPI document, so validation and documentation cannot
drift apart. Views answer with the response models themselves (inventory.api.renderers), so
what is sent cannot drift from what is documented either."""

from inventory.api.schemas.common import (
    CursorLinks,
    CursorMeta,
    CursorPagination,
    Meta,
    Pagination,
    PaginationLinks,
    ProblemResponse,
    ResponseBody,
    ResponseInvalid,
    TransactionResponse,
    absent,
)
from inventory.api.schemas.history import (
    AdjustmentDetail,
    AdjustmentDetailResponse,
    AdjustmentLineOut,
    HistoryResponse,
    LedgerLine,
)
from inventory.api.schemas.requests import (
    AdjustmentItem,
    AdjustmentRequest,
    Identity,
    SettingsItem,
    SettingsRequest,
    TransferItem,
    TransferRequest,
)
from inventory.api.schemas.stock import (
    BalanceSettings,
    InventoryItem,
    InventoryItemIdentity,
    InventoryItemsResponse,
    ItemIdentity,
    ItemLocation,
    LocationItem,
    LocationItemsResponse,
)

__all__ = [
    "AdjustmentDetail",
    "AdjustmentDetailResponse",
    "AdjustmentItem",
    "AdjustmentLineOut",
    "AdjustmentRequest",
    "BalanceSettings",
    "CursorLinks",
    "CursorMeta",
    "CursorPagination",
    "HistoryResponse",
    "Identity",
    "InventoryItem",
    "InventoryItemIdentity",
    "InventoryItemsResponse",
    "ItemIdentity",
    "ItemLocation",
    "LedgerLine",
    "LocationItem",
    "LocationItemsResponse",
    "Meta",
    "Pagination",
    "PaginationLinks",
    "ProblemResponse",
    "ResponseBody",
    "ResponseInvalid",
    "SettingsItem",
    "SettingsRequest",
    "TransactionResponse",
    "TransferItem",
    "TransferRequest",
    "absent",
]
