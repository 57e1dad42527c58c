"""Request bodies of BigCommerce's stock writes and our transfers."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY

Quantity = Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
Id = Annotated[StrictInt, Field(ge=0, le=2_147_483_647)]  # BigCommerce ids are int32


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
