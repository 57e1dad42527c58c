"""Part of a count sent back or left out (issue 18, point 10): a manager sends chosen lines
back for a recount, or applies all the others; refusals change nothing; recounted lines follow
the count-time rule from their recount."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeRecount,
)
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import recounts, selectors
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.services import StocktakeError
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def sell(item, location, quantity):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


def line_of(count, item) -> StocktakeLine:
    return count.lines.get(item=item)


@pytest.fixture
def counter(location):
    return store_staff(location, username="sam")


@pytest.fixture
def boss():
    return manager(username="boss")


@pytest.fixture
def tee(location):
    item = ItemFactory(sku="TEE-BLA-M", name="Tee black M")
    set_stock(item, location, 31)
    return item


@pytest.fixture
def mug(location):
    item = ItemFactory(sku="MUG", name="Enamel mug")
    set_stock(item, location, 12)
    return item


@pytest.fixture
def submitted(location, counter, tee, mug):
    """A count of two items: the tee counted 5 against 31 (doubtful), the mug 10 against 12."""
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=tee.sku, quantity=5, actor=counter)
    stocktakes.count_item(stocktake=count, code=mug.sku, quantity=10, actor=counter)
    return stocktakes.submit_stocktake(stocktake=count, actor=counter)


def snapshot(count):
    """Everything a refused step must leave as it was."""
    count = Stocktake.objects.get(pk=count.pk)
    return (
        (count.status, count.approved_at, count.submitted_at, count.adjustment_id),
        list(
            count.lines.order_by("pk").values_list(
                "counted_quantity", "counted_at", "counted_by", "expected_quantity", "left_out"
            )
        ),
        StocktakeRecount.objects.count(),
        list(StocktakeEvent.objects.values_list("pk", flat=True)),
        list(Balance.objects.order_by("pk").values_list("quantity", flat=True)),
        AdjustmentLine.objects.count(),
    )


# --- sending lines back -------------------------------------------------------------------------


def test_chosen_lines_go_back_for_a_recount_and_the_others_keep_their_counts(
    submitted, boss, counter, tee, mug
):
    mug_before = line_of(submitted, mug)
    tee_before = line_of(submitted, tee)

    recounts.send_back_for_recount(
        stocktake=submitted, lines=[tee_before.pk], actor=boss, note="Check the back room"
    )

    count = Stocktake.objects.get(pk=submitted.pk)
    assert (count.status, count.submitted_at, count.needs_approval) == ("counting", None, False)
    tee_line, mug_line = line_of(count, tee), line_of(count, mug)
    assert (tee_line.counted_quantity, tee_line.counted_at, tee_line.expected_quantity) == (
        None,
        None,
        None,
    )
    assert (mug_line.counted_quantity, mug_line.counted_at) == (10, mug_before.counted_at)
    (earlier,) = tee_line.recounts.all()
    assert (earlier.counted_quantity, earlier.expected_quantity, earlier.counted_by) == (
        5,
        31,
        counter,
    )
    assert (earlier.counted_at, earlier.requested_by, earlier.note) == (
        tee_before.counted_at,
        boss,
        "Check the back room",
    )
    event = count.events.last()
    assert (event.action, event.actor) == ("sent back", boss)
    assert event.detail == "recount TEE-BLA-M · Tee black M: “Check the back room”"
    assert on_hand(tee, count.location) == 31


def test_the_counter_is_told_what_to_recount_and_cannot_submit_without_it(
    submitted, boss, counter, tee
):
    recounts.send_back_for_recount(
        stocktake=submitted, lines=[line_of(submitted, tee).pk], actor=boss, note="Shelf B"
    )
    (waiting,) = selectors.lines_awaiting_recount(submitted)
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        stocktakes.submit_stocktake(stocktake=submitted, actor=counter)

    assert (waiting.item, waiting.previous, waiting.note) == (tee, 5, "Shelf B")
    assert waiting.requested_by_name == "boss"
    assert refused.value.code == "recount_pending"
    assert "Recount TEE-BLA-M · Tee black M before submitting" in str(refused.value)
    assert snapshot(submitted) == before

    for _ in range(3):  # scans start again from zero
        stocktakes.count_item(stocktake=submitted, code=tee.barcode, add=1, actor=counter)
    count = stocktakes.submit_stocktake(stocktake=submitted, actor=counter)

    assert count.status == "submitted"
    assert line_of(count, tee).counted_quantity == 3
    assert not selectors.lines_awaiting_recount(count).exists()


def test_a_recounted_line_nets_only_what_moved_after_its_recount(
    submitted, boss, counter, location, tee, mug
):
    sell(tee, location, 2)  # after the first count: 29
    recounts.send_back_for_recount(
        stocktake=submitted, lines=[line_of(submitted, tee).pk], actor=boss
    )
    sell(tee, location, 1)  # before the recount: 28 on the shelf
    stocktakes.count_item(stocktake=submitted, code=tee.sku, quantity=28, actor=counter)
    sell(tee, location, 3)  # after the recount: 25
    stocktakes.submit_stocktake(stocktake=submitted, actor=counter)
    reviewed = {line.item.sku: line for line in selectors.review(submitted)}

    stocktakes.apply_stocktake(stocktake=submitted, actor=boss)

    tee_line = reviewed["TEE-BLA-M"]
    assert (tee_line.expected_at_count, tee_line.counted, tee_line.variance) == (28, 28, 0)
    assert (tee_line.moved_since, tee_line.will_set) == (-3, 25)
    assert [earlier.counted_quantity for earlier in tee_line.recounts] == [5]
    assert on_hand(tee, location) == 25
    assert on_hand(mug, location) == 10


def test_a_line_sent_back_twice_keeps_both_earlier_counts(submitted, boss, counter, tee):
    for recount in (7, 30):
        recounts.send_back_for_recount(
            stocktake=submitted, lines=[line_of(submitted, tee).pk], actor=boss
        )
        stocktakes.count_item(stocktake=submitted, code=tee.sku, quantity=recount, actor=counter)
        stocktakes.submit_stocktake(stocktake=submitted, actor=counter)

    history = selectors.recount_history(submitted)[line_of(submitted, tee).pk]

    assert [earlier.counted_quantity for earlier in history] == [5, 7]
    assert line_of(submitted, tee).counted_quantity == 30
    assert list(submitted.events.values_list("action", flat=True)) == [
        "started",
        "submitted",
        "sent back",
        "submitted",
        "sent back",
        "submitted",
    ]


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_a_send_back_withdraws_the_approval(submitted, boss, counter, tee):
    stocktakes.approve_stocktake(stocktake=submitted, actor=boss)
    recounts.send_back_for_recount(
        stocktake=submitted, lines=[line_of(submitted, tee).pk], actor=boss
    )
    stocktakes.count_item(stocktake=submitted, code=tee.sku, quantity=4, actor=counter)

    count = stocktakes.submit_stocktake(stocktake=submitted, actor=counter)

    assert (count.approved_by, count.approved_at, count.needs_approval) == (None, None, True)
    with pytest.raises(StocktakeError) as refused:
        stocktakes.apply_stocktake(stocktake=count, actor=counter)
    assert refused.value.code == "needs_approval"


# --- applying the others ------------------------------------------------------------------------


def test_the_others_are_applied_and_the_chosen_items_keep_their_stock(
    submitted, boss, location, tee, mug
):
    adjustment = recounts.apply_all_but(
        stocktake=submitted, lines=[line_of(submitted, tee).pk], actor=boss
    )

    count = Stocktake.objects.get(pk=submitted.pk)
    assert (count.status, count.adjustment, count.approved_by) == ("applied", adjustment, boss)
    assert (on_hand(tee, location), on_hand(mug, location)) == (31, 10)
    assert list(adjustment.lines.values_list("item__sku", "quantity_after")) == [("MUG", 10)]
    tee_line = line_of(count, tee)
    assert (tee_line.left_out, tee_line.counted_quantity) == (True, 5)
    assert line_of(count, mug).left_out is False
    assert [(e.action, e.actor, e.detail) for e in count.events.all()][2:4] == [
        ("approved", boss, "all but TEE-BLA-M · Tee black M"),
        ("left out", boss, "not applied, stock unchanged: TEE-BLA-M · Tee black M"),
    ]
    assert count.events.last().action == "applied"


def test_items_left_out_of_a_count_that_zeroes_the_uncounted_are_not_zeroed(
    location, counter, boss, tee, mug
):
    shelf = ItemFactory(sku="HAT")
    set_stock(shelf, location, 4)  # nobody counts it
    count = stocktakes.start_stocktake(location=location, actor=counter, zero_uncounted=True)
    stocktakes.count_item(stocktake=count, code=tee.sku, quantity=5, actor=counter)
    stocktakes.count_item(stocktake=count, code=mug.sku, quantity=10, actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)

    recounts.apply_all_but(stocktake=count, lines=[line_of(count, tee).pk], actor=boss)

    assert [on_hand(item, location) for item in (tee, mug, shelf)] == [31, 10, 0]


def test_every_line_chosen_leaves_nothing_to_apply_and_changes_nothing(submitted, boss):
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        recounts.apply_all_but(
            stocktake=submitted, lines=submitted.lines.values_list("pk", flat=True), actor=boss
        )

    assert refused.value.code == "nothing_to_apply"
    assert snapshot(submitted) == before


# --- refusals: nothing changes ------------------------------------------------------------------


def send_back(count, line_ids, actor):
    return recounts.send_back_for_recount(stocktake=count, lines=line_ids, actor=actor)


def apply_rest(count, line_ids, actor):
    return recounts.apply_all_but(stocktake=count, lines=line_ids, actor=actor)


STEPS = [pytest.param(send_back, id="send back"), pytest.param(apply_rest, id="apply the rest")]


@pytest.mark.parametrize("step", STEPS)
def test_refused_while_counting(step, location, counter, boss, tee):
    count = stocktakes.start_stocktake(location=location, actor=counter)
    stocktakes.count_item(stocktake=count, code=tee.sku, quantity=5, actor=counter)
    before = snapshot(count)

    with pytest.raises(StocktakeError) as refused:
        step(count, [line_of(count, tee).pk], boss)

    assert refused.value.code == "wrong_status"
    assert snapshot(count) == before


@pytest.mark.parametrize("step", STEPS)
def test_refused_once_applied(step, submitted, boss, tee):
    stocktakes.approve_stocktake(stocktake=submitted, actor=boss)
    stocktakes.apply_stocktake(stocktake=submitted, actor=boss)
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        step(submitted, [line_of(submitted, tee).pk], boss)

    assert refused.value.code == "wrong_status"
    assert snapshot(submitted) == before


@pytest.mark.parametrize("step", STEPS)
def test_refused_to_store_staff(step, submitted, counter, tee):
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        step(submitted, [line_of(submitted, tee).pk], counter)

    assert refused.value.code == "not_allowed"
    assert snapshot(submitted) == before


@pytest.mark.parametrize("step", STEPS)
def test_refused_to_an_approver_of_another_location(step, submitted, tee):
    elsewhere = store_staff(LocationFactory(label="Uptown"))
    elsewhere.user_permissions.add(Permission.objects.get(codename="approve_stocktake"))
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        step(submitted, [line_of(submitted, tee).pk], elsewhere)

    assert refused.value.code == "not_your_location"
    assert submitted.location.label in str(refused.value)
    assert snapshot(submitted) == before


@pytest.mark.parametrize("step", STEPS)
@pytest.mark.parametrize("whose", ["none", "another count's", "not counted"])
def test_refused_for_lines_that_are_not_counted_lines_of_this_count(
    step, whose, submitted, boss, location, tee
):
    other = stocktakes.start_stocktake(location=LocationFactory(), actor=boss)
    stocktakes.count_item(stocktake=other, code=tee.sku, quantity=1, actor=boss)
    uncounted = StocktakeLine.objects.create(stocktake=submitted, item=ItemFactory())
    ids = {
        "none": [],
        "another count's": [line_of(submitted, tee).pk, line_of(other, tee).pk],
        "not counted": [uncounted.pk],
    }[whose]
    before = snapshot(submitted)

    with pytest.raises(StocktakeError) as refused:
        step(submitted, ids, boss)

    assert refused.value.code == ("nothing_chosen" if whose == "none" else "not_in_count")
    assert snapshot(submitted) == before


# --- cost -----------------------------------------------------------------------------------------


def submitted_count_of(size, location, counter):
    items = ItemFactory.create_batch(size)
    for item in items:
        set_stock(item, location, 20)
    count = stocktakes.start_stocktake(location=location, actor=counter, items=items)
    for item in items:
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=3, actor=counter)
    return stocktakes.submit_stocktake(stocktake=count, actor=counter)


def queries(action) -> int:
    with CaptureQueriesContext(connection) as captured:
        action()
    return len(captured)


def test_sending_back_reviewing_and_applying_the_rest_cost_the_same_for_3_or_30_lines(
    counter, boss
):
    boss.get_all_permissions()  # cached on the user from then on, as within one request
    costs = []
    for size in (3, 30):
        location = LocationFactory()
        location.staff.add(counter)
        count = submitted_count_of(size, location, counter)
        ids = list(count.lines.values_list("pk", flat=True))
        half = ids[: size // 3 + 1]
        sent_back = queries(lambda: send_back(count, half, boss))  # noqa: B023
        count.lines.filter(pk__in=half).update(counted_quantity=2, counted_at=timezone.now())
        stocktakes.submit_stocktake(stocktake=count, actor=counter)
        reviewed = queries(lambda: selectors.review(count))  # noqa: B023
        applied = queries(lambda: apply_rest(count, half, boss))  # noqa: B023
        costs.append((sent_back, reviewed, applied))

    assert costs[0] == costs[1]
