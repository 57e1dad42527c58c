"""A stocktake while stock moves between places: the count-time rule (on-hand = counted + the
ledger's movement since the line was counted) nets supplier receipts and transfer receipts
booked after a line was counted exactly as it nets sales; and stock in transit is counted at
neither end: shipping after the origin's line was counted is netted, and the destination's
count, which cannot see units on the road, neither expects nor keeps them."""

import pytest

from inventory.models import Adjustment, Balance
from inventory.movements import selectors as movements
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    close_transfer,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import selectors as stocktake_review
from inventory.stocktakes import services as stocktakes
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return LocationFactory(label="Warehouse")


@pytest.fixture
def downtown():
    return LocationFactory(label="Downtown")


@pytest.fixture
def boss():
    return manager()


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def sell(item, location, quantity):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


def shipped(item, origin, destination, quantity, boss):
    transfer = create_transfer(
        origin=origin, destination=destination, lines=[Planned(item, quantity)], who=Who(boss)
    )
    return ship_transfer(transfer=transfer, who=Who(boss))


def count(location, item, quantity, boss):
    """A count of the location with one line, counted now."""
    stocktake = stocktakes.start_stocktake(location=location, actor=boss)
    stocktakes.count_item(stocktake=stocktake, code=item.sku, quantity=quantity, actor=boss)
    return stocktake


def review_and_apply(stocktake, boss):
    """Submit, approve when asked, and apply; return the review's line as it was just before."""
    stocktake = stocktakes.submit_stocktake(stocktake=stocktake, actor=boss)
    if stocktake.needs_approval:
        stocktakes.approve_stocktake(stocktake=stocktake, actor=boss)
    (line,) = stocktake_review.review(stocktake)
    assert stocktakes.apply_stocktake(stocktake=stocktake, actor=boss) is not None
    return line


def test_a_transfer_received_after_the_line_was_counted_is_kept(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 20)
    set_stock(item, downtown, 5)
    transfer = shipped(item, warehouse, downtown, 20, boss)
    stocktake = count(downtown, item, 5, boss)  # the shelf: the 20 are still on the road

    receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(item, received=18, damaged=1, missing=1)],
        who=Who(boss),
    )
    line = review_and_apply(stocktake, boss)

    assert (line.expected_at_count, line.counted, line.variance) == (5, 5, 0)
    assert (line.moved_since, line.will_set) == (18, 23)
    assert on_hand(item, downtown) == 23


def test_a_supplier_delivery_after_the_line_was_counted_is_kept_like_a_sale(item, downtown, boss):
    set_stock(item, downtown, 7)
    receipt = create_receipt(
        location=downtown, supplier="Acme", lines=[Planned(item, 50)], who=Who(boss)
    )
    stocktake = count(downtown, item, 6, boss)  # one fewer on the shelf than the ledger says

    receive_receipt(
        receipt=receipt, arrivals=[Arrival(item, received=30, damaged=2)], who=Who(boss)
    )
    sell(item, downtown, 4)
    receive_receipt(
        receipt=receipt,
        arrivals=[Arrival(item, received=20)],
        who=Who(boss),
        accept_overage=True,
    )
    line = review_and_apply(stocktake, boss)

    assert (line.expected_at_count, line.counted, line.variance) == (7, 6, -1)
    assert (line.moved_since, line.will_set) == (30 - 4 + 20, 6 + 46)
    assert on_hand(item, downtown) == 52


def test_receivings_before_the_count_are_on_the_shelf_and_not_added_again(
    item, warehouse, downtown, boss
):
    set_stock(item, warehouse, 10)
    transfer = shipped(item, warehouse, downtown, 10, boss)
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=10)], who=Who(boss))
    stocktake = count(downtown, item, 10, boss)

    line = review_and_apply(stocktake, boss)

    assert (line.expected_at_count, line.moved_since, line.will_set) == (10, 0, 10)
    assert on_hand(item, downtown) == 10


def test_shipping_after_the_origin_counted_the_line_is_netted(item, warehouse, downtown, boss):
    set_stock(item, warehouse, 30)
    stocktake = count(warehouse, item, 30, boss)  # counted while the 20 were still on the shelf

    transfer = shipped(item, warehouse, downtown, 20, boss)
    line = review_and_apply(stocktake, boss)

    assert (line.variance, line.moved_since, line.will_set) == (0, -20, 10)
    assert on_hand(item, warehouse) == 10
    # The 20 are in transit, not back on the origin's shelf: counted in neither place.
    assert movements.quantities_of(item.pk, warehouse.pk).in_transit_out == 20
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=20)], who=Who(boss))
    assert (on_hand(item, warehouse), on_hand(item, downtown)) == (10, 20)


def test_the_destinations_count_does_not_include_what_is_in_transit(
    item, warehouse, downtown, boss
):
    set_stock(item, warehouse, 20)
    set_stock(item, downtown, 4)
    transfer = shipped(item, warehouse, downtown, 20, boss)
    stocktake = count(downtown, item, 4, boss)

    line = review_and_apply(stocktake, boss)

    # Expected at count time is the shelf's on-hand, without the 20 on the road; applying
    # leaves them in transit, to be added when they arrive.
    assert (line.expected_at_count, line.variance, line.will_set) == (4, 0, 4)
    assert on_hand(item, downtown) == 4
    assert movements.quantities_of(item.pk, downtown.pk).in_transit_in == 20
    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=20)], who=Who(boss))
    assert on_hand(item, downtown) == 24


def test_closing_a_transfer_short_after_the_count_changes_nothing_on_the_shelf(
    item, warehouse, downtown, boss
):
    set_stock(item, warehouse, 10)
    set_stock(item, downtown, 3)
    transfer = shipped(item, warehouse, downtown, 10, boss)
    stocktake = count(downtown, item, 3, boss)

    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=6)], who=Who(boss))
    close_transfer(transfer=transfer, who=Who(boss))  # the other 4 are missing: no stock moves
    line = review_and_apply(stocktake, boss)

    assert (line.moved_since, line.will_set) == (6, 9)
    assert on_hand(item, downtown) == 9


def test_lines_counted_at_different_moments_each_net_only_what_came_after_them(
    warehouse, downtown, boss
):
    early, late = ItemFactory(), ItemFactory()
    for item in (early, late):
        set_stock(item, warehouse, 10)
    transfer = create_transfer(
        origin=warehouse,
        destination=downtown,
        lines=[Planned(early, 10), Planned(late, 10)],
        who=Who(boss),
    )
    ship_transfer(transfer=transfer, who=Who(boss))
    stocktake = stocktakes.start_stocktake(location=downtown, actor=boss)
    stocktakes.count_item(stocktake=stocktake, code=early.sku, quantity=0, actor=boss)
    receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(early, received=4), Arrival(late, received=4)],
        who=Who(boss),
    )
    stocktakes.count_item(stocktake=stocktake, code=late.sku, quantity=4, actor=boss)  # sees 4
    receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(early, received=6), Arrival(late, received=6)],
        who=Who(boss),
    )

    stocktake = stocktakes.submit_stocktake(stocktake=stocktake, actor=boss)
    if stocktake.needs_approval:
        stocktakes.approve_stocktake(stocktake=stocktake, actor=boss)
    review = {
        line.item: (line.moved_since, line.will_set) for line in stocktake_review.review(stocktake)
    }
    stocktakes.apply_stocktake(stocktake=stocktake, actor=boss)

    assert review == {early: (10, 10), late: (6, 10)}
    assert (on_hand(early, downtown), on_hand(late, downtown)) == (10, 10)


def test_zeroing_uncounted_items_keeps_what_arrived_after_the_count_began(
    item, warehouse, downtown, boss
):
    counted = ItemFactory()
    set_stock(counted, downtown, 2)
    set_stock(item, warehouse, 20)
    transfer = shipped(item, warehouse, downtown, 20, boss)
    stocktake = stocktakes.start_stocktake(location=downtown, actor=boss, zero_uncounted=True)
    stocktakes.count_item(stocktake=stocktake, code=counted.sku, quantity=2, actor=boss)

    receive_transfer(transfer=transfer, arrivals=[Arrival(item, received=20)], who=Who(boss))
    stocktake = stocktakes.submit_stocktake(stocktake=stocktake, actor=boss)
    if stocktake.needs_approval:
        stocktakes.approve_stocktake(stocktake=stocktake, actor=boss)
    stocktakes.apply_stocktake(stocktake=stocktake, actor=boss)

    # Nobody counted the tee: none were on the shelf while counting. The 20 came afterwards.
    assert on_hand(item, downtown) == 20
