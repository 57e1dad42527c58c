"""The review's totals, summed by the database, against what applying would write (the same
rules in Python): lines moved after their count, sales that empty the shelf, lines left out,
lines sent back, items nobody counted, a count that zeroes them, and a count of chosen items.
Once submitted, the totals kept then and brought up to now by what moved since."""

from datetime import timedelta
from unittest import mock

import pytest
from django.test import override_settings
from django.utils import timezone

from inventory.models import Adjustment, StocktakeTotals
from inventory.models.ledger import LEDGER_SETTLED_AFTER
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.selectors import lines_over_threshold, lines_to_apply, review
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


def by_the_rules(count):
    """The totals by the rules in Python: review's rows and what applying would write."""
    rows = review(count)
    return ReviewTotals(
        counted=sum(1 for row in rows if row.counted is not None),
        not_counted=sum(1 for row in rows if row.counted is None),
        variance=sum(row.variance or 0 for row in rows),
        over=lines_over_threshold(count, lines_to_apply(count)),
    )


def an_hour_ago():
    return mock.patch("django.utils.timezone.now", return_value=timezone.now() - timedelta(hours=1))


@pytest.mark.parametrize("zero_uncounted", [False, True])
def test_kept_totals_follow_what_moved_after_submit(location, zero_uncounted):
    with an_hour_ago():
        count = a_busy_count(location, zero_uncounted=zero_uncounted)
        items = {line.item.sku: line.item for line in count.lines.select_related("item")}
        items |= {"TOT-DELIVERED": ItemFactory(sku="TOT-DELIVERED-2")}
        small = ItemFactory(sku="TOT-SMALL-2")
        set_stock(small, location, 2)
    count = stocktakes.submit_stocktake(stocktake=count, actor=manager())
    kept = StocktakeTotals.objects.get(stocktake=count)
    assert kept.as_of == pytest.approx(
        timezone.now() - LEDGER_SETTLED_AFTER, abs=timedelta(minutes=1)
    )
    assert ReviewTotals.of(count) == by_the_rules(count)
    before = ReviewTotals.of(count)

    move(items["TOT-EXACT"], location, -3)  # counted right, sold since: still no change
    move(items["TOT-EXACT"], location, 10)  # and received since: still no change
    move(items["TOT-SHORT"], location, 4)  # 2 counted + 4 received against 14: still over
    move(items["TOT-SOLD"], location, -1)  # 10 counted, 1 - 1 on hand: 0 against 0
    move(items["TOT-SHORT"], location, -12)  # then more sold than counted: 0 against 2
    move(small, location, 5)  # not counted: 7 on hand, zeroed keeps the 5 received
    move(ItemFactory(sku="TOT-NEW"), location, 9)  # new here since: not counted, zeroed keeps it

    now = ReviewTotals.of(count)
    assert now == by_the_rules(count)
    assert now != before
    assert now.not_counted == before.not_counted + 1


def test_the_review_reads_the_kept_totals_not_every_line(location):
    with an_hour_ago():
        count = a_busy_count(location)
    count = stocktakes.submit_stocktake(stocktake=count, actor=manager())
    exact = ReviewTotals.of(count)
    StocktakeTotals.objects.filter(stocktake=count).update(counted=105)

    assert ReviewTotals.of(count) == ReviewTotals(
        105, exact.not_counted, exact.variance, exact.over
    )


def test_a_threshold_changed_after_submit_sums_every_line_again(location):
    with an_hour_ago():
        count = a_busy_count(location)
    count = stocktakes.submit_stocktake(stocktake=count, actor=manager())
    location.stocktake_variance_threshold = 0
    location.save()
    count.location.refresh_from_db()

    assert ReviewTotals.of(count) == by_the_rules(count)
    assert ReviewTotals.of(count).over > StocktakeTotals.objects.get(stocktake=count).over
