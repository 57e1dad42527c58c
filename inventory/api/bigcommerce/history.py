"""Stock history through the API (ours): ledger lines newest first, with cursor pagination that
costs the same on page 1 and page 10,000 (keyset on the line id, never OFFSET), and one
transaction with all its lines."""

import base64
import binascii
from typing import Any
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import allowed_location_ids
from inventory.api.bigcommerce import filters
from inventory.api.bigcommerce.query import int_param
from inventory.api.errors import Problem
from inventory.api.openapi import COMMON_ERRORS, problems
from inventory.api.schemas import AdjustmentDetailResponse, HistoryResponse
from inventory.models import Adjustment, AdjustmentLine

MAX_LIMIT = 1000


def encode_cursor(line_id: int) -> str:
    return base64.urlsafe_b64encode(str(line_id).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        return int(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise Problem(
            422, "Invalid query parameter", {"after": "Not a cursor from this API."}
        ) from None


def change(adjustment: Adjustment) -> dict[str, Any]:
    """The transaction a ledger line belongs to."""
    return {
        "transaction_id": str(adjustment.transaction_id),
        "kind": adjustment.kind,
        "source": adjustment.source,
        "reason": adjustment.reason,
        "reason_code": adjustment.reason_code or None,
        "reference": adjustment.reference,
        "created_at": adjustment.created_at,
        "user": adjustment.actor.get_username() if adjustment.actor else None,
        "api_client": adjustment.api_client.name if adjustment.api_client else None,
    }


def ledger_line(line: AdjustmentLine) -> dict[str, Any]:
    return {
        "location_id": line.location_id,
        "identity": line.item,
        "quantity_before": line.quantity_before,
        "quantity_after": line.quantity_after,
        "delta": line.delta,
    }


# The history's actions of `AdjustmentViewSet`: every ledger line (`list`), one transaction
# (`retrieve`). No docstring: it would become the operations' description.
class HistoryActions:
    lookup_field = "transaction_id"
    lookup_value_converter = "uuid"

    @extend_schema(
        operation_id="adjustment_history",
        summary="Stock history: every change, newest first",
        parameters=[
            *filters.parameters(filters.HistoryFilters),
            OpenApiParameter(
                "after",
                {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": 40},
                description="meta.cursor_pagination.end_cursor of the previous page.",
            ),
            OpenApiParameter(
                "limit",
                {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                description="Lines per page (default 50).",
            ),
        ],
        responses={200: HistoryResponse, **COMMON_ERRORS},
    )
    def list(self, request: Request) -> Response:
        limit = int_param(request, "limit", default=50, minimum=1, maximum=MAX_LIMIT)
        lines = self.filtered(request).order_by("-id")
        if after := request.query_params.get("after"):
            lines = lines.filter(id__lt=decode_cursor(after))
        # The page's ids first, from the ledger's indexes alone, then those lines with their
        # adjustment and item. In one query the planner may join every line of a SKU with its
        # adjustment (a scan of all adjustments) before keeping a page: a cost that grows with
        # the ledger.
        page_ids = lines.values("pk")[: limit + 1]
        page = list(
            AdjustmentLine.objects.filter(pk__in=page_ids)
            .select_related("adjustment__actor", "adjustment__api_client", "item")
            .order_by("-id")
        )
        has_more = len(page) > limit
        page = page[:limit]
        end_cursor = encode_cursor(page[-1].pk) if page else None
        next_page = None
        if has_more and end_cursor:
            params = {k: v for k, v in request.query_params.items() if k != "after"}
            next_page = "?" + urlencode({**params, "after": end_cursor}, safe=":,")
        cursor = {
            "count": len(page),
            "per_page": limit,
            "end_cursor": end_cursor,
            "links": {"next": next_page},
        }
        data = [
            # The line's own time, which is its transaction's.
            {"id": line.pk, **change(line.adjustment), "created_at": line.created_at}
            | ledger_line(line)
            for line in page
        ]
        return Response(
            HistoryResponse.model_validate({"data": data, "meta": {"cursor_pagination": cursor}})
        )

    def filtered(self, request: Request):
        lines = AdjustmentLine.objects.all()
        allowed = allowed_location_ids(request.auth)
        if allowed is not None:
            lines = lines.filter(location_id__in=allowed)
        return filters.apply(filters.HistoryFilters, request, lines)

    @extend_schema(
        operation_id="adjustment_detail",
        summary="One transaction with all its lines",
        responses={
            200: AdjustmentDetailResponse,
            **problems(404),
            **COMMON_ERRORS,
        },
    )
    def retrieve(self, request: Request, transaction_id) -> Response:
        adjustment = (
            Adjustment.objects.select_related("actor", "api_client")
            .filter(transaction_id=transaction_id)
            .first()
        )
        lines = (
            AdjustmentLine.objects.filter(adjustment=adjustment)
            .select_related("item")
            .order_by("id")
        )
        allowed = allowed_location_ids(request.auth)
        if allowed is not None:
            lines = lines.filter(location_id__in=allowed)
        lines = list(lines)
        if adjustment is None or (allowed is not None and not lines):
            raise Problem(404, f"Transaction {transaction_id} not found.")
        detail = {**change(adjustment), "lines": [ledger_line(line) for line in lines]}
        return Response(AdjustmentDetailResponse.model_validate({"data": detail}))
