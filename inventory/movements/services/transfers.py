"""Transfers between our locations: drafted, shipped (the stock leaves the origin and is in
transit), received at the destination in parts (received, damaged, missing), closed short, or
cancelled while a draft."""

from collections.abc import Sequence

from django.db import transaction

from inventory.errors import ErrorCode
from inventory.models import (
    Adjustment,
    ReceivingEvent,
    TransferLine,
    TransferOrder,
)
from inventory.models.webhooks import WebhookScope
from inventory.movements.services.common import (
    SAME_PLACE,
    Arrival,
    Planned,
    Transfer,
    Who,
    account,
    announce,
    arrival_errors,
    close,
    disabled,
    document_error,
    locked,
    may_accept_overage,
    planned_errors,
    record_receiving,
    refuse_if_any,
    require,
    settle,
)
from inventory.stock import LineInput, apply_adjustment
from locations.models import Location


def create_transfer(
    *,
    origin: Location,
    destination: Location,
    lines: Sequence[Planned],
    who: Who,
    reference: str = "",
    note: str = "",
) -> TransferOrder:
    """A draft transfer. Nothing moves until it is shipped."""
    errors = planned_errors(lines, "quantity")
    if origin.pk == destination.pk:
        errors.insert(0, document_error("destination", ErrorCode.SAME_LOCATION, SAME_PLACE))
    for field, location in (("origin", origin), ("destination", destination)):
        if not location.enabled:
            errors.insert(0, disabled(field, location))
    refuse_if_any(errors)
    with transaction.atomic():
        transfer = TransferOrder.objects.create(
            origin=origin,
            destination=destination,
            reference=reference,
            note=note,
            created_by=who.actor,
            api_client=who.api_client,
        )
        TransferLine.objects.bulk_create(
            TransferLine(transfer=transfer, item=line.item, quantity=line.quantity)
            for line in lines
        )
    return transfer


def ship_transfer(*, transfer: TransferOrder, who: Who) -> TransferOrder:
    """The stock leaves the origin (the usual rules: the origin must have it) and is in transit
    until received. Refused as a whole, with every failing line, when any line cannot go."""
    with transaction.atomic():
        transfer = locked(TransferOrder, transfer)
        require(transfer, Transfer.DRAFT)
        lines = list(transfer.lines.order_by("pk"))
        adjustment = apply_adjustment(
            kind=Adjustment.Kind.SHIPMENT,
            lines=[
                LineInput(
                    location_id=transfer.origin_id, item_id=line.item_id, quantity=-line.quantity
                )
                for line in lines
            ],
            reason=f"Transfer {transfer.number} to {transfer.destination.label}",
            reference=transfer.reference or transfer.number,
            source=who.source,
            actor=who.actor,
            api_client=who.api_client,
            max_lines=None,
        )
        transfer.status = Transfer.SHIPPED
        transfer.shipped_at = adjustment.created_at
        transfer.shipped_by = who.actor
        transfer.shipment = adjustment
        transfer.save(update_fields=["status", "shipped_at", "shipped_by", "shipment"])
        announce(WebhookScope.TRANSFER_SHIPPED, transfer)
    return transfer


def receive_transfer(
    *,
    transfer: TransferOrder,
    arrivals: Sequence[Arrival],
    who: Who,
    accept_overage: bool = False,
    note: str = "",
) -> ReceivingEvent:
    """One delivery (or part of one) at the destination: what arrived sellable is added to
    on-hand there; damaged and missing units leave transit without entering it. More than is
    still in transit is refused unless an overage is accepted (by a manager, or a partner)."""
    may_accept_overage(who, accept_overage)
    with transaction.atomic():
        transfer = locked(TransferOrder, transfer)
        require(transfer, Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in transfer.lines.all()}
        refuse_if_any(arrival_errors(arrivals, held, accept_overage, of="transfer"))
        event = record_receiving(
            transfer,
            arrivals,
            who,
            location_id=transfer.destination_id,
            reason=f"Transfer {transfer.number} from {transfer.origin.label}",
            reference=transfer.reference or transfer.number,
            overage_accepted=accept_overage,
            note=note,
        )
        account(held, arrivals, new_line=None)
        settle(
            transfer,
            held.values(),
            done=Transfer.RECEIVED,
            partly=Transfer.PARTIALLY_RECEIVED,
            who=who,
        )
        announce(WebhookScope.TRANSFER_RECEIVED, transfer)
    return event


def cancel_transfer(*, transfer: TransferOrder, who: Who) -> TransferOrder:
    """A draft that will not be sent. (A shipped one is closed instead: its stock has left.)"""
    with transaction.atomic():
        transfer = locked(TransferOrder, transfer)
        require(transfer, Transfer.DRAFT)
        close(transfer, Transfer.CANCELLED, who)
    return transfer


def close_transfer(*, transfer: TransferOrder, who: Who, note: str = "") -> TransferOrder:
    """Received short: what is still in transit will not arrive and is recorded missing, so it
    leaves transit. No stock changes (it already left the origin)."""
    with transaction.atomic():
        transfer = locked(TransferOrder, transfer)
        require(transfer, Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in transfer.lines.select_related("item")}
        rest = [
            Arrival(item=line.item, missing=line.outstanding)
            for line in held.values()
            if line.outstanding
        ]
        record_receiving(
            transfer,
            rest,
            who,
            location_id=transfer.destination_id,
            reason="",
            reference="",
            closing=True,
            note=note,
        )
        account(held, rest, new_line=None)
        close(transfer, Transfer.CLOSED, who)
        announce(WebhookScope.TRANSFER_RECEIVED, transfer)
    return transfer
