"""Request and response bodies of the inventory API, as pydantic models rather than DRF
serializers: they validate a large batch several times faster (README, Performance) and
drf-spectacular turns them into the OpenAPI document, so validation and documentation cannot
drift apart."""

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY

Quantity = Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
Id = Annotated[StrictInt, Field(ge=0, le=2_147_483_647)]  # BigCommerce ids are int32


class ProblemResponse(BaseModel):
    """application/problem+json, BigCommerce's error shape."""

    status: int
    title: str
    type: str
    errors: dict[str, Any]


class TransactionResponse(BaseModel):
    """BigCommerce's SimpleTransactionResponse."""

    transaction_id: str


class Identity(BaseModel):
    """One of `sku`, `variant_id` or `product_id` names the item (several may be sent if they
    agree). A `variant_id` or `product_id` of 0 means none, as BigCommerce clients send it."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [
                {"required": ["sku"]},
                {"required": ["variant_id"]},
                {"required": ["product_id"]},
            ]
        },
    )

    sku: str | None = Field(default=None, min_length=1, max_length=255)
    variant_id: Id | None = None
    product_id: Id | None = None

    @model_validator(mode="after")
    def names_an_item(self) -> "Identity":
        if self.variant_id == 0:
            self.variant_id = None
        if self.product_id == 0:
            self.product_id = None
        if self.sku is None and self.variant_id is None and self.product_id is None:
            raise ValueError("One of sku, variant_id or product_id is required.")
        return self


class AdjustmentItem(Identity):
    location_id: Id
    quantity: Quantity
    expected_quantity: Quantity | None = Field(
        default=None,
        description="Ours, optional: the on-hand you expect before the change. If it differs "
        "when the line is applied, nothing is applied and the answer is 409.",
    )


class AdjustmentRequest(BaseModel):
    """BigCommerce's AdjustmentsAbsoluteRequest / AdjustmentsRelativeRequest."""

    model_config = ConfigDict(extra="ignore")

    reason: str = Field(default="", max_length=1000)
    items: list[AdjustmentItem] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class TransferItem(Identity):
    from_location_id: Id
    to_location_id: Id
    quantity: Annotated[StrictInt, Field(gt=0, le=MAX_QUANTITY)]
    expected_quantity: Quantity | None = Field(
        default=None, description="Optional: the on-hand you expect at the source."
    )


class TransferRequest(BaseModel):
    """Move stock between locations in one transaction (Zettle's movements, BigCommerce style)."""

    model_config = ConfigDict(extra="ignore")

    reason: str = Field(default="", max_length=1000)
    items: list[TransferItem] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class SettingsItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    identity: Identity
    safety_stock: Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY)] | None = None
    is_in_stock: StrictBool | None = None
    warning_level: Annotated[StrictInt, Field(ge=0, le=MAX_QUANTITY)] | None = None
    bin_picking_number: str | None = Field(default=None, max_length=64)


class SettingsRequest(BaseModel):
    """BigCommerce's LocationItemsSettingsRequest."""

    model_config = ConfigDict(extra="ignore")

    settings: list[SettingsItem] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class ItemIdentity(BaseModel):
    sku: str
    variant_id: int | None = None
    product_id: int


class BalanceSettings(BaseModel):
    safety_stock: int
    is_in_stock: bool
    warning_level: int
    bin_picking_number: str


class ItemLocation(BaseModel):
    location_id: int
    location_code: str
    location_name: str
    available_to_sell: int
    total_inventory_onhand: int
    location_enabled: bool
    settings: BalanceSettings


ITEM_UUID = Field(description="Ours: the item's UUID (Zettle's variantUuid).")
PRODUCT_UUID = Field(description="Ours: its product's UUID (Zettle's productUuid).")


class InventoryItem(BaseModel):
    """BigCommerce's ItemResponse, with our UUIDs."""

    identity: ItemIdentity
    uuid: str = ITEM_UUID
    product_uuid: str = PRODUCT_UUID
    locations: list[ItemLocation]


class PaginationLinks(BaseModel):
    previous: str | None = None
    current: str
    next: str | None = None


class Pagination(BaseModel):
    total: int
    count: int
    per_page: int
    current_page: int
    total_pages: int
    links: PaginationLinks


class Meta(BaseModel):
    pagination: Pagination


class InventoryItemsResponse(BaseModel):
    data: list[InventoryItem]
    meta: Meta


class LocationItem(BaseModel):
    """BigCommerce's LocationItemsResponse, with our UUIDs."""

    identity: ItemIdentity
    uuid: str = ITEM_UUID
    product_uuid: str = PRODUCT_UUID
    available_to_sell: int
    total_inventory_onhand: int
    settings: BalanceSettings


class LocationItemsResponse(BaseModel):
    data: list[LocationItem]
    meta: Meta


class LedgerLine(BaseModel):
    """One change of one balance, with the transaction it belongs to."""

    id: int
    transaction_id: str
    kind: str
    source: str
    reason: str
    created_at: datetime
    user: str | None
    api_client: str | None
    location_id: int
    identity: ItemIdentity
    quantity_before: int
    quantity_after: int
    delta: int


class CursorLinks(BaseModel):
    next: str | None = None


class CursorPagination(BaseModel):
    count: int
    per_page: int
    end_cursor: str | None
    links: CursorLinks


class CursorMeta(BaseModel):
    cursor_pagination: CursorPagination


class HistoryResponse(BaseModel):
    data: list[LedgerLine]
    meta: CursorMeta


class AdjustmentLineOut(BaseModel):
    location_id: int
    identity: ItemIdentity
    quantity_before: int
    quantity_after: int
    delta: int


class AdjustmentDetail(BaseModel):
    transaction_id: str
    kind: str
    source: str
    reason: str
    created_at: datetime
    user: str | None
    api_client: str | None
    lines: list[AdjustmentLineOut]


class AdjustmentDetailResponse(BaseModel):
    data: AdjustmentDetail
