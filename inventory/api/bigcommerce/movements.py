"""Transfer orders and supplier receipts through the API (ours, beside BigCommerce's paths):
`/inventory/transfer-orders` and `/inventory/receipts`. Each view reads the body, checks the
token's locations, resolves the lines' items, calls the service (inventory.movements.services)
and maps its refusals to problem+json; the services hold every rule.

A token restricted to some locations sees a transfer with either end among them, and may change
(create, ship, receive, cancel, close) only one with both ends among them: a transfer moves stock
out of one location and into the other, so each of its steps answers for both. A receipt
belongs to its one location. A document the token may not see does not exist for it (404)."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import InventoryScope, allowed_location_ids
from inventory.api.bigcommerce.movement_reads import (
    EITHER_END,
    RECEIPT_FILTERS,
    RECEIPT_ID,
    TRANSFER_FILTERS,
    TRANSFER_ID,
    one_document,
    receipt_fields,
    receipts_visible_to,
    transfer_fields,
    transfers_visible_to,
    valid_filters,
    with_receipt_details,
    with_transfer_details,
)
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.errors import Problem, domain_error_response, listing_title, problem_response
from inventory.api.idempotent import idempotent_write
from inventory.api.openapi import COMMON_ERRORS, IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas.movements import (
    CloseRequest,
    LineIdentity,
    ReceiptReceiveRequest,
    ReceiptRequest,
    ReceiptResponse,
    ReceiptsResponse,
    TransferOrderRequest,
    TransferOrderResponse,
    TransferOrdersResponse,
    TransferReceiveRequest,
)
from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    InventoryError,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import (
    ApiClient,
    Item,
    SupplierReceipt,
    TransferOrder,
)
from inventory.movements import selectors, services
from inventory.movements.services import Arrival, Planned, Who
from inventory.sql import values_source
from inventory.stock.resolve import ItemIndex, ItemRef
from locations.models import Location

# The services' names for what is wrong with a document as a whole, as the request names them.
DOCUMENT_FIELDS = {
    "origin": "origin_location_id",
    "destination": "destination_location_id",
    "location": "location_id",
    "supplier": "supplier",
    "lines": "lines",
}
# How a line may name its item (in LineIdentity.given()'s order): the item's column, its SQL type.
ITEM_COLUMNS = {
    "sku": ("sku", "text"),
    "variant_id": ("variant_id", "bigint"),
    "product_id": ("product_id", "bigint"),
    "item_id": ("pk", "bigint"),
}
IDENTITIES = tuple(ITEM_COLUMNS)
BOTH_ENDS = " A token restricted to some locations needs both of the transfer's among them."
STEP_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 429)


# The token's locations


def refuse_outside(client: ApiClient, located: dict[str, int]) -> None:
    """403 when any of these locations (by the request's field) is not the token's."""
    allowed = allowed_location_ids(client)
    if allowed is None:
        return
    refused = {path: pk for path, pk in located.items() if pk not in allowed}
    if refused:
        raise Problem(
            status.HTTP_403_FORBIDDEN,
            "This token may not change stock at these locations: "
            + ", ".join(str(pk) for pk in sorted(set(refused.values()))),
            {path: f"Location {pk} is not allowed for this token." for path, pk in refused.items()},
        )


def may_change_transfer(client: ApiClient, transfer: TransferOrder) -> None:
    refuse_outside(
        client,
        {
            "origin_location_id": transfer.origin_id,
            "destination_location_id": transfer.destination_id,
        },
    )


def existing_locations(located: dict[str, int]) -> dict[str, Location]:
    """The locations the request names, by its field; 422 naming each that does not exist."""
    found = Location.objects.in_bulk(set(located.values()))
    unknown = {path: pk for path, pk in located.items() if pk not in found}
    if unknown:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Payload contains invalid fields",
            {path: f"Location {pk} does not exist." for path, pk in unknown.items()},
        )
    return {path: found[pk] for path, pk in located.items()}


# The lines' items


def resolve_items(lines: Sequence[LineIdentity]) -> list[Item]:
    """Each line's item, in one query whatever the number of lines, by the write path's own
    meanings of sku, variant_id, product_id and item_id; 422 naming every line whose
    identity finds no item (or items that disagree)."""
    wanted = Q(pk__in=[])
    for name, (column, sql_type) in ITEM_COLUMNS.items():
        values = sorted({value for line in lines if (value := getattr(line, name)) is not None})
        if values:
            wanted |= Q(**{f"{column}__in": values_source(values, sql_type)})
    found = {item.pk: item for item in Item.objects.filter(wanted).order_by()}
    index = ItemIndex(
        [
            ItemRef(item.pk, item.sku, item.variant_id, item.product_id, item.tracking)
            for item in found.values()
        ]
    )
    items, errors = [], []
    for number, line in enumerate(lines):
        given = [
            (name, value)
            for name, value in zip(IDENTITIES, line.given(), strict=True)
            if value is not None
        ]
        ref, error = index.resolve(number, given)
        if error is not None:
            errors.append(error)
        else:
            items.append(found[ref.id])
    if errors:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            listing_title([error.message for error in errors]),
            {f"lines.{error.index}.{error.field}": error.message for error in errors},
        )
    return items


def named_by(lines: Sequence[LineIdentity]) -> dict[int, str]:
    """The field each line names its item by first: where an error about its item points."""
    return {
        number: next(
            name for name, value in zip(IDENTITIES, line.given(), strict=True) if value is not None
        )
        for number, line in enumerate(lines)
    }


# Refusals


def refusal(
    error: InventoryError,
    *,
    lines: Sequence[LineIdentity] = (),
    rename: dict[str, str] | None = None,
    positions: Sequence[int] | None = None,
    place: str | None = None,
) -> Response:
    """A service's refusal as problem+json: a step the document's status does not allow is
    409, one the caller may not take 403; rules broken by the lines or the document 422 with
    each failing field's path (`lines.2.received`, `destination_location_id`).

    The write path's own refusals (shipping, stocking what arrived) name lines by its batch:
    `positions` maps them to the request's when it was given only some of them, and an error
    about a line's location is about the document's `place` (its origin, its destination)."""
    if isinstance(error, MovementNotAllowed):
        code = 403 if error.code == ErrorCode.NOT_PERMITTED else 409
        return problem_response(code, error.message)
    if isinstance(error, AdjustmentRejected):
        from_write_path = not isinstance(error, MovementRejected)
        items_named_by = named_by(lines)
        fixed = []
        for line_error in error.errors:
            index, field = line_error.index, line_error.field
            if from_write_path and index is not None and place and field == "location_id":
                index, field = None, place
            elif from_write_path and index is not None and positions is not None:
                index = positions[index]
            if field == "item" and index in items_named_by:
                field = items_named_by[index]
            fixed.append(replace(line_error, index=index, field=field))
        error = type(error)(fixed)
    return domain_error_response(error, prefix="lines", rename=rename, whole=DOCUMENT_FIELDS)


def written(request: Request, write: Callable[[], BaseModel], **mapping: Any) -> Response:
    """`write()` with the request's Idempotency-Key: its answer is kept and replayed to a retry.
    A refusal keeps nothing, so a corrected retry may reuse the key."""
    try:
        return idempotent_write(request, lambda: write().model_dump(mode="json"))
    except (AdjustmentRejected, MovementNotAllowed) as error:
        return refusal(error, **mapping)


def who(request: Request) -> Who:
    return Who(api_client=request.auth)


def arrivals(items: list[Item], lines) -> list[Arrival]:
    return [
        Arrival(
            item=item,
            received=line.received,
            damaged=line.damaged,
            missing=getattr(line, "missing", 0),
        )
        for item, line in zip(items, lines, strict=True)
    ]


def body_of(model: type[BaseModel], request: Request) -> Any:
    """A step's optional body: none at all reads as `{}`."""
    data = request.data
    return model.model_validate({} if data is None or data == {} else data)


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
