"""Transfers and supplier receipts through their services: every unit in exactly one place,
the ledger's lines carrying the document's reference, and refusals that change nothing."""

import pytest

from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    ReceivingEvent,
    SupplierReceipt,
    TransferOrder,
    WebhookEndpoint,
    WebhookEvent,
)
from inventory.models.webhooks import WebhookScope
from inventory.movements import selectors
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    cancel_transfer,
    close_receipt,
    close_transfer,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db
Status = TransferOrder.Status


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


@pytest.fixture
def warehouse():
    return LocationFactory(label="Warehouse")


@pytest.fixture
def downtown():
    return LocationFactory(label="Downtown")


@pytest.fixture
def boss():
    return manager()


def shipped(item, origin, destination, quantity, who):
    transfer = create_transfer(
        origin=origin, destination=destination, lines=[Planned(item, quantity)], who=who
    )
    return ship_transfer(transfer=transfer, who=who)


def test_a_shipped_transfer_is_in_transit_until_received(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 30)
    who = Who(actor=boss)
    transfer = create_transfer(
        origin=warehouse,
        destination=downtown,
        lines=[Planned(item, 20)],
        who=who,
        reference="WB-889",
    )
    assert transfer.status == Status.DRAFT
    assert on_hand(item, warehouse) == 30  # a draft moves nothing

    ship_transfer(transfer=transfer, who=who)
    transfer.refresh_from_db()
    assert transfer.status == Status.SHIPPED
    assert on_hand(item, warehouse) == 10
    assert on_hand(item, downtown) == 0
    assert selectors.quantities_of(item.pk, warehouse.pk).in_transit_out == 20
    assert selectors.quantities_of(item.pk, downtown.pk).incoming == 20
    shipment = transfer.shipment
    assert shipment.kind == Adjustment.Kind.SHIPMENT
    assert shipment.reference == "WB-889"
    assert shipment.actor == boss

    staff = store_staff(downtown)
    event = receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(item, received=18, damaged=1, missing=1)],
        who=Who(actor=staff),
    )
    transfer.refresh_from_db()
    assert transfer.status == Status.RECEIVED
    assert transfer.closed_by == staff
    assert on_hand(item, downtown) == 18  # damaged and missing never enter on-hand
    assert selectors.named_quantities([item.pk]) == {}
    assert event.adjustment.kind == Adjustment.Kind.RECEIPT
    assert event.adjustment.reference == "WB-889"
    assert event.adjustment.reason_code == Adjustment.ReasonCode.RECEIVED
    line = transfer.lines.get()
    assert (line.received, line.damaged, line.missing) == (18, 1, 1)


def test_a_transfer_is_received_in_parts(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 20)
    transfer = shipped(item, warehouse, downtown, 20, Who(actor=boss))
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=5)], who=Who(actor=boss))
    transfer.refresh_from_db()
    assert transfer.status == Status.PARTIALLY_RECEIVED
    assert selectors.quantities_of(item.pk, downtown.pk).in_transit_in == 15
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=15)], who=Who(actor=boss))
    transfer.refresh_from_db()
    assert transfer.status == Status.RECEIVED
    assert on_hand(item, downtown) == 20
    assert transfer.events.count() == 2


def test_shipping_more_than_the_origin_has_is_refused_and_changes_nothing(
    item, warehouse, downtown, boss
):
    set_stock(item, warehouse, 3)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 5)], who=Who(actor=boss)
    )
    ledger = AdjustmentLine.objects.count()
    with pytest.raises(AdjustmentRejected) as refused:
        ship_transfer(transfer=transfer, who=Who(actor=boss))
    assert refused.value.errors[0].code == ErrorCode.INSUFFICIENT_STOCK
    transfer.refresh_from_db()
    assert transfer.status == Status.DRAFT
    assert transfer.shipment is None
    assert on_hand(item, warehouse) == 3
    assert AdjustmentLine.objects.count() == ledger


def test_receiving_more_than_shipped_needs_a_managers_overage(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 10, Who(actor=boss))
    staff = store_staff(downtown)
    with pytest.raises(MovementRejected) as refused:
        receive_transfer(
            transfer=transfer, arrivals=[Arrival(item, received=11)], who=Who(actor=staff)
        )
    assert refused.value.errors[0].code == ErrorCode.OVERAGE
    assert refused.value.errors[0].field == "received"
    with pytest.raises(MovementNotAllowed) as not_allowed:
        receive_transfer(
            transfer=transfer,
            arrivals=[Arrival(item, received=11)],
            who=Who(actor=staff),
            accept_overage=True,
        )
    assert not_allowed.value.code == ErrorCode.NOT_PERMITTED
    assert on_hand(item, downtown) == 0
    assert not ReceivingEvent.objects.exists()

    event = receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(item, received=11)],
        who=Who(actor=boss),
        accept_overage=True,
    )
    assert event.overage_accepted
    assert on_hand(item, downtown) == 11
    transfer.refresh_from_db()
    assert transfer.status == Status.RECEIVED


def test_an_item_not_on_the_transfer_is_refused(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 10, Who(actor=boss))
    stranger = ItemFactory()
    with pytest.raises(MovementRejected) as refused:
        receive_transfer(
            transfer=transfer,
            arrivals=[Arrival(item, received=1), Arrival(stranger, received=1)],
            who=Who(actor=boss),
            accept_overage=True,
        )
    (error,) = refused.value.errors
    assert (error.index, error.code) == (1, ErrorCode.NOT_ON_DOCUMENT)
    assert on_hand(item, downtown) == 0


def test_a_draft_is_cancelled_and_a_shipped_transfer_closed_short(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 10)
    draft = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 4)], who=Who(actor=boss)
    )
    cancel_transfer(transfer=draft, who=Who(actor=boss))
    draft.refresh_from_db()
    assert draft.status == Status.CANCELLED
    with pytest.raises(MovementNotAllowed) as wrong:
        ship_transfer(transfer=draft, who=Who(actor=boss))
    assert wrong.value.code == ErrorCode.WRONG_STATUS
    assert on_hand(item, warehouse) == 10

    transfer = shipped(item, warehouse, downtown, 6, Who(actor=boss))
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=4)], who=Who(actor=boss))
    with pytest.raises(MovementNotAllowed):
        cancel_transfer(transfer=transfer, who=Who(actor=boss))
    close_transfer(transfer=transfer, who=Who(actor=boss))
    transfer.refresh_from_db()
    assert transfer.status == Status.CLOSED
    line = transfer.lines.get()
    assert (line.received, line.missing) == (4, 2)
    assert selectors.named_quantities([item.pk]) == {}
    assert on_hand(item, warehouse) == 4
    assert on_hand(item, downtown) == 4


def test_a_new_transfer_names_every_problem(item, warehouse, boss):
    closed = LocationFactory(enabled=False)
    with pytest.raises(MovementRejected) as refused:
        create_transfer(
            origin=warehouse,
            destination=closed,
            lines=[Planned(item, 0), Planned(item, 2)],
            who=Who(actor=boss),
        )
    found = {(error.index, error.field, error.code) for error in refused.value.errors}
    assert found == {
        (None, "destination", ErrorCode.LOCATION_DISABLED),
        (0, "quantity", ErrorCode.NON_POSITIVE_QUANTITY),
        (1, "item", ErrorCode.DUPLICATE_LINE),
    }
    assert not TransferOrder.objects.exists()


def test_a_supplier_receipt_arrives_in_two_parts(item, downtown, boss):
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        lines=[Planned(item, 50)],
        who=Who(actor=boss),
    )
    assert selectors.quantities_of(item.pk, downtown.pk).expected == 50
    staff = store_staff(downtown)
    first = receive_receipt(
        receipt=receipt, arrivals=[Arrival(item, received=30, damaged=2)], who=Who(actor=staff)
    )
    receipt.refresh_from_db()
    assert receipt.status == SupplierReceipt.Status.PARTIALLY_RECEIVED
    assert selectors.quantities_of(item.pk, downtown.pk).incoming == 18
    receive_receipt(receipt=receipt, arrivals=[Arrival(item, received=18)], who=Who(actor=staff))
    receipt.refresh_from_db()
    assert receipt.status == SupplierReceipt.Status.RECEIVED
    assert on_hand(item, downtown) == 48
    references = set(
        AdjustmentLine.objects.filter(adjustment__kind=Adjustment.Kind.RECEIPT).values_list(
            "adjustment__reference", flat=True
        )
    )
    assert references == {"PO-1001"}
    assert first.adjustment.actor == staff


def test_an_unexpected_item_needs_an_accepted_overage(item, downtown, boss):
    receipt = create_receipt(
        location=downtown, supplier="Acme", lines=[Planned(item, 5)], who=Who(actor=boss)
    )
    extra = ItemFactory()
    with pytest.raises(MovementRejected):
        receive_receipt(receipt=receipt, arrivals=[Arrival(extra, received=2)], who=Who(actor=boss))
    assert on_hand(extra, downtown) == 0
    receive_receipt(
        receipt=receipt,
        arrivals=[Arrival(extra, received=2)],
        who=Who(actor=boss),
        accept_overage=True,
    )
    assert on_hand(extra, downtown) == 2
    assert receipt.lines.get(item=extra).expected == 0
    close_receipt(receipt=receipt, who=Who(actor=boss))
    receipt.refresh_from_db()
    assert receipt.status == SupplierReceipt.Status.CLOSED
    assert selectors.named_quantities([item.pk]) == {}


def test_ship_and_receive_fire_their_webhooks(item, warehouse, downtown, boss):
    WebhookEndpoint.objects.create(
        name="Partner",
        url="https://partner.example.com/hooks",
        events=[WebhookScope.TRANSFER_SHIPPED, WebhookScope.TRANSFER_RECEIVED],
    )
    set_stock(item, warehouse, 5)
    transfer = shipped(item, warehouse, downtown, 5, Who(actor=boss))
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=5)], who=Who(actor=boss))
    events = list(WebhookEvent.objects.order_by("pk").values_list("scope", "data"))
    assert events == [
        (
            WebhookScope.TRANSFER_SHIPPED.value,
            {
                "transfer_id": transfer.pk,
                "origin_location_id": warehouse.pk,
                "destination_location_id": downtown.pk,
                "status": "shipped",
            },
        ),
        (
            WebhookScope.TRANSFER_RECEIVED.value,
            {
                "transfer_id": transfer.pk,
                "origin_location_id": warehouse.pk,
                "destination_location_id": downtown.pk,
                "status": "received",
            },
        ),
    ]
