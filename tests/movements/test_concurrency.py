"""Movements under concurrent writers, on PostgreSQL: a shipment and a sale racing for the
origin's last units, two receivings of one transfer that together exceed what is in transit,
two shipments of one draft. Whichever runs first wins; the other is refused cleanly and leaves
nothing behind. SQLite has no row locks: these run only with DATABASE_URL on PostgreSQL.

Transactional tests flush the database, so each test creates its own locations and items."""

import pytest

from inventory.errors import AdjustmentRejected, ErrorCode, MovementNotAllowed, MovementRejected
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    ReceivingEvent,
    TransferOrder,
)
from inventory.movements import selectors
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    create_transfer,
    receive_transfer,
    ship_transfer,
)
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_document_discrepancies, find_ledger_discrepancies
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
Status = TransferOrder.Status


def on_hand(item, location) -> int:
    return Balance.objects.get(item=item, location=location).quantity


def sale(item, location, quantity):
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        reason_code=Adjustment.ReasonCode.SALE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


def assert_ledger_and_documents_agree():
    assert find_ledger_discrepancies() == []
    assert find_document_discrepancies() == []


@pytest.mark.parametrize("round_", range(3))
def test_a_shipment_and_a_sale_racing_for_the_last_units_one_wins(round_):
    # A few rounds: either may win, and each outcome has its own checks.
    warehouse, downtown, item = LocationFactory(), LocationFactory(), ItemFactory()
    who = Who(actor=manager())
    set_stock(item, warehouse, 5)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 5)], who=who
    )

    shipping, selling = run_together(
        [lambda: ship_transfer(transfer=transfer, who=who), lambda: sale(item, warehouse, 5)]
    )

    refused = [r for r in (shipping, selling) if isinstance(r, BaseException)]
    assert len(refused) == 1, (shipping, selling)
    assert type(refused[0]) is AdjustmentRejected
    assert [e.code for e in refused[0].errors] == [ErrorCode.INSUFFICIENT_STOCK]
    assert on_hand(item, warehouse) == 0
    transfer.refresh_from_db()
    if shipping is refused[0]:
        # The shipment lost: the transfer is still a draft, and nothing is in transit.
        assert (transfer.status, transfer.shipment, transfer.shipped_at) == (
            Status.DRAFT,
            None,
            None,
        )
        assert not AdjustmentLine.objects.filter(adjustment__kind=Adjustment.Kind.SHIPMENT)
        assert selectors.quantities_of(item.pk, downtown.pk).in_transit_in == 0
    else:
        assert transfer.status == Status.SHIPPED
        assert transfer.shipment.lines.get().delta == -5
        assert not AdjustmentLine.objects.filter(adjustment__reason_code="sale").exists()
        assert selectors.quantities_of(item.pk, downtown.pk).in_transit_in == 5
    assert AdjustmentLine.objects.filter(item=item, location=warehouse).count() == 2
    assert_ledger_and_documents_agree()


def test_two_receivings_exceeding_what_is_in_transit_one_is_refused_as_an_overage():
    warehouse, downtown, item = LocationFactory(), LocationFactory(), ItemFactory()
    boss = manager()
    first_clerk, second_clerk = store_staff(downtown), store_staff(downtown)
    set_stock(item, warehouse, 10)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 10)], who=Who(boss)
    )
    ship_transfer(transfer=transfer, who=Who(boss))

    def receive_six(clerk):
        return lambda: receive_transfer(
            transfer=transfer, arrivals=[Arrival(item, received=6)], who=Who(clerk)
        )

    results = run_together([receive_six(first_clerk), receive_six(second_clerk)])

    received = [r for r in results if isinstance(r, ReceivingEvent)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert (len(received), len(refused)) == (1, 1), results
    assert type(refused[0]) is MovementRejected
    (error,) = refused[0].errors
    assert (error.code, error.facts) == (ErrorCode.OVERAGE, {"outstanding": 4, "entered": 6})
    transfer.refresh_from_db()
    line = transfer.lines.get()
    assert (transfer.status, line.received, line.outstanding) == (
        Status.PARTIALLY_RECEIVED,
        6,
        4,
    )
    assert on_hand(item, downtown) == 6
    assert ReceivingEvent.objects.get() == received[0]
    assert_ledger_and_documents_agree()


def test_a_draft_shipped_twice_at_once_leaves_its_origin_once():
    warehouse, downtown, item = LocationFactory(), LocationFactory(), ItemFactory()
    who = Who(actor=manager())
    set_stock(item, warehouse, 12)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(item, 5)], who=who
    )

    results = run_together([lambda: ship_transfer(transfer=transfer, who=who)] * 2)

    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1, results
    assert type(refused[0]) is MovementNotAllowed
    assert refused[0].code == ErrorCode.WRONG_STATUS
    assert on_hand(item, warehouse) == 7
    assert Adjustment.objects.filter(kind=Adjustment.Kind.SHIPMENT).count() == 1
    assert_ledger_and_documents_agree()
