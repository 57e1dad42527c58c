"""`find_document_discrepancies` and `manage.py verify_ledger`: transfers, supplier receipts and
their receiving events against the ledger. A clean history of every kind of step reports
nothing; documents tampered with by writes the app never makes (queryset updates, a hand-made
ledger row) are reported, naming the document, the item and the location."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import (
    AdjustmentLine,
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
)
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
from inventory.stock.audit import Discrepancy, find_document_discrepancies
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return LocationFactory(code="WH", label="Warehouse")


@pytest.fixture
def downtown():
    return LocationFactory(code="DT", label="Downtown")


@pytest.fixture
def who():
    return Who(actor=manager())


def run_verify() -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def shipped(item, origin, destination, quantity, who) -> TransferOrder:
    transfer = create_transfer(
        origin=origin, destination=destination, lines=[Planned(item, quantity)], who=who
    )
    return ship_transfer(transfer=transfer, who=who)


def problems() -> list[str]:
    return [found.problem for found in find_document_discrepancies()]


def test_a_clean_history_of_every_step_reports_nothing(item, warehouse, downtown, who):
    other = ItemFactory()
    set_stock(item, warehouse, 40)
    set_stock(other, warehouse, 5)
    transfer = create_transfer(
        origin=warehouse,
        destination=downtown,
        lines=[Planned(item, 20), Planned(other, 5)],
        who=who,
    )
    ship_transfer(transfer=transfer, who=who)
    receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(item, received=18, damaged=1, missing=1), Arrival(other, damaged=2)],
        who=who,
    )
    close_transfer(transfer=transfer, who=who)
    found = shipped(item, warehouse, downtown, 3, who)
    receive_transfer(
        transfer=found, arrivals=[Arrival(item, received=4)], who=who, accept_overage=True
    )
    draft = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 1)], who=who
    )
    cancel_transfer(transfer=draft, who=who)
    receipt = create_receipt(
        location=downtown, supplier="Acme", lines=[Planned(item, 50)], who=who, reference="PO-1"
    )
    receive_receipt(receipt=receipt, arrivals=[Arrival(item, received=30, damaged=2)], who=who)
    receive_receipt(
        receipt=receipt,
        arrivals=[Arrival(item, received=10), Arrival(other, received=3)],
        who=who,
        accept_overage=True,
    )
    close_receipt(receipt=receipt, who=who)

    status, out, err = run_verify()

    assert find_document_discrepancies() == []
    assert (status, err) == (0, "")
    assert "Documents OK: 3 transfers and 1 supplier receipts agree with the ledger." in out


def test_a_transfer_lines_received_changed_behind_the_services_back(item, warehouse, downtown, who):
    set_stock(item, warehouse, 20)
    transfer = shipped(item, warehouse, downtown, 20, who)
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=18)], who=who)
    TransferLine.objects.filter(transfer=transfer).update(received=17)

    status, out, err = run_verify()

    assert status == 1
    assert out == ""
    assert (
        f"{item.sku} @ DT: {transfer.number}'s line says 17 received but its receivings add up"
        " to 18"
    ) in err
    assert "1 discrepancies" in err


def test_a_receipt_lines_damaged_changed(item, downtown, who):
    receipt = create_receipt(location=downtown, supplier="Acme", lines=[Planned(item, 9)], who=who)
    receive_receipt(receipt=receipt, arrivals=[Arrival(item, received=5, damaged=1)], who=who)
    SupplierReceiptLine.objects.filter(receipt=receipt).update(damaged=0)

    assert find_document_discrepancies() == [
        Discrepancy(
            item.pk,
            downtown.pk,
            item.sku,
            "DT",
            f"{receipt.number}'s line says 0 damaged but its receivings add up to 1",
        )
    ]


def test_a_receivings_line_changed_disagrees_with_its_ledger_line_and_its_document(
    item, warehouse, downtown, who
):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 10, who)
    event = receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=6)], who=who)
    ReceivingEventLine.objects.filter(event=event).update(received=7)
    ledger_line = AdjustmentLine.objects.get(adjustment=event.adjustment)

    assert problems() == [
        f"receiving {event.pk} of {transfer.number} stocked 7 here but its ledger line"
        f" {ledger_line.pk} adds 6",
        f"{transfer.number}'s line says 6 received but its receivings add up to 7",
    ]


def test_a_receiving_that_lost_its_adjustment(item, downtown, who):
    receipt = create_receipt(location=downtown, supplier="Acme", lines=[Planned(item, 4)], who=who)
    event = receive_receipt(receipt=receipt, arrivals=[Arrival(item, received=4)], who=who)
    ledger_line = AdjustmentLine.objects.get(adjustment=event.adjustment)
    ReceivingEvent.objects.filter(pk=event.pk).update(adjustment=None)

    assert sorted(problems()) == [
        f"ledger line {ledger_line.pk} is a receipt of 4 that no receiving records",
        f"receiving {event.pk} of {receipt.number} stocked 4 here but has no ledger line for it",
    ]


def test_a_transfer_that_lost_its_shipment(item, warehouse, downtown, who):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 8, who)
    ledger_line = AdjustmentLine.objects.get(adjustment=transfer.shipment)
    TransferOrder.objects.filter(pk=transfer.pk).update(shipment=None)

    assert sorted(problems()) == [
        f"{transfer.number} sent 8 from here but its shipment has no ledger line for it",
        f"ledger line {ledger_line.pk} is a shipment of -8 that no transfer records",
    ]


def test_a_shipped_quantity_changed_after_shipping(item, warehouse, downtown, who):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 8, who)
    TransferLine.objects.filter(transfer=transfer).update(quantity=9)
    ledger_line = AdjustmentLine.objects.get(adjustment=transfer.shipment)

    found = find_document_discrepancies()

    assert [(f.location_code, f.problem) for f in found] == [
        (
            "WH",
            f"{transfer.number} sent 9 from here but its shipment's ledger line {ledger_line.pk}"
            " says -8",
        )
    ]


def test_a_ledger_line_in_a_shipment_that_its_transfer_does_not_explain(
    item, warehouse, downtown, who
):
    stray_item = ItemFactory()
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 8, who)
    # Appending to the ledger is allowed even on PostgreSQL: a line hand-made into the shipment.
    stray = AdjustmentLine.objects.create(
        adjustment=transfer.shipment,
        item=stray_item,
        location=warehouse,
        quantity_before=0,
        quantity_after=0,
        delta=0,
        created_at=timezone.now(),
    )

    assert problems() == [
        f"ledger line {stray.pk} ships 0 of {transfer.number}, which sent none from here"
    ]


def test_a_transfer_put_back_to_draft_after_shipping(item, warehouse, downtown, who):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 8, who)
    TransferOrder.objects.filter(pk=transfer.pk).update(status=TransferOrder.Status.DRAFT)
    ledger_line = AdjustmentLine.objects.get(adjustment=transfer.shipment)

    assert problems() == [f"ledger line {ledger_line.pk} ships {transfer.number}, which is draft"]


def test_an_in_transit_transfer_without_its_shipment(item, warehouse, downtown, who):
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 3)], who=who
    )
    TransferOrder.objects.filter(pk=transfer.pk).update(status=TransferOrder.Status.SHIPPED)

    assert problems() == [
        f"{transfer.number} sent 3 from here but its shipment has no ledger line for it"
    ]


def test_a_receiving_of_an_item_its_document_has_no_line_for(item, downtown, who):
    receipt = create_receipt(location=downtown, supplier="Acme", lines=[Planned(item, 4)], who=who)
    event = receive_receipt(receipt=receipt, arrivals=[Arrival(item, damaged=1)], who=who)
    stranger = ItemFactory()
    ReceivingEventLine.objects.create(event=event, item=stranger, damaged=2)

    assert find_document_discrepancies() == [
        Discrepancy(
            stranger.pk,
            downtown.pk,
            stranger.sku,
            "DT",
            f"receivings of {receipt.number} record 0 received, 2 damaged, 0 missing of an item"
            " it has no line for",
        )
    ]


def test_three_queries_whatever_the_number_of_documents(
    warehouse, downtown, who, django_assert_num_queries
):
    for _ in range(4):
        item = ItemFactory()
        set_stock(item, warehouse, 10)
        transfer = shipped(item, warehouse, downtown, 5, who)
        receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=2)], who=who)
        receipt = create_receipt(
            location=downtown, supplier="Acme", lines=[Planned(item, 5)], who=who
        )
        receive_receipt(receipt=receipt, arrivals=[Arrival(item, received=3)], who=who)

    with django_assert_num_queries(3):
        assert find_document_discrepancies() == []
