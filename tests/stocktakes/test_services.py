"""Stocktake services: counting, review, approval and the count-time rule."""

import pytest
from django.test import override_settings
from django.utils import timezone

from inventory.errors import StaleBalances
from inventory.models import Adjustment, AdjustmentLine, Balance, Stocktake
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import selectors
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.services import StocktakeError
from tests.concurrency import run_together
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

pytestmark = pytest.mark.django_db


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def sell(item, location, quantity):
    """A sale recorded through the API while the count goes on."""
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


@pytest.fixture
def counter(location):
    return store_staff(location)


def test_sales_during_the_count_are_kept(location, item, counter):
    set_stock(item, location, 12)
    count = stocktakes.start_stocktake(location=location, actor=counter)

    stocktakes.count_item(stocktake=count, code=item.sku, quantity=10, actor=counter)  # t1
    sell(item, location, 2)  # t2, through the API
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    (line,) = selectors.review(count)
    stocktakes.apply_stocktake(stocktake=count, actor=counter)  # t3

    assert on_hand(item, location) == 8
    assert (line.expected_at_count, line.counted, line.variance) == (12, 10, -2)
    assert (line.moved_since, line.will_set) == (-2, 8)


def test_scans_add_up_and_a_typed_quantity_replaces(location, item, counter):
    count = stocktakes.start_stocktake(location=location, actor=counter)

    for _ in range(3):
        stocktakes.count_item(stocktake=count, code=item.barcode, add=1, actor=counter)
    after_scans = count.lines.get().counted_quantity
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=7, actor=counter)

    line = count.lines.get()
    assert (after_scans, line.counted_quantity, line.counted_by) == (3, 7, counter)
    assert line.counted_at is not None


def test_unknown_code_is_listed_and_refused(location, counter):
    count = stocktakes.start_stocktake(location=location, actor=counter)

    with pytest.raises(StocktakeError) as error:
        stocktakes.count_item(stocktake=count, code="0000000000000", add=1, actor=counter)

    assert error.value.code == "unknown_code"
    assert list(count.unknown_codes.values_list("code", flat=True)) == ["0000000000000"]
    assert not count.lines.exists()


def test_a_count_cannot_go_below_zero(location, item, counter):
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=1, actor=counter)

    with pytest.raises(StocktakeError):
        stocktakes.count_item(stocktake=count, code=item.sku, add=-2, actor=counter)

    assert count.lines.get().counted_quantity == 1


def test_partial_count_touches_only_its_items(location, counter):
    chosen, other = ItemFactory(), ItemFactory()
    set_stock(chosen, location, 5)
    set_stock(other, location, 5)
    count = stocktakes.start_stocktake(location=location, actor=counter, items=[chosen])

    with pytest.raises(StocktakeError) as error:
        stocktakes.count_item(stocktake=count, code=other.sku, add=1, actor=counter)
    stocktakes.count_item(stocktake=count, code=chosen.sku, quantity=4, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert error.value.code == "not_in_count"
    assert (on_hand(chosen, location), on_hand(other, location)) == (4, 5)


def test_uncounted_items_are_left_alone_unless_asked(location, counter):
    counted, forgotten = ItemFactory(), ItemFactory()
    for item in (counted, forgotten):
        set_stock(item, location, 3)
    kept = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=kept, code=counted.sku, quantity=3, actor=counter)
    stocktakes.submit_stocktake(stocktake=kept, actor=counter)

    review = {line.item.sku: line.will_set for line in selectors.review(kept)}
    stocktakes.apply_stocktake(stocktake=kept, actor=counter)

    assert review == {counted.sku: 3, forgotten.sku: None}
    assert on_hand(forgotten, location) == 3

    zeroing = stocktakes.start_stocktake(location=location, actor=counter, zero_uncounted=True)
    stocktakes.count_item(stocktake=zeroing, code=counted.sku, quantity=3, actor=counter)
    stocktakes.submit_stocktake(stocktake=zeroing, actor=counter)
    stocktakes.apply_stocktake(stocktake=zeroing, actor=counter)

    assert on_hand(forgotten, location) == 0


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_large_variances_wait_for_a_managers_approval(location, item, counter):
    set_stock(item, location, 20)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=14, actor=counter)  # -6

    count = stocktakes.submit_stocktake(stocktake=count, actor=counter)
    with pytest.raises(StocktakeError) as error:
        stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert count.needs_approval is True
    assert error.value.code == "needs_approval"
    assert on_hand(item, location) == 20
    assert not Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).exists()

    boss = manager()
    stocktakes.approve_stocktake(stocktake=count, actor=boss)
    stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert on_hand(item, location) == 14


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_small_variances_apply_without_approval_and_locations_can_be_stricter(item, counter):
    lenient, strict = LocationFactory(), LocationFactory(stocktake_variance_threshold=0)
    results = []
    for location in (lenient, strict):
        set_stock(item, location, 10)
        count = stocktakes.start_stocktake(location=location, actor=counter)
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=9, actor=counter)
        results.append(stocktakes.submit_stocktake(stocktake=count, actor=counter).needs_approval)

    assert results == [False, True]


def test_applying_records_one_stocktake_adjustment_and_every_step(location, item, counter):
    set_stock(item, location, 4)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=5, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)

    adjustment = stocktakes.apply_stocktake(stocktake=count, actor=counter)

    count.refresh_from_db()
    assert count.status == Stocktake.Status.APPLIED
    assert count.adjustment == adjustment
    assert (adjustment.kind, adjustment.source, adjustment.actor) == (
        "stocktake",
        "stocktake",
        counter,
    )
    assert adjustment.reason == f"Stocktake #{count.pk} at {location.code}"
    assert list(count.events.values_list("action", flat=True)) == [
        "started",
        "submitted",
        "applied",
    ]


def test_a_whole_location_beyond_a_partner_batch_of_2000_lines_applies(location, counter):
    items = ItemFactory.create_batch(2001)
    count = stocktakes.start_stocktake(location=location, actor=counter, items=items)
    count.lines.update(counted_quantity=1, counted_at=timezone.now(), counted_by=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)

    adjustment = stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert adjustment.lines.count() == 2001
    assert {on_hand(item, location) for item in items} == {1}


def test_cancel_stops_counting_and_applying(location, item, counter):
    set_stock(item, location, 4)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=1, actor=counter)

    stocktakes.cancel_stocktake(stocktake=count, actor=counter)

    with pytest.raises(StocktakeError):
        stocktakes.count_item(stocktake=count, code=item.sku, add=1, actor=counter)
    with pytest.raises(StocktakeError):
        stocktakes.submit_stocktake(stocktake=count, actor=counter)
    assert on_hand(item, location) == 4
    count.refresh_from_db()
    assert count.status == Stocktake.Status.CANCELLED


def test_nothing_counted_cannot_be_applied_and_nothing_changes(location, counter):
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    lines_before = AdjustmentLine.objects.count()

    with pytest.raises(StocktakeError) as error:
        stocktakes.apply_stocktake(stocktake=count, actor=counter)

    count.refresh_from_db()
    assert error.value.code == "nothing_to_apply"
    assert count.status == Stocktake.Status.SUBMITTED
    assert AdjustmentLine.objects.count() == lines_before


def sale_from_another_connection(item, location, quantity):
    """Commit a sale on a connection of its own, as a concurrent API request would."""
    (result,) = run_together([lambda: sell(item, location, quantity)])
    assert not isinstance(result, BaseException), result


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_sale_between_review_and_lock_is_not_lost(monkeypatch):
    location, item = LocationFactory(), ItemFactory()
    counter = UserFactory()
    set_stock(item, location, 10)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=10, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    real_lines_to_apply = stocktakes.lines_to_apply
    calls = []

    def read_then_sale(stocktake):
        lines = real_lines_to_apply(stocktake)
        if not calls:
            sale_from_another_connection(item, location, 3)  # after the movements were read
        calls.append(1)
        return lines

    monkeypatch.setattr(stocktakes, "lines_to_apply", read_then_sale)
    stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert len(calls) == 2  # the first attempt was stale, the second read the sale
    assert on_hand(item, location) == 7


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_stale_every_time_gives_up_without_writing(monkeypatch):
    location, item = LocationFactory(), ItemFactory()
    counter = UserFactory()
    set_stock(item, location, 10)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=item.sku, quantity=9, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    real_lines_to_apply = stocktakes.lines_to_apply

    def always_a_sale(stocktake):
        lines = real_lines_to_apply(stocktake)
        sale_from_another_connection(item, location, 1)
        return lines

    monkeypatch.setattr(stocktakes, "lines_to_apply", always_a_sale)
    with pytest.raises(StaleBalances):
        stocktakes.apply_stocktake(stocktake=count, actor=counter)

    count.refresh_from_db()
    assert count.status == Stocktake.Status.SUBMITTED
    assert not Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).exists()
    assert on_hand(item, location) == 10 - stocktakes.APPLY_ATTEMPTS  # only the sales


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_counters_scanning_at_once_lose_no_scan():
    location, item = LocationFactory(), ItemFactory()
    people = [UserFactory() for _ in range(4)]
    count = stocktakes.start_stocktake(location=location, actor=people[0])

    def scan_ten(person):
        return lambda: [
            stocktakes.count_item(stocktake=count, code=item.barcode, add=1, actor=person)
            for _ in range(10)
        ]

    results = run_together([scan_ten(person) for person in people])

    assert not [r for r in results if isinstance(r, BaseException)]
    assert count.lines.get().counted_quantity == 40
