"""`/inventory/receipts` (ours, beside BigCommerce's paths): list, read, create, receive and
close supplier receipts. What every movement write shares (the token's locations, the lines'
items, refusals) is movement_writes'."""

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import InventoryScope
from inventory.api.bigcommerce.movement_reads import (
    RECEIPT_FILTERS,
    RECEIPT_ID,
    one_document,
    receipt_fields,
    receipts_visible_to,
    valid_filters,
    with_receipt_details,
)
from inventory.api.bigcommerce.movement_writes import (
    STEP_ERRORS,
    arrivals,
    existing_locations,
    refuse_outside,
    resolve_items,
    who,
    written,
)
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.openapi import COMMON_ERRORS, IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas.movements import (
    ReceiptReceiveRequest,
    ReceiptRequest,
    ReceiptResponse,
    ReceiptsResponse,
)
from inventory.models import (
    SupplierReceipt,
)
from inventory.movements import selectors, services
from inventory.movements.services import Planned


# `inventory/receipts`. No docstring: see BigCommerceViewSet.
class ReceiptViewSet(BigCommerceViewSet):
    permission_classes = [InventoryScope]
    lookup_field = "receipt_id"
    lookup_value_converter = "int"
    view_names = {"list": "Receipts Api", "retrieve": "Receipt Api"}

    def receipt(self, request: Request, receipt_id: int) -> SupplierReceipt:
        return one_document(receipts_visible_to(request.auth), receipt_id, "Receipt")

    @staticmethod
    def answer(receipt: SupplierReceipt) -> ReceiptResponse:
        fresh = with_receipt_details(SupplierReceipt.objects.filter(pk=receipt.pk)).get()
        return ReceiptResponse.model_validate({"data": receipt_fields(fresh)})

    @extend_schema(
        operation_id="receipts",
        summary="Supplier deliveries, newest first",
        parameters=[*RECEIPT_FILTERS, *PAGE_PARAMETERS],
        responses={200: ReceiptsResponse, **COMMON_ERRORS},
    )
    def list(self, request: Request) -> Response:
        valid_filters(selectors.ReceiptFilter, request)
        found = selectors.receipt_list(receipts_visible_to(request.auth), request.query_params)
        page = paginate(request, with_receipt_details(found))
        data = [receipt_fields(receipt) for receipt in page.rows]
        return Response(ReceiptsResponse.model_validate({"data": data, "meta": page.meta}))

    @extend_schema(
        operation_id="create_receipt",
        summary="Expect a delivery from a supplier",
        description="Its lines are incoming at the location until received or closed.",
        request=ReceiptRequest,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={200: ReceiptResponse, **COMMON_ERRORS},
    )
    def create(self, request: Request) -> Response:
        body = ReceiptRequest.model_validate(request.data)
        place = {"location_id": body.location_id}
        refuse_outside(request.auth, place)
        location = existing_locations(place)["location_id"]
        items = resolve_items(body.lines)

        def write() -> ReceiptResponse:
            receipt = services.create_receipt(
                location=location,
                supplier=body.supplier,
                lines=[
                    Planned(item, line.expected)
                    for item, line in zip(items, body.lines, strict=True)
                ],
                who=who(request),
                reference=body.reference,
                expected_on=body.expected_on,
                note=body.note,
            )
            return self.answer(receipt)

        return written(request, write, lines=body.lines)

    @extend_schema(
        operation_id="receipt",
        summary="One supplier delivery, with its lines and receivings",
        parameters=[RECEIPT_ID],
        responses={200: ReceiptResponse, **problems(404), **COMMON_ERRORS},
    )
    def retrieve(self, request: Request, receipt_id: int) -> Response:
        return Response(self.answer(self.receipt(request, receipt_id)))

    @extend_schema(
        operation_id="receive_receipt",
        summary="Receive a delivery (or part of one) from the supplier",
        description="`received` is added to on-hand; `damaged` is recorded, not stocked. More "
        "than is still expected, or an item the receipt does not list, is refused unless "
        "`accept_overage`.",
        request=ReceiptReceiveRequest,
        parameters=[RECEIPT_ID, IDEMPOTENCY_PARAMETER],
        responses={200: ReceiptResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def receive(self, request: Request, receipt_id: int) -> Response:
        body = ReceiptReceiveRequest.model_validate(request.data)
        receipt = self.receipt(request, receipt_id)
        refuse_outside(request.auth, {"location_id": receipt.location_id})
        items = resolve_items(body.lines)

        def write() -> ReceiptResponse:
            services.receive_receipt(
                receipt=receipt,
                arrivals=arrivals(items, body.lines),
                who=who(request),
                accept_overage=body.accept_overage,
                note=body.note,
            )
            return self.answer(receipt)

        return written(
            request,
            write,
            lines=body.lines,
            rename={"quantity": "received"},
            positions=[n for n, line in enumerate(body.lines) if line.received],
            place="location",
        )

    @extend_schema(
        operation_id="close_receipt",
        summary="Close a delivery: nothing more will arrive",
        description="What is still expected stops being incoming.",
        request=None,
        parameters=[RECEIPT_ID, IDEMPOTENCY_PARAMETER],
        responses={200: ReceiptResponse, **STEP_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, receipt_id: int) -> Response:
        receipt = self.receipt(request, receipt_id)
        refuse_outside(request.auth, {"location_id": receipt.location_id})
        return written(
            request,
            lambda: self.answer(services.close_receipt(receipt=receipt, who=who(request))),
        )
