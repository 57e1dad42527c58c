"""Request bodies of BigCommerce's stock writes and our transfers."""

from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    field_validator,
    model_validator,
)

from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, Adjustment

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


class Why(BaseModel):
    """Why stock changes: BigCommerce's free-text `reason`, and beside it two fields of ours,
    both optional (a client that does not send them changes nothing by it): a reason code a
    report can group by, and the outside document the change belongs to."""

    reason: str = Field(default="", max_length=1000)
    reason_code: Adjustment.ReasonCode | None = Field(
        default=None,
        description="Ours, optional: why stock changed, as a code (Shopify's and Square's "
        "reasons). `reason` stays the free-text note.",
    )
    reference: str = Field(
        default="",
        max_length=500,
        description="Ours, optional: the outside document the change belongs to (an order "
        "number, a purchase order, a URL).",
    )

    @field_validator("reason_code", mode="before")
    @classmethod
    def blank_is_none(cls, value: object) -> object:
        # Some clients send every optional field, empty: that is no code, not a wrong one.
        return None if value == "" else value

    @property
    def why(self) -> dict[str, str]:
        """The keyword arguments of apply_adjustment this request gives."""
        code = self.reason_code.value if self.reason_code else ""
        return {"reason_code": code, "reference": self.reference}


class AdjustmentRequest(Why):
    """BigCommerce's AdjustmentsAbsoluteRequest / AdjustmentsRelativeRequest."""

    model_config = ConfigDict(extra="ignore")

    items: list[AdjustmentItem] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class TransferItem(Identity):
    from_location_id: Id
    to_location_id: Id
    quantity: Annotated[StrictInt, Field(gt=0, le=MAX_QUANTITY)]
    expected_quantity: Quantity | None = Field(
        default=None, description="Optional: the on-hand you expect at the source."
    )


class TransferRequest(Why):
    """Move stock between locations in one transaction (Zettle's movements, BigCommerce style)."""

    model_config = ConfigDict(extra="ignore")

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
