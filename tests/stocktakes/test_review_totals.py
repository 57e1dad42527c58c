"""The review's totals, summed by the database, against what applying would write (the same
rules in Python): lines moved after their count, sales that empty the shelf, lines left out,
lines sent back, items nobody counted, a count that zeroes them, and a count of chosen items."""

import pytest
from django.test import override_settings

from inventory.models import Adjustment
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.selectors import lines_over_threshold, lines_to_apply
from inventory.stocktakes.totals import ReviewTotals
from tests.factories import ItemFactory, manager, set_stock

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("threshold_of_three")]


@pytest.fixture
def threshold_of_three():
    with override_settings(STOCKTAKE_VARIANCE_THRESHOLD=3):
        yield


def move(item, location, quantity):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
    )


def a_busy_count(location, *, zero_uncounted=False):
    """Items by what happens to them: stock, count, then what moves after the count."""
    user = manager()
    stock = {"exact": 10, "short": 10, "sold": 10, "emptied": 10, "left": 10, "sent": 7}
    stock |= {"delivered": 6, "small": 2, "none": 0}
    items = {name: ItemFactory(sku=f"TOT-{name.upper()}") for name in stock}
    for name, quantity in stock.items():
        set_stock(items[name], location, quantity)
    count = stocktakes.start_stocktake(location=location, actor=user, zero_uncounted=zero_uncounted)
    counts = {"exact": 10, "short": 2, "sold": 10, "emptied": 4, "left": 20, "sent": 1}
    for name, quantity in counts.items():
        stocktakes.count_item(stocktake=count, code=items[name].sku, actor=user, quantity=quantity)
    move(items["sold"], location, -9)  # will set 1, on-hand 1: no change
    move(items["emptied"], location, -9)  # 4 - 9 is an empty shelf: 0 against 1, a change of 1
    move(items["delivered"], location, 5)  # not counted: zeroed keeps the delivery, 5 against 11
    count.lines.filter(item=items["left"]).update(left_out=True)
    # Sent back for a recount and not counted again.
    count.lines.filter(item=items["sent"]).update(
        counted_quantity=None, counted_at=None, counted_by=None, expected_quantity=None
    )
    return count


def test_the_totals_of_a_busy_count(location):
    count = a_busy_count(location)

    totals = ReviewTotals.of(count)

    # Counted: exact, short, sold, emptied, left. Not counted: sent, delivered, small.
    assert totals == ReviewTotals(counted=5, not_counted=3, variance=0 - 8 + 0 - 6 + 10, over=1)
    assert totals.over == lines_over_threshold(count, lines_to_apply(count))


def test_the_totals_of_a_busy_count_that_zeroes_the_uncounted(location):
    count = a_busy_count(location, zero_uncounted=True)

    totals = ReviewTotals.of(count)

    # Over: short (-8), sent (7 to 0) and delivered (11 to 5); small goes 2 to 0.
    assert (totals.counted, totals.not_counted, totals.over) == (5, 3, 3)
    assert totals.over == lines_over_threshold(count, lines_to_apply(count))


def test_the_totals_of_a_count_of_chosen_items(location):
    user = manager()
    chosen, other = ItemFactory(), ItemFactory()
    for item in (chosen, other):
        set_stock(item, location, 9)
    count = stocktakes.start_stocktake(location=location, actor=user, items=[chosen])
    stocktakes.count_item(stocktake=count, code=chosen.sku, actor=user, quantity=1)

    totals = ReviewTotals.of(count)

    assert totals == ReviewTotals(counted=1, not_counted=0, variance=-8, over=1)
    assert totals.over == lines_over_threshold(count, lines_to_apply(count))


def test_the_totals_of_a_count_with_nothing_counted(location):
    set_stock(ItemFactory(), location, 4)
    count = stocktakes.start_stocktake(location=location, actor=manager())

    assert ReviewTotals.of(count) == ReviewTotals(counted=0, not_counted=1, variance=0, over=0)
