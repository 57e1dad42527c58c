"""Reading transfer orders and supplier receipts through the API: which documents a token sees
(those with either end among its locations), their representation (read in a fixed number of
queries per page, whatever the number of documents, lines and receivings), and the lists'
documented filters (the pages' FilterSets, inventory.movements.selectors)."""

from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from inventory.api.auth import allowed_location_ids
from inventory.api.errors import Problem
from inventory.models import (
    ApiClient,
    Item,
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
from inventory.movements import selectors

EITHER_END = "A token restricted to some locations sees those with either end among them."


def receiving_events() -> Prefetch:
    lines = ReceivingEventLine.objects.select_related("item").order_by("pk")
    events = ReceivingEvent.objects.select_related("adjustment", "actor", "api_client")
    return Prefetch(
        "events", queryset=events.prefetch_related(Prefetch("lines", queryset=lines)).order_by("pk")
    )


def with_transfer_details(transfers: QuerySet[TransferOrder]) -> QuerySet[TransferOrder]:
    """Everything a transfer's representation shows, in a fixed number of queries per page."""
    lines = TransferLine.objects.select_related("item").order_by("pk")
    return transfers.select_related("shipment").prefetch_related(
        Prefetch("lines", queryset=lines), receiving_events()
    )


def with_receipt_details(receipts: QuerySet[SupplierReceipt]) -> QuerySet[SupplierReceipt]:
    lines = SupplierReceiptLine.objects.select_related("item").order_by("pk")
    return receipts.prefetch_related(Prefetch("lines", queryset=lines), receiving_events())


def identity(item: Item) -> dict[str, Any]:
    return {"item_id": item.pk, "identity": item}


def event_fields(event: ReceivingEvent) -> dict[str, Any]:
    return {
        "id": event.pk,
        "created_at": event.created_at,
        "user": event.actor.get_username() if event.actor else None,
        "api_client": event.api_client.name if event.api_client else None,
        "note": event.note,
        "overage_accepted": event.overage_accepted,
        "closing": event.closing,
        "transaction_id": str(event.adjustment.transaction_id) if event.adjustment else None,
        "lines": [
            {
                **identity(line.item),
                "received": line.received,
                "damaged": line.damaged,
                "missing": line.missing,
            }
            for line in event.lines.all()
        ],
    }


def transfer_fields(transfer: TransferOrder) -> dict[str, Any]:
    shipment = transfer.shipment
    return {
        "id": transfer.pk,
        "number": transfer.number,
        "status": transfer.status,
        "origin_location_id": transfer.origin_id,
        "destination_location_id": transfer.destination_id,
        "reference": transfer.reference,
        "note": transfer.note,
        "created_at": transfer.created_at,
        "shipped_at": transfer.shipped_at,
        "closed_at": transfer.closed_at,
        "shipment_transaction_id": str(shipment.transaction_id) if shipment else None,
        "lines": [
            {
                **identity(line.item),
                "quantity": line.quantity,
                "received": line.received,
                "damaged": line.damaged,
                "missing": line.missing,
                "outstanding": line.outstanding,
            }
            for line in transfer.lines.all()
        ],
        "events": [event_fields(event) for event in transfer.events.all()],
    }


def receipt_fields(receipt: SupplierReceipt) -> dict[str, Any]:
    return {
        "id": receipt.pk,
        "number": receipt.number,
        "status": receipt.status,
        "location_id": receipt.location_id,
        "supplier": receipt.supplier,
        "reference": receipt.reference,
        "expected_on": receipt.expected_on,
        "note": receipt.note,
        "created_at": receipt.created_at,
        "closed_at": receipt.closed_at,
        "lines": [
            {
                **identity(line.item),
                "expected": line.expected,
                "received": line.received,
                "damaged": line.damaged,
                "outstanding": line.outstanding,
            }
            for line in receipt.lines.all()
        ],
        "events": [event_fields(event) for event in receipt.events.all()],
    }


def valid_filters(filter_set, request: Request) -> None:
    """422 naming the first query parameter the list's FilterSet refuses."""
    found = filter_set(request.query_params, queryset=filter_set._meta.model.objects.none())
    if not found.is_valid():
        name, messages = next(iter(found.errors.items()))
        raise Problem(422, "Invalid query parameter", {name: messages[0]})


def one_document(documents: QuerySet, pk: int, label: str):
    document = documents.filter(pk=pk).first()
    if document is None:
        raise Problem(404, f"{label} {pk} not found.")
    return document


def transfers_visible_to(client: ApiClient) -> QuerySet[TransferOrder]:
    """Transfers with either end among the token's locations."""
    allowed = allowed_location_ids(client)
    transfers = TransferOrder.objects.all()
    if allowed is None:
        return transfers
    return transfers.filter(Q(origin_id__in=allowed) | Q(destination_id__in=allowed))


def receipts_visible_to(client: ApiClient) -> QuerySet[SupplierReceipt]:
    allowed = allowed_location_ids(client)
    receipts = SupplierReceipt.objects.all()
    return receipts if allowed is None else receipts.filter(location_id__in=allowed)


TRANSFER_ID = OpenApiParameter("transfer_id", int, OpenApiParameter.PATH)
RECEIPT_ID = OpenApiParameter("receipt_id", int, OpenApiParameter.PATH)


def filter_parameters(filter_set, descriptions: dict[str, tuple[dict, str]]) -> list:
    assert set(descriptions) == set(filter_set.base_filters), "document every filter"
    return [
        OpenApiParameter(name, schema, description=text, explode=name == "status")
        for name, (schema, text) in descriptions.items()
    ]


LOCATION_ID = {"type": "integer", "minimum": 1, "maximum": 2_147_483_647}
OPEN = {"type": "boolean"}
SKU = {"type": "string", "minLength": 1, "maxLength": 255}

TRANSFER_FILTERS = filter_parameters(
    selectors.TransferFilter,
    {
        "status": (
            {"type": "array", "items": {"enum": list(TransferOrder.Status.values)}},
            "Only these statuses (repeat the parameter for several).",
        ),
        "origin": (LOCATION_ID, "Only transfers from this location id."),
        "destination": (LOCATION_ID, "Only transfers to this location id."),
        "location": (LOCATION_ID, "Only transfers from or to this location id."),
        "sku": (SKU, "Only transfers with this SKU on a line."),
        "open": (OPEN, "Only drafts and transfers in transit (true), or only the others."),
    },
)
RECEIPT_FILTERS = filter_parameters(
    selectors.ReceiptFilter,
    {
        "status": (
            {"type": "array", "items": {"enum": list(SupplierReceipt.Status.values)}},
            "Only these statuses (repeat the parameter for several).",
        ),
        "location": (LOCATION_ID, "Only deliveries into this location id."),
        "supplier": ({"type": "string", "maxLength": 200}, "Suppliers whose name contains this."),
        "reference": ({"type": "string", "maxLength": 500}, "References that contain this."),
        "sku": (SKU, "Only receipts with this SKU on a line."),
        "open": (OPEN, "Only deliveries still expected (true), or only the others."),
    },
)
