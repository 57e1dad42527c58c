"""Transfer orders and supplier receipts (ours): what a partner sends to create and receive them,
and how a document is answered. Quantities are checked by the services (inventory.movements),
not here: a model only holds a body to the wire's types (whole numbers in PostgreSQL's
integer range), so every refusal of a value is worded in one place."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator

from inventory.api.schemas.common import Meta, ResponseBody
from inventory.api.schemas.requests import Id, Identity
from inventory.api.schemas.stock import ItemIdentity
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, SupplierReceipt, TransferOrder

Count = Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)]
Note = Annotated[str, Field(default="", max_length=1000)]
Reference = Annotated[
    str,
    Field(default="", max_length=500, description="Your own reference: a ticket, a PO number."),
]


# Requests


class LineIdentity(Identity):
    """One of `sku`, `variant_id`, `product_id` or `item_id` (ours: the item's id, as
    `sku_id` answers it) names the item; several may be sent if they agree."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "anyOf": [
                {"required": ["sku"]},
                {"required": ["variant_id"]},
                {"required": ["product_id"]},
                {"required": ["item_id"]},
            ]
        },
    )

    item_id: Id | None = None

    @model_validator(mode="after")
    def names_an_item(self) -> "LineIdentity":
        if self.variant_id == 0:
            self.variant_id = None
        if self.product_id == 0:
            self.product_id = None
        if all(value is None for value in self.given()):
            raise ValueError("One of sku, variant_id, product_id or item_id is required.")
        return self

    def given(self) -> tuple:
        return (self.sku, self.variant_id, self.product_id, self.item_id)


class PlannedLine(LineIdentity):
    quantity: Count = Field(description="How many are sent: 1 or more.")


class ExpectedLine(LineIdentity):
    expected: Count = Field(description="How many the supplier is to deliver: 1 or more.")


class TransferOrderRequest(BaseModel):
    """A draft transfer between two of our locations. Nothing moves until it is shipped."""

    model_config = ConfigDict(extra="ignore")

    origin_location_id: Id
    destination_location_id: Id
    reference: Reference
    note: Note
    lines: list[PlannedLine] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class ReceiptRequest(BaseModel):
    """A delivery expected from a supplier into one location."""

    model_config = ConfigDict(extra="ignore")

    location_id: Id
    supplier: str = Field(min_length=1, max_length=200)
    reference: Reference
    expected_on: date | None = Field(default=None, description="When it should arrive.")
    note: Note
    lines: list[ExpectedLine] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class TransferArrival(LineIdentity):
    received: Count = Field(default=0, description="Arrived sellable: added to on-hand.")
    damaged: Count = Field(default=0, description="Arrived unsellable: not added.")
    missing: Count = Field(default=0, description="Will not arrive: leaves transit.")


class ReceiptArrival(LineIdentity):
    received: Count = Field(default=0, description="Arrived sellable: added to on-hand.")
    damaged: Count = Field(default=0, description="Arrived unsellable: not added.")


class Receiving(BaseModel):
    model_config = ConfigDict(extra="ignore")

    accept_overage: StrictBool = Field(
        default=False,
        description="Accept more than is still to come (and, on a receipt, items it does not "
        "list). Without it such a line is refused.",
    )
    note: Note


class TransferReceiveRequest(Receiving):
    """One delivery, or part of one, at the transfer's destination."""

    lines: list[TransferArrival] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class ReceiptReceiveRequest(Receiving):
    """One delivery, or part of one, from the supplier."""

    lines: list[ReceiptArrival] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class CloseRequest(BaseModel):
    """Optional: a note on why the rest will not arrive."""

    model_config = ConfigDict(extra="ignore")

    note: Note


# Responses

# Named for their document: both models' `Status` would otherwise be one schema in the document.
TransferStatus = StrEnum("TransferStatus", {value: value for value in TransferOrder.Status.values})
ReceiptStatus = StrEnum("ReceiptStatus", {value: value for value in SupplierReceipt.Status.values})

USER = Field(description="The person who took the step; null when it was an API client.")
API_CLIENT = Field(description="The API client that took the step; null when it was a person.")


class ReceivedLine(ResponseBody):
    item_id: int
    identity: ItemIdentity
    received: int
    damaged: int
    missing: int


class ReceivingEventOut(ResponseBody):
    """One receiving: what arrived, who recorded it, and the transaction that stocked what
    arrived sellable (null when nothing did). `closing`: the transfer was closed short and what
    was still in transit was recorded missing."""

    id: int
    created_at: datetime
    user: str | None = USER
    api_client: str | None = API_CLIENT
    note: str
    overage_accepted: bool
    closing: bool
    transaction_id: str | None
    lines: list[ReceivedLine]


class TransferLineOut(ResponseBody):
    """Sent, and what became of it so far; `outstanding` is still in transit."""

    item_id: int
    identity: ItemIdentity
    quantity: int
    received: int
    damaged: int
    missing: int
    outstanding: int


class TransferOrderOut(ResponseBody):
    """A transfer: draft, then shipped (the stock left the origin and is in transit), then
    received at the destination in one or more parts, or closed short; a draft may be
    cancelled. `lines` are in the order they were sent, which refusals' `lines.N` paths count."""

    id: int
    number: str
    status: TransferStatus = Field(
        description="draft, shipped (in transit), partially_received, received, closed "
        "(received short) or cancelled."
    )
    origin_location_id: int
    destination_location_id: int
    reference: str
    note: str
    created_at: datetime
    shipped_at: datetime | None
    closed_at: datetime | None = Field(description="Received in full, closed short or cancelled.")
    shipment_transaction_id: str | None = Field(
        description="The stock history's transaction of the shipment; null until shipped."
    )
    lines: list[TransferLineOut]
    events: list[ReceivingEventOut]


class ReceiptLineOut(ResponseBody):
    """Expected, and what arrived so far; `outstanding` is still incoming."""

    item_id: int
    identity: ItemIdentity
    expected: int
    received: int
    damaged: int
    outstanding: int


class ReceiptOut(ResponseBody):
    """An expected supplier delivery, received in one or more parts, or closed when the rest
    will not come."""

    id: int
    number: str
    status: ReceiptStatus = Field(
        description="expected, partially_received, received or closed (the rest will not come)."
    )
    location_id: int
    supplier: str
    reference: str
    expected_on: date | None
    note: str
    created_at: datetime
    closed_at: datetime | None = Field(description="Received in full, or closed.")
    lines: list[ReceiptLineOut]
    events: list[ReceivingEventOut]


class TransferOrderResponse(ResponseBody):
    data: TransferOrderOut


class TransferOrdersResponse(ResponseBody):
    data: list[TransferOrderOut]
    meta: Meta


class ReceiptResponse(ResponseBody):
    data: ReceiptOut


class ReceiptsResponse(ResponseBody):
    data: list[ReceiptOut]
    meta: Meta
