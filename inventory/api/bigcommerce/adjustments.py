"""Stock writes: BigCommerce's absolute and relative adjustments, and our transfers. Each view
validates the body, checks the client's locations, calls the write path and maps its errors."""

from collections.abc import Iterable, Sequence

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope, allowed_location_ids
from inventory.api.bigcommerce.history import HistoryActions
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.errors import Problem, domain_error_response
from inventory.api.idempotent import idempotency_key
from inventory.api.openapi import COMMON_ERRORS, IDEMPOTENCY_PARAMETER
from inventory.api.schemas import AdjustmentRequest, TransactionResponse, TransferRequest
from inventory.errors import InventoryError
from inventory.models import Adjustment, ApiClient
from inventory.stock import LineInput, apply_adjustment


def stock_write_schema(*, operation_id: str, summary: str, description: str, request: type):
    """The OpenAPI frame every stock write shares: Idempotency-Key, a transaction id, errors."""
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description=description,
        request=request,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: TransactionResponse, **COMMON_ERRORS},
    )


def check_locations(client: ApiClient, located: Iterable[tuple[str, int]]) -> None:
    """Refuse (403) lines at locations this client may not touch, naming each one."""
    allowed = allowed_location_ids(client)
    if allowed is None:
        return
    refused = {path: location_id for path, location_id in located if location_id not in allowed}
    if refused:
        raise Problem(
            403,
            "This token may not change stock at these locations: "
            + ", ".join(str(location_id) for location_id in sorted(set(refused.values()))),
            {
                path: f"Location {location_id} is not allowed for this token."
                for path, location_id in refused.items()
            },
        )


def apply_and_answer(
    request: Request,
    *,
    kind: Adjustment.Kind,
    body: AdjustmentRequest | TransferRequest,
    lines: Sequence[LineInput],
    rename: dict[str, str] | None = None,
) -> Response:
    try:
        adjustment = apply_adjustment(
            kind=kind,
            lines=lines,
            reason=body.reason,
            **body.why,
            source=Adjustment.Source.API,
            api_client=request.auth,
            idempotency_key=idempotency_key(request),
        )
    except InventoryError as error:
        return domain_error_response(error, rename=rename)
    return Response(TransactionResponse(transaction_id=str(adjustment.transaction_id)))


# `inventory/adjustments`: BigCommerce's absolute and relative adjustments, and the history of
# every change (`HistoryActions`). No docstring: see BigCommerceViewSet.
class AdjustmentViewSet(HistoryActions, BigCommerceViewSet):
    permission_classes = [InventoryScope]
    view_names = {
        "absolute": "Absolute Adjustment Api",
        "relative": "Relative Adjustment Api",
        "list": "Adjustment History Api",
        "retrieve": "Adjustment Detail Api",
    }

    @stock_write_schema(
        operation_id="absolute_adjustment",
        summary="Set on-hand (absolute adjustment)",
        description="BigCommerce's absolute adjustment: sets on-hand per item and location. "
        "All or nothing, up to 2000 items; the change is visible as soon as this answers.",
        request=AdjustmentRequest,
    )
    @action(detail=False, methods=["put"])
    def absolute(self, request: Request) -> Response:
        return self.apply(request, Adjustment.Kind.ABSOLUTE)

    @stock_write_schema(
        operation_id="relative_adjustment",
        summary="Add or subtract (relative adjustment)",
        description="BigCommerce's relative adjustment: adds a signed quantity per item and "
        "location. Refused (422, nothing applied) when on-hand would fall below zero or a "
        "decrease would take it below the safety stock.",
        request=AdjustmentRequest,
    )
    @action(detail=False, methods=["post"])
    def relative(self, request: Request) -> Response:
        return self.apply(request, Adjustment.Kind.RELATIVE)

    @staticmethod
    def apply(request: Request, kind: Adjustment.Kind) -> Response:
        body = AdjustmentRequest.model_validate(request.data)
        check_locations(
            request.auth,
            ((f"items.{n}.location_id", item.location_id) for n, item in enumerate(body.items)),
        )
        lines = [
            LineInput(
                location_id=item.location_id,
                quantity=item.quantity,
                sku=item.sku,
                variant_id=item.variant_id,
                product_id=item.product_id,
                expected_quantity=item.expected_quantity,
            )
            for item in body.items
        ]
        return apply_and_answer(request, kind=kind, body=body, lines=lines)


class TransferApi(APIView):
    permission_classes = [InventoryScope]

    @stock_write_schema(
        operation_id="transfer",
        summary="Move stock between locations",
        description="Ours (Zettle's movements in BigCommerce's style): each item moves a positive "
        "quantity from one location to another, all in one transaction.",
        request=TransferRequest,
    )
    def post(self, request: Request) -> Response:
        body = TransferRequest.model_validate(request.data)
        check_locations(
            request.auth,
            (
                (f"items.{n}.{field}", getattr(item, field))
                for n, item in enumerate(body.items)
                for field in ("from_location_id", "to_location_id")
            ),
        )
        lines = [
            LineInput(
                location_id=item.from_location_id,
                to_location_id=item.to_location_id,
                quantity=item.quantity,
                sku=item.sku,
                variant_id=item.variant_id,
                product_id=item.product_id,
                expected_quantity=item.expected_quantity,
            )
            for item in body.items
        ]
        return apply_and_answer(
            request,
            kind=Adjustment.Kind.TRANSFER,
            body=body,
            lines=lines,
            rename={"location_id": "from_location_id"},
        )
