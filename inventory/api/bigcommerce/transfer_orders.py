"""`/inventory/transfer-orders` (ours, beside BigCommerce's paths): list, read, create, ship,
receive, cancel and close transfer orders. What every movement write shares (the token's
locations, the lines' items, refusals) is movement_writes'."""

from collections.abc import Callable

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import InventoryScope
from inventory.api.bigcommerce.movement_reads import (
    EITHER_END,
    TRANSFER_FILTERS,
    TRANSFER_ID,
    one_document,
    transfer_fields,
    transfers_visible_to,
    valid_filters,
    with_transfer_details,
)
from inventory.api.bigcommerce.movement_writes import (
    BOTH_ENDS,
    STEP_ERRORS,
    arrivals,
    body_of,
    existing_locations,
    may_change_transfer,
    refuse_outside,
    resolve_items,
    who,
    written,
)
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.openapi import COMMON_ERRORS, IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas.movements import (
    CloseRequest,
    TransferOrderRequest,
    TransferOrderResponse,
    TransferOrdersResponse,
    TransferReceiveRequest,
)
from inventory.models import (
    TransferOrder,
)
from inventory.movements import selectors, services
from inventory.movements.services import Planned


# `inventory/transfer-orders`. No docstring: see BigCommerceViewSet.
class TransferOrderViewSet(BigCommerceViewSet):
    permission_classes = [InventoryScope]
    lookup_field = "transfer_id"
    lookup_value_converter = "int"
    view_names = {"list": "Transfer Orders Api", "retrieve": "Transfer Order Api"}

    def transfer(self, request: Request, transfer_id: int) -> TransferOrder:
        return one_document(transfers_visible_to(request.auth), transfer_id, "Transfer")

    @staticmethod
    def answer(transfer: TransferOrder) -> TransferOrderResponse:
        fresh = with_transfer_details(TransferOrder.objects.filter(pk=transfer.pk)).get()
        return TransferOrderResponse.model_validate({"data": transfer_fields(fresh)})

    @extend_schema(
        operation_id="transfer_orders",
        summary="Transfers with a transit stage, newest first",
        description=EITHER_END,
        parameters=[*TRANSFER_FILTERS, *PAGE_PARAMETERS],
        responses={200: TransferOrdersResponse, **COMMON_ERRORS},
    )
    def list(self, request: Request) -> Response:
        valid_filters(selectors.TransferFilter, request)
        found = selectors.transfer_list(transfers_visible_to(request.auth), request.query_params)
        page = paginate(request, with_transfer_details(found))
        data = [transfer_fields(transfer) for transfer in page.rows]
        return Response(TransferOrdersResponse.model_validate({"data": data, "meta": page.meta}))

    @extend_schema(
        operation_id="create_transfer_order",
        summary="Draft a transfer between two locations",
        description="Nothing moves until it is shipped." + BOTH_ENDS,
        request=TransferOrderRequest,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: TransferOrderResponse, **COMMON_ERRORS},
    )
    def create(self, request: Request) -> Response:
        body = TransferOrderRequest.model_validate(request.data)
        ends = {
            "origin_location_id": body.origin_location_id,
            "destination_location_id": body.destination_location_id,
        }
        refuse_outside(request.auth, ends)
        places = existing_locations(ends)
        items = resolve_items(body.lines)

        def write() -> TransferOrderResponse:
            transfer = services.create_transfer(
                origin=places["origin_location_id"],
                destination=places["destination_location_id"],
                lines=[
                    Planned(item, line.quantity)
                    for item, line in zip(items, body.lines, strict=True)
                ],
                who=who(request),
                reference=body.reference,
                note=body.note,
            )
            return self.answer(transfer)

        return written(request, write, lines=body.lines)

    @extend_schema(
        operation_id="transfer_order",
        summary="One transfer, with its lines and receivings",
        description="A token restricted to some locations sees it when either end is among "
        "them; else it does not exist for it (404).",
        parameters=[TRANSFER_ID],
        responses={200: TransferOrderResponse, **problems(404), **COMMON_ERRORS},
    )
    def retrieve(self, request: Request, transfer_id: int) -> Response:
        return Response(self.answer(self.transfer(request, transfer_id)))

    def step(self, request: Request, transfer_id: int, take: Callable, **mapping) -> Response:
        transfer = self.transfer(request, transfer_id)
        may_change_transfer(request.auth, transfer)
        return written(request, lambda: self.answer(take(transfer)), **mapping)

    @extend_schema(
        operation_id="ship_transfer_order",
        summary="Ship a draft: its stock leaves the origin and is in transit",
        description="Refused as a whole (422, each failing `lines.N.quantity` named) when the "
        "origin does not have a line's stock." + BOTH_ENDS,
        request=None,
        parameters=[TRANSFER_ID, IDEMPOTENCY_PARAMETER],
        responses={200: TransferOrderResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def ship(self, request: Request, transfer_id: int) -> Response:
        return self.step(
            request,
            transfer_id,
            lambda transfer: services.ship_transfer(transfer=transfer, who=who(request)),
            place="origin",
        )

    @extend_schema(
        operation_id="receive_transfer_order",
        summary="Receive a delivery (or part of one) at the destination",
        description="`received` is added to on-hand at the destination; `damaged` and "
        "`missing` leave transit without entering it. More than is still in transit is refused "
        "unless `accept_overage`." + BOTH_ENDS,
        request=TransferReceiveRequest,
        parameters=[TRANSFER_ID, IDEMPOTENCY_PARAMETER],
        responses={200: TransferOrderResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, transfer_id: int) -> Response:
        body = TransferReceiveRequest.model_validate(request.data)
        transfer = self.transfer(request, transfer_id)
        may_change_transfer(request.auth, transfer)
        items = resolve_items(body.lines)

        def write() -> TransferOrderResponse:
            services.receive_transfer(
                transfer=transfer,
                arrivals=arrivals(items, body.lines),
                who=who(request),
                accept_overage=body.accept_overage,
                note=body.note,
            )
            return self.answer(transfer)

        return written(
            request,
            write,
            lines=body.lines,
            rename={"quantity": "received"},
            positions=[n for n, line in enumerate(body.lines) if line.received],
            place="destination",
        )

    @extend_schema(
        operation_id="cancel_transfer_order",
        summary="Cancel a draft",
        description="Only a draft: a shipped transfer is closed instead." + BOTH_ENDS,
        request=None,
        parameters=[TRANSFER_ID, IDEMPOTENCY_PARAMETER],
        responses={200: TransferOrderResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, transfer_id: int) -> Response:
        return self.step(
            request,
            transfer_id,
            lambda transfer: services.cancel_transfer(transfer=transfer, who=who(request)),
        )

    @extend_schema(
        operation_id="close_transfer_order",
        summary="Close a transfer received short",
        description="What is still in transit will not arrive: it is recorded missing. "
        "No stock changes (it left the origin when shipped)." + BOTH_ENDS,
        request=CloseRequest,
        parameters=[TRANSFER_ID, IDEMPOTENCY_PARAMETER],
        responses={200: TransferOrderResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, transfer_id: int) -> Response:
        body = body_of(CloseRequest, request)
        return self.step(
            request,
            transfer_id,
            lambda transfer: services.close_transfer(
                transfer=transfer, who=who(request), note=body.note
            ),
        )
