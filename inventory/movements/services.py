"""Transfers with a transit stage and supplier receipts: every step that changes a document,
and through it, stock.

A transfer's stock is always in exactly one place: on hand at the origin until shipped; in
transit (the outstanding part of its lines) until received; then on hand at the destination,
or written off as damaged or missing. Shipping is one adjustment of kind `shipment` (every line
leaves the origin), each receiving event one of kind `receipt` (only what arrived sellable is
added); both through `stock.apply_adjustment`, in the same transaction as the document's own
change, so the ledger and the documents never disagree.

Each step locks its document row first: two receivings of one transfer (two clerks, or a
retried request) run one after the other, and the second sees what the first accounted for.
The balances are then locked by the write path, in its one order.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from inventory.errors import (
    ErrorCode,
    LineError,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import (
    MAX_QUANTITY,
    Adjustment,
    ApiClient,
    Item,
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
from inventory.models.webhooks import WebhookScope
from inventory.stock import LineInput, apply_adjustment
from inventory.webhooks.outbox import enqueue_document_event
from locations.models import Location

Transfer = TransferOrder.Status
Receipt = SupplierReceipt.Status
ACCEPT_OVERAGE = "inventory.accept_overage"


@dataclass(frozen=True, slots=True)
class Planned:
    """A line of a new document: an item and how many are sent (or expected)."""

    item: Item
    quantity: int


@dataclass(frozen=True, slots=True)
class Arrival:
    """What a receiving found of one item: sellable, damaged, and (transfers only) missing."""

    item: Item
    received: int = 0
    damaged: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.received + self.damaged + self.missing


@dataclass(frozen=True, slots=True)
class Who:
    """Who takes a step: a person in the back office, or a partner's API client."""

    actor: AbstractBaseUser | None = None
    api_client: ApiClient | None = None

    @property
    def source(self) -> Adjustment.Source:
        return Adjustment.Source.API if self.api_client else Adjustment.Source.ADMIN


# Transfers


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
    errors = _planned_errors(lines, "quantity")
    if origin.pk == destination.pk:
        errors.insert(0, _document_error("destination", ErrorCode.SAME_LOCATION, _SAME_PLACE))
    for field, location in (("origin", origin), ("destination", destination)):
        if not location.enabled:
            errors.insert(0, _disabled(field, location))
    _refuse_if_any(errors)
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
        transfer = _locked(TransferOrder, transfer)
        _require(transfer, Transfer.DRAFT)
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
        _announce(WebhookScope.TRANSFER_SHIPPED, transfer)
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
    _may_accept_overage(who, accept_overage)
    with transaction.atomic():
        transfer = _locked(TransferOrder, transfer)
        _require(transfer, Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in transfer.lines.all()}
        _refuse_if_any(_arrival_errors(arrivals, held, accept_overage, of="transfer"))
        event = _receive(
            transfer,
            arrivals,
            who,
            location_id=transfer.destination_id,
            reason=f"Transfer {transfer.number} from {transfer.origin.label}",
            reference=transfer.reference or transfer.number,
            overage_accepted=accept_overage,
            note=note,
        )
        _account(held, arrivals, new_line=None)
        _settle(
            transfer,
            held.values(),
            done=Transfer.RECEIVED,
            partly=Transfer.PARTIALLY_RECEIVED,
            who=who,
        )
        _announce(WebhookScope.TRANSFER_RECEIVED, transfer)
    return event


def cancel_transfer(*, transfer: TransferOrder, who: Who) -> TransferOrder:
    """A draft that will not be sent. (A shipped one is closed instead: its stock has left.)"""
    with transaction.atomic():
        transfer = _locked(TransferOrder, transfer)
        _require(transfer, Transfer.DRAFT)
        _close(transfer, Transfer.CANCELLED, who)
    return transfer


def close_transfer(*, transfer: TransferOrder, who: Who, note: str = "") -> TransferOrder:
    """Received short: what is still in transit will not arrive and is recorded missing, so it
    leaves transit. No stock changes (it already left the origin)."""
    with transaction.atomic():
        transfer = _locked(TransferOrder, transfer)
        _require(transfer, Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in transfer.lines.select_related("item")}
        rest = [
            Arrival(item=line.item, missing=line.outstanding)
            for line in held.values()
            if line.outstanding
        ]
        _receive(
            transfer,
            rest,
            who,
            location_id=transfer.destination_id,
            reason="",
            reference="",
            closing=True,
            note=note,
        )
        _account(held, rest, new_line=None)
        _close(transfer, Transfer.CLOSED, who)
        _announce(WebhookScope.TRANSFER_RECEIVED, transfer)
    return transfer


# Supplier receipts


def create_receipt(
    *,
    location: Location,
    supplier: str,
    lines: Sequence[Planned],
    who: Who,
    reference: str = "",
    expected_on: date | None = None,
    note: str = "",
) -> SupplierReceipt:
    """An expected delivery: its lines are incoming at `location` until received or closed."""
    errors = _planned_errors(lines, "expected")
    if not supplier.strip():
        errors.insert(
            0, _document_error("supplier", ErrorCode.MISSING_IDENTITY, "Name the supplier.")
        )
    if not location.enabled:
        errors.insert(0, _disabled("location", location))
    _refuse_if_any(errors)
    with transaction.atomic():
        receipt = SupplierReceipt.objects.create(
            location=location,
            supplier=supplier.strip(),
            reference=reference,
            expected_on=expected_on,
            note=note,
            created_by=who.actor,
            api_client=who.api_client,
        )
        SupplierReceiptLine.objects.bulk_create(
            SupplierReceiptLine(receipt=receipt, item=line.item, expected=line.quantity)
            for line in lines
        )
    return receipt


def receive_receipt(
    *,
    receipt: SupplierReceipt,
    arrivals: Sequence[Arrival],
    who: Who,
    accept_overage: bool = False,
    note: str = "",
) -> ReceivingEvent:
    """One delivery (or part of one) from the supplier: what arrived sellable is added to
    on-hand in one adjustment carrying the receipt's reference; damaged units are recorded, not
    stocked. More than expected (or an item not on the receipt) needs an accepted overage."""
    _may_accept_overage(who, accept_overage)
    with transaction.atomic():
        receipt = _locked(SupplierReceipt, receipt)
        _require(receipt, Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in receipt.lines.all()}
        _refuse_if_any(_arrival_errors(arrivals, held, accept_overage, of="receipt"))
        event = _receive(
            receipt,
            arrivals,
            who,
            location_id=receipt.location_id,
            reason=f"Delivery {receipt.number} from {receipt.supplier}",
            reference=receipt.reference or receipt.number,
            overage_accepted=accept_overage,
            note=note,
        )
        _account(
            held,
            arrivals,
            new_line=lambda item: SupplierReceiptLine(receipt=receipt, item=item, expected=0),
        )
        _settle(
            receipt,
            held.values(),
            done=Receipt.RECEIVED,
            partly=Receipt.PARTIALLY_RECEIVED,
            who=who,
        )
        _announce(WebhookScope.RECEIPT_RECEIVED, receipt)
    return event


def close_receipt(*, receipt: SupplierReceipt, who: Who) -> SupplierReceipt:
    """Nothing more will arrive: what is still expected stops being incoming."""
    with transaction.atomic():
        receipt = _locked(SupplierReceipt, receipt)
        _require(receipt, Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)
        _close(receipt, Receipt.CLOSED, who)
    return receipt


# The steps' shared parts

Document = TransferOrder | SupplierReceipt
D = TypeVar("D", TransferOrder, SupplierReceipt)
# The running totals each kind of line keeps.
TOTALS = {
    TransferLine: ["received", "damaged", "missing"],
    SupplierReceiptLine: ["received", "damaged"],
}
_SAME_PLACE = "A transfer goes from one location to another: choose another destination."


def _locked(model: type[D], document: D) -> D:
    """The document's row only (no join: locking the location rows too would make every sale
    there wait). Its lines change only under this lock."""
    return model.objects.select_for_update(of=("self",)).get(pk=document.pk)


def _require(document: Document, *statuses: str) -> None:
    if document.status not in statuses:
        status = document.get_status_display().lower()
        raise MovementNotAllowed(
            ErrorCode.WRONG_STATUS, f"{document.number} is {status}: that step is not possible now."
        )


def _may_accept_overage(who: Who, accept_overage: bool) -> None:
    if accept_overage and who.actor is not None and not who.actor.has_perm(ACCEPT_OVERAGE):
        raise MovementNotAllowed(
            ErrorCode.NOT_PERMITTED,
            "Only an inventory manager can accept more than was sent or expected: ask one to "
            "receive these units.",
        )


def _planned_errors(lines: Sequence[Planned], field: str) -> list[LineError]:
    if not lines:
        return [_document_error("lines", ErrorCode.EMPTY_BATCH, "Add at least one item.")]
    errors = []
    first: dict[int, int] = {}
    for index, line in enumerate(lines):
        item = line.item
        if line.quantity <= 0:
            errors.append(
                _line_error(index, field, ErrorCode.NON_POSITIVE_QUANTITY, item, "enter 1 or more.")
            )
        elif line.quantity > MAX_QUANTITY:
            errors.append(
                _line_error(
                    index, field, ErrorCode.QUANTITY_OUT_OF_RANGE, item, "that is too many."
                )
            )
        if (earlier := first.setdefault(item.pk, index)) != index:
            errors.append(
                _line_error(
                    index,
                    "item",
                    ErrorCode.DUPLICATE_LINE,
                    item,
                    f"already on line {earlier + 1}: put the whole quantity there.",
                )
            )
    return errors


def _arrival_errors(
    arrivals: Sequence[Arrival],
    held: dict[int, TransferLine | SupplierReceiptLine],
    accept_overage: bool,
    *,
    of: str,
) -> list[LineError]:
    if not any(arrival.total for arrival in arrivals):
        return [_document_error("lines", ErrorCode.EMPTY_BATCH, "Enter what arrived.")]
    errors = []
    first: dict[int, int] = {}
    for index, arrival in enumerate(arrivals):
        item = arrival.item
        if min(arrival.received, arrival.damaged, arrival.missing) < 0:
            errors.append(
                _line_error(
                    index, "received", ErrorCode.NEGATIVE_QUANTITY, item, "enter 0 or more."
                )
            )
            continue
        if of == "receipt" and arrival.missing:
            errors.append(
                _line_error(
                    index,
                    "missing",
                    ErrorCode.NEGATIVE_QUANTITY,
                    item,
                    "a supplier's missing units stay expected: leave them out, or close the "
                    "receipt when they will not come.",
                )
            )
        if (earlier := first.setdefault(item.pk, index)) != index:
            errors.append(
                _line_error(
                    index,
                    "item",
                    ErrorCode.DUPLICATE_LINE,
                    item,
                    f"already on line {earlier + 1}: enter it once.",
                )
            )
            continue
        line = held.get(item.pk)
        if line is None and (of == "transfer" or not accept_overage):
            errors.append(
                _line_error(
                    index,
                    "item",
                    ErrorCode.NOT_ON_DOCUMENT,
                    item,
                    f"not on this {of}. Check the label"
                    + (", or have a manager accept it as extra." if of == "receipt" else "."),
                )
            )
        elif line is not None and not accept_overage and arrival.total > line.outstanding:
            sent = "sent" if of == "transfer" else "expected"
            errors.append(
                _line_error(
                    index,
                    "received",
                    ErrorCode.OVERAGE,
                    item,
                    f"{arrival.total} entered, but only {line.outstanding} of the "
                    f"{_quantity(line)} {sent} are still to come. Check the count, or have a "
                    "manager accept the extra units.",
                    facts={"outstanding": line.outstanding, "entered": arrival.total},
                )
            )
    return errors


def _quantity(line: TransferLine | SupplierReceiptLine) -> int:
    return line.quantity if isinstance(line, TransferLine) else line.expected


def _receive(
    document: Document,
    arrivals: Sequence[Arrival],
    who: Who,
    *,
    location_id: int,
    reason: str,
    reference: str,
    overage_accepted: bool = False,
    closing: bool = False,
    note: str = "",
) -> ReceivingEvent:
    """The receiving event, with the adjustment that stocks what arrived sellable (if any)."""
    sellable = [arrival for arrival in arrivals if arrival.received]
    adjustment = None
    if sellable:
        adjustment = apply_adjustment(
            kind=Adjustment.Kind.RECEIPT,
            lines=[
                LineInput(
                    location_id=location_id, item_id=arrival.item.pk, quantity=arrival.received
                )
                for arrival in sellable
            ],
            reason=reason,
            reason_code=Adjustment.ReasonCode.RECEIVED,
            reference=reference,
            source=who.source,
            actor=who.actor,
            api_client=who.api_client,
            max_lines=None,
        )
    event = ReceivingEvent.objects.create(
        transfer=document if isinstance(document, TransferOrder) else None,
        receipt=document if isinstance(document, SupplierReceipt) else None,
        adjustment=adjustment,
        actor=who.actor,
        api_client=who.api_client,
        created_at=adjustment.created_at if adjustment else timezone.now(),
        note=note,
        overage_accepted=overage_accepted,
        closing=closing,
    )
    ReceivingEventLine.objects.bulk_create(
        ReceivingEventLine(
            event=event,
            item=arrival.item,
            received=arrival.received,
            damaged=arrival.damaged,
            missing=arrival.missing,
        )
        for arrival in arrivals
        if arrival.total
    )
    return event


def _account(held: dict, arrivals: Sequence[Arrival], *, new_line) -> None:
    """Add the arrivals to their lines' running totals (a receipt line is made for an item
    that was not expected, with an accepted overage)."""
    changed, created = [], []
    for arrival in arrivals:
        line = held.get(arrival.item.pk)
        if line is None:
            line = held[arrival.item.pk] = new_line(arrival.item)
            created.append(line)
        else:
            changed.append(line)
        line.received += arrival.received
        line.damaged += arrival.damaged
        if isinstance(line, TransferLine):
            line.missing += arrival.missing
    if changed:
        model = type(changed[0])
        model.objects.bulk_update(changed, TOTALS[model])
    if created:
        type(created[0]).objects.bulk_create(created)


def _settle(document: Document, lines, *, done: str, partly: str, who: Who) -> None:
    """Received in full once nothing is outstanding on any line; else partly received."""
    if any(line.outstanding for line in lines):
        document.status = partly
        document.save(update_fields=["status"])
    else:
        _close(document, done, who)


def _close(document: Document, status: str, who: Who) -> None:
    document.status = status
    document.closed_at = timezone.now()
    document.closed_by = who.actor
    document.save(update_fields=["status", "closed_at", "closed_by"])


def _announce(scope: WebhookScope, document: Document) -> None:
    if isinstance(document, TransferOrder):
        data = {
            "transfer_id": document.pk,
            "origin_location_id": document.origin_id,
            "destination_location_id": document.destination_id,
            "status": document.status,
        }
    else:
        data = {
            "receipt_id": document.pk,
            "location_id": document.location_id,
            "reference": document.reference,
            "status": document.status,
        }
    enqueue_document_event(scope.value, data, created_at=timezone.now())


def _refuse_if_any(errors: list[LineError]) -> None:
    if errors:
        raise MovementRejected(errors)


def _document_error(field: str, code: ErrorCode, message: str) -> LineError:
    return LineError(None, field, code, message)


def _disabled(field: str, location: Location) -> LineError:
    return LineError(
        None,
        field,
        ErrorCode.LOCATION_DISABLED,
        f"{location.label} is disabled: enable it first, or choose another location.",
        location_id=location.pk,
    )


def _line_error(
    index: int, field: str, code: ErrorCode, item: Item, what: str, facts: dict | None = None
) -> LineError:
    return LineError(
        index, field, code, f"Line {index + 1}, {item}: {what}", item_id=item.pk, facts=facts or {}
    )


__all__ = [
    "Arrival",
    "Planned",
    "Who",
    "cancel_transfer",
    "close_receipt",
    "close_transfer",
    "create_receipt",
    "create_transfer",
    "receive_receipt",
    "receive_transfer",
    "ship_transfer",
]
