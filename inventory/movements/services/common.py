"""What the steps of transfers and supplier receipts share: their inputs (`Planned`,
`Arrival`, `Who`), the document lock, the checks of lines, and the record of a receiving."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
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


Document = TransferOrder | SupplierReceipt
D = TypeVar("D", TransferOrder, SupplierReceipt)
# The running totals each kind of line keeps.
TOTALS = {
    TransferLine: ["received", "damaged", "missing"],
    SupplierReceiptLine: ["received", "damaged"],
}
SAME_PLACE = "A transfer goes from one location to another: choose another destination."


def locked(model: type[D], document: D) -> D:
    """The document's row only (no join: locking the location rows too would make every sale
    there wait). Its lines change only under this lock."""
    return model.objects.select_for_update(of=("self",)).get(pk=document.pk)


def require(document: Document, *statuses: str) -> None:
    if document.status not in statuses:
        status = document.get_status_display().lower()
        raise MovementNotAllowed(
            ErrorCode.WRONG_STATUS, f"{document.number} is {status}: that step is not possible now."
        )


def may_accept_overage(who: Who, accept_overage: bool) -> None:
    if accept_overage and who.actor is not None and not who.actor.has_perm(ACCEPT_OVERAGE):
        raise MovementNotAllowed(
            ErrorCode.NOT_PERMITTED,
            "Only an inventory manager can accept more than was sent or expected: ask one to "
            "receive these units.",
        )


def planned_errors(lines: Sequence[Planned], field: str) -> list[LineError]:
    if not lines:
        return [document_error("lines", ErrorCode.EMPTY_BATCH, "Add at least one item.")]
    errors = []
    first: dict[int, int] = {}
    for index, line in enumerate(lines):
        item = line.item
        if line.quantity <= 0:
            errors.append(
                line_error(index, field, ErrorCode.NON_POSITIVE_QUANTITY, item, "enter 1 or more.")
            )
        elif line.quantity > MAX_QUANTITY:
            errors.append(
                line_error(index, field, ErrorCode.QUANTITY_OUT_OF_RANGE, item, "that is too many.")
            )
        if (earlier := first.setdefault(item.pk, index)) != index:
            errors.append(
                line_error(
                    index,
                    "item",
                    ErrorCode.DUPLICATE_LINE,
                    item,
                    f"already on line {earlier + 1}: put the whole quantity there.",
                )
            )
    return errors


def arrival_errors(
    arrivals: Sequence[Arrival],
    held: dict[int, TransferLine | SupplierReceiptLine],
    accept_overage: bool,
    *,
    of: str,
) -> list[LineError]:
    """Every arrival a receiving may not record, and why. An arrival of nothing (a page sends
    every line of its document) is no error; a receiving of nothing at all is."""
    errors = []
    first: dict[int, int] = {}
    for index, arrival in enumerate(arrivals):
        found = _shape_errors(index, arrival, of)
        if found or not arrival.total:
            errors += found
            continue
        if (earlier := first.setdefault(arrival.item.pk, index)) != index:
            errors.append(
                line_error(
                    index,
                    "item",
                    ErrorCode.DUPLICATE_LINE,
                    arrival.item,
                    f"already on line {earlier + 1}: enter it once.",
                )
            )
            continue
        errors += _against_line(index, arrival, held.get(arrival.item.pk), accept_overage, of)
    if not errors and not any(arrival.total for arrival in arrivals):
        return [document_error("lines", ErrorCode.EMPTY_BATCH, "Enter what arrived.")]
    return errors


def _shape_errors(index: int, arrival: Arrival, of: str) -> list[LineError]:
    """The counts as given: none below 0, and no missing units from a supplier."""
    errors = [
        line_error(
            index, name, ErrorCode.NEGATIVE_QUANTITY, arrival.item, f"{name} cannot be below 0."
        )
        for name in ("received", "damaged", "missing")
        if getattr(arrival, name) < 0
    ]
    if of == "receipt" and arrival.missing > 0:
        errors.append(
            line_error(
                index,
                "missing",
                ErrorCode.NOT_TRACKED,
                arrival.item,
                "a supplier's missing units stay expected: leave them out, or close the "
                "receipt when they will not come.",
            )
        )
    return errors


def _against_line(
    index: int,
    arrival: Arrival,
    line: TransferLine | SupplierReceiptLine | None,
    accept_overage: bool,
    of: str,
) -> list[LineError]:
    """The arrival against its document's line: on the document, and no more than is still
    to come (an accepted overage lifts that for units that arrived, never for missing ones:
    missing units are ones that did not arrive, so at most what is still to come)."""
    item = arrival.item
    if (line.accounted if line else 0) + arrival.total > MAX_QUANTITY:
        message = "that is more than a line can hold. Check the numbers."
        return [line_error(index, "received", ErrorCode.QUANTITY_OUT_OF_RANGE, item, message)]
    if line is None:
        if of == "receipt" and accept_overage:
            return []
        extra = ", or have a manager accept it as extra." if of == "receipt" else "."
        message = f"not on this {of}. Check the label{extra}"
        return [line_error(index, "item", ErrorCode.NOT_ON_DOCUMENT, item, message)]
    left = line.outstanding
    facts = {"outstanding": left, "entered": arrival.total}
    if not accept_overage and arrival.total > left:
        sent = "sent" if of == "transfer" else "expected"
        message = (
            f"{arrival.total} entered, but only {left} of the {_quantity(line)} {sent} are "
            "still to come. Check the count, or have a manager accept the extra units."
        )
        return [line_error(index, "received", ErrorCode.OVERAGE, item, message, facts=facts)]
    if arrival.missing > max(left - arrival.received - arrival.damaged, 0):
        message = (
            f"{arrival.missing} missing, but only {left} are still to come, "
            f"{arrival.received + arrival.damaged} of them entered as arrived."
        )
        return [line_error(index, "missing", ErrorCode.OVERAGE, item, message, facts=facts)]
    return []


def _quantity(line: TransferLine | SupplierReceiptLine) -> int:
    return line.quantity if isinstance(line, TransferLine) else line.expected


def record_receiving(
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


def account(held: dict, arrivals: Sequence[Arrival], *, new_line) -> None:
    """Add the arrivals to their lines' running totals (a receipt line is made for an item
    that was not expected, with an accepted overage)."""
    changed, created = [], []
    for arrival in arrivals:
        if not arrival.total:
            continue
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


def settle(document: Document, lines, *, done: str, partly: str, who: Who) -> None:
    """Received in full once nothing is outstanding on any line; else partly received."""
    if any(line.outstanding for line in lines):
        document.status = partly
        document.save(update_fields=["status"])
    else:
        close(document, done, who)


def close(document: Document, status: str, who: Who) -> None:
    document.status = status
    document.closed_at = timezone.now()
    document.closed_by = who.actor
    document.save(update_fields=["status", "closed_at", "closed_by"])


def announce(scope: WebhookScope, document: Document) -> None:
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


def refuse_if_any(errors: list[LineError]) -> None:
    if errors:
        raise MovementRejected(errors)


def document_error(field: str, code: ErrorCode, message: str) -> LineError:
    return LineError(None, field, code, message)


def disabled(field: str, location: Location) -> LineError:
    return LineError(
        None,
        field,
        ErrorCode.LOCATION_DISABLED,
        f"{location.label} is disabled: enable it first, or choose another location.",
        location_id=location.pk,
    )


def line_error(
    index: int, field: str, code: ErrorCode, item: Item, what: str, facts: dict | None = None
) -> LineError:
    return LineError(
        index, field, code, f"Line {index + 1}, {item}: {what}", item_id=item.pk, facts=facts or {}
    )
