"""Supplier receipts: deliveries expected from a supplier, received in parts into one
location, closed when the rest will not come."""

from collections.abc import Sequence
from datetime import date

from django.db import transaction

from inventory.errors import ErrorCode
from inventory.models import (
    ReceivingEvent,
    SupplierReceipt,
    SupplierReceiptLine,
)
from inventory.models.webhooks import WebhookScope
from inventory.movements.services.common import (
    Arrival,
    Planned,
    Receipt,
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
from locations.models import Location


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
    errors = planned_errors(lines, "expected")
    if not supplier.strip():
        errors.insert(
            0, document_error("supplier", ErrorCode.MISSING_IDENTITY, "Name the supplier.")
        )
    if not location.enabled:
        errors.insert(0, disabled("location", location))
    refuse_if_any(errors)
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
    may_accept_overage(who, accept_overage)
    with transaction.atomic():
        receipt = locked(SupplierReceipt, receipt)
        require(receipt, Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)
        held = {line.item_id: line for line in receipt.lines.all()}
        refuse_if_any(arrival_errors(arrivals, held, accept_overage, of="receipt"))
        event = record_receiving(
            receipt,
            arrivals,
            who,
            location_id=receipt.location_id,
            reason=f"Delivery {receipt.number} from {receipt.supplier}",
            reference=receipt.reference or receipt.number,
            overage_accepted=accept_overage,
            note=note,
        )
        account(
            held,
            arrivals,
            new_line=lambda item: SupplierReceiptLine(receipt=receipt, item=item, expected=0),
        )
        settle(
            receipt,
            held.values(),
            done=Receipt.RECEIVED,
            partly=Receipt.PARTIALLY_RECEIVED,
            who=who,
        )
        announce(WebhookScope.RECEIPT_RECEIVED, receipt)
    return event


def close_receipt(*, receipt: SupplierReceipt, who: Who) -> SupplierReceipt:
    """Nothing more will arrive: what is still expected stops being incoming."""
    with transaction.atomic():
        receipt = locked(SupplierReceipt, receipt)
        require(receipt, Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)
        close(receipt, Receipt.CLOSED, who)
    return receipt
