"""What the stock history answers (ours): ledger lines, newest first, and one transaction."""

from datetime import datetime

from inventory.api.schemas.common import CursorMeta, ResponseBody
from inventory.api.schemas.stock import ItemIdentity


class LedgerLine(ResponseBody):
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
    created_at: datetime
    user: str | None
    api_client: str | None
    lines: list[AdjustmentLineOut]


class AdjustmentDetailResponse(ResponseBody):
    data: AdjustmentDetail
