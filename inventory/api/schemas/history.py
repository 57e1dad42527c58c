"""What the stock history answers (ours): ledger lines, newest first, and one transaction."""

from datetime import datetime
from typing import Annotated

from pydantic import Field

from inventory.api.schemas.common import CursorMeta, ResponseBody
from inventory.api.schemas.stock import ItemIdentity
from inventory.models import Adjustment

ReasonCode = Annotated[
    Adjustment.ReasonCode | None,
    Field(description="Why stock changed, as a code; null when none was given."),
]
Reference = Annotated[
    str, Field(description="The outside document the change belongs to; empty when none.")
]


class LedgerLine(ResponseBody):
    """One change of one balance, with the transaction it belongs to."""

    id: int
    transaction_id: str
    kind: str
    source: str
    reason: str
    reason_code: ReasonCode
    reference: Reference
    created_at: datetime
    user: str | None
    api_client: str | None
    location_id: int
    identity: ItemIdentity
    quantity_before: int
    quantity_after: int
    delta: int


class HistoryResponse(ResponseBody):
    data: list[LedgerLine]
    meta: CursorMeta


class AdjustmentLineOut(ResponseBody):
    location_id: int
    identity: ItemIdentity
    quantity_before: int
    quantity_after: int
    delta: int


class AdjustmentDetail(ResponseBody):
    transaction_id: str
    kind: str
    source: str
    reason: str
    reason_code: ReasonCode
    reference: Reference
    created_at: datetime
    user: str | None
    api_client: str | None
    lines: list[AdjustmentLineOut]


class AdjustmentDetailResponse(ResponseBody):
    data: AdjustmentDetail
