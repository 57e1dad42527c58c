"""A count its counters cannot read around (issue 15, cases 1-3): one open count per item and
location, no variance feedback to blind counters, only the starter or a manager cancels, every
change applying would make counts toward the threshold, and a blind count hides the on-hand of
the items it counts, and nothing else."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance, LowStockAlert, Stocktake
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.services import StocktakeError
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff
from tests.stocktakes.test_views import (
    SECRET,
    logged_in,
    on_hand,
    open_count,
    scan_json,
    shows_number,
    start,
    token,
    url,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(location):
    return logged_in(Client(), store_staff(location))


@pytest.fixture
def boss():
    return logged_in(Client(), manager())


def warn_at(item, location, level):
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=item.pk, warning_level=level)],
        source=Adjustment.Source.ADMIN,
    )


def sell(item, location, quantity):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


# --- 1. at most one open count per (location, item) ---------------------------------------------


def test_a_second_count_of_a_location_under_a_blind_count_is_refused(clerk, boss, location, item):
    set_stock(item, location, SECRET)
    blind = open_count(location, boss.user, blind=True)

    response = start(clerk, location)

    page = response.content.decode()
    assert response.status_code == 200
    assert f"Stocktake #{blind.pk}" in page
    assert "already counting everything at" in page
    assert not shows_number(page, SECRET)
    assert list(Stocktake.objects.values_list("pk", flat=True)) == [blind.pk]


def test_counts_of_chosen_items_are_refused_only_where_they_overlap(location, boss):
    pen, ink, pad = (ItemFactory(sku=sku, name=sku.title()) for sku in ("PEN", "INK", "PAD"))
    first = open_count(location, boss.user, items=[pen, ink])

    with pytest.raises(StocktakeError) as overlap:
        open_count(location, boss.user, items=[ink, pad])
    with pytest.raises(StocktakeError) as whole:
        open_count(location, boss.user)
    other = open_count(location, boss.user, items=[pad])
    elsewhere = open_count(LocationFactory(), boss.user, items=[pen])

    assert overlap.value.code == whole.value.code == "overlapping_count"
    assert f"Stocktake #{first.pk}" in str(overlap.value)
    assert f"already counting INK · Ink at {location.label}" in str(overlap.value)
    assert "already counting some items at" in str(whole.value)
    assert Stocktake.objects.count() == 3
    assert {other.pk, elsewhere.pk} < set(Stocktake.objects.values_list("pk", flat=True))


def test_a_location_can_be_counted_again_once_its_count_is_closed(location, boss):
    first = open_count(location, boss.user)
    stocktakes.cancel_stocktake(stocktake=first, actor=boss.user)

    again = open_count(location, boss.user)

    assert again.status == Stocktake.Status.COUNTING


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_overlapping_counts_started_at_once_one_wins(location):
    starter = manager()

    outcomes = run_together(
        [lambda: open_count(location, starter), lambda: open_count(location, starter)]
    )

    started = [outcome for outcome in outcomes if isinstance(outcome, Stocktake)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, StocktakeError)]
    assert (len(started), len(refused)) == (1, 1)
    assert Stocktake.objects.count() == 1


# --- 1. no variance feedback to blind counters --------------------------------------------------


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
@pytest.mark.parametrize("counted", [SECRET, 0])  # exactly right, and wildly off
def test_a_blind_counter_learns_nothing_from_submitting(clerk, location, counted):
    item, stocked = ItemFactory(), ItemFactory()
    set_stock(item, location, SECRET)
    set_stock(stocked, location, SECRET + 1)
    count = open_count(location, clerk.user, blind=True)
    scan_json(clerk, count, item.sku, quantity=str(counted))

    submitted = clerk.post(url("submit", count), {"token": token()}, follow=True)
    applying = clerk.post(url("apply", count), {"token": token()}, follow=True)

    page = submitted.content.decode()
    assert "An Inventory manager reviews blind counts before they are applied." in page
    for hint in ("threshold", "within", "Not counted", "not counted"):
        assert hint not in page
    assert not shows_number(page, SECRET + 1)
    assert url("apply", count) not in page
    assert "must approve this count" in applying.content.decode()
    assert (on_hand(item, location), on_hand(stocked, location)) == (SECRET, SECRET + 1)
    event = count.events.get(action="submitted")
    assert event.detail == "blind: a manager approves"


def test_a_manager_sees_a_blind_counts_uncounted_items_and_approves_it(clerk, boss, location):
    counted, uncounted = ItemFactory(), ItemFactory()
    set_stock(counted, location, 4)
    set_stock(uncounted, location, SECRET)
    count = open_count(location, clerk.user, blind=True)
    scan_json(clerk, count, counted.sku, quantity="4")
    clerk.post(url("submit", count), {"token": token()})

    review = boss.get(url("review", count))
    boss.post(url("approve", count), {"token": token()})
    clerk.post(url("apply", count), {"token": token()})

    assert [row["sku"] for row in review.context["uncounted"]] == [uncounted.sku]
    count.refresh_from_db()
    assert count.status == Stocktake.Status.APPLIED


# --- 1. only the starter or a manager cancels ---------------------------------------------------


def test_a_counter_cannot_cancel_a_managers_blind_count(clerk, boss, location, item):
    set_stock(item, location, SECRET)
    blind = open_count(location, boss.user, blind=True)

    page = clerk.get(url("count", blind)).content.decode()
    asked = clerk.get(url("cancel", blind), follow=True)
    posted = clerk.post(url("cancel", blind), {"token": token()}, follow=True)
    with pytest.raises(StocktakeError) as refused:
        stocktakes.cancel_stocktake(stocktake=blind, actor=clerk.user)

    assert url("cancel", blind) not in page
    for response in (asked, posted):
        assert f"Only {boss.user}, who started Stocktake #{blind.pk}" in response.content.decode()
    assert refused.value.code == "not_yours"
    blind.refresh_from_db()
    assert blind.status == Stocktake.Status.COUNTING
    assert not blind.events.filter(action="cancelled").exists()


def test_the_starter_and_a_manager_may_cancel(clerk, boss, location):
    mine = open_count(location, clerk.user, items=[ItemFactory()])
    theirs = open_count(location, clerk.user, items=[ItemFactory()])

    clerk.post(url("cancel", mine), {"token": token()})
    boss.post(url("cancel", theirs), {"token": token()})

    statuses = set(Stocktake.objects.values_list("status", flat=True))
    assert statuses == {Stocktake.Status.CANCELLED}


# --- 2. every line applying would change counts toward the threshold ----------------------------


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_zeroing_uncounted_items_needs_a_managers_approval(clerk, location):
    counted, *others = ItemFactory.create_batch(4)
    set_stock(counted, location, 104)
    for other in others:
        set_stock(other, location, 10_000)
    count = open_count(location, clerk.user, zero_uncounted=True)
    scan_json(clerk, count, counted.sku, quantity="104")  # exactly right

    clerk.post(url("submit", count), {"token": token()})
    refused = clerk.post(url("apply", count), {"token": token()}, follow=True)

    count.refresh_from_db()
    assert count.needs_approval
    assert "must approve this count" in refused.content.decode()
    assert count.status == Stocktake.Status.SUBMITTED
    assert [on_hand(other, location) for other in others] == [10_000] * 3
    assert not AdjustmentLine.objects.filter(adjustment__kind="stocktake").exists()


@override_settings(STOCKTAKE_VARIANCE_THRESHOLD=5)
def test_stock_that_arrives_after_the_count_started_is_kept_by_zeroing(clerk, location):
    """Zeroing items nobody counted zeroes what was there when the count started: a delivery
    booked during the count was never on the shelf to be counted, and is kept."""
    counted, uncounted = ItemFactory(), ItemFactory()
    set_stock(counted, location, 3)
    set_stock(uncounted, location, 2)
    count = open_count(location, clerk.user, zero_uncounted=True)
    scan_json(clerk, count, counted.sku, quantity="3")
    clerk.post(url("submit", count), {"token": token()})
    set_stock(uncounted, location, 50)  # 48 delivered, booked before applying

    clerk.post(url("apply", count), {"token": token()}, follow=True)

    count.refresh_from_db()
    assert count.status == Stocktake.Status.APPLIED
    assert on_hand(uncounted, location) == 48  # the 2 nobody counted, zeroed; the 48 kept


# --- 3. a small blind count hides its items only ------------------------------------------------


@pytest.fixture
def small_blind_count(location, boss):
    """A blind count of one item at a location with two other items in stock, one low."""
    counted, other, low = ItemFactory(sku="HIDDEN-1"), ItemFactory(), ItemFactory()
    set_stock(counted, location, SECRET)
    set_stock(other, location, 40)
    set_stock(low, location, 6)
    warn_at(low, location, 5)
    sell(low, location, 5)  # opens a low-stock alert
    blind = open_count(location, boss.user, blind=True, items=[counted])
    return blind, counted, other, low


def test_staff_see_the_rest_of_their_store_during_a_small_blind_count(
    clerk, small_blind_count, location
):
    blind, counted, other, low = small_blind_count
    notice = f"Stock of the 1 item in stocktake #{blind.pk} at {location.label} is hidden"

    balances = clerk.get(reverse("admin:inventory_balance_changelist"))
    history = clerk.get(reverse("admin:inventory_adjustmentline_changelist"))
    export = b"".join(clerk.get(reverse("exports:balances")).streaming_content).decode()
    dashboard = clerk.get(reverse("admin:inventory_dashboard_location", args=[location.pk]))

    listed = {row.item.sku for row in balances.context["cl"].result_list}
    assert listed == {other.sku, low.sku}
    assert notice in balances.content.decode()
    assert {line.item.sku for line in history.context["cl"].result_list} == {other.sku, low.sku}
    assert notice in history.content.decode()
    assert other.sku in export
    assert counted.sku not in export
    assert not shows_number(export, SECRET)
    assert [b.item.sku for b in dashboard.context["dashboard"].below_warning] == [low.sku]
    assert notice in dashboard.content.decode()
    for response in (balances, history, dashboard):
        assert not shows_number(response.content.decode(), SECRET)


def test_alerts_of_items_outside_a_blind_count_stay_visible(clerk, small_blind_count, location):
    _blind, counted, _, low = small_blind_count
    warn_at(counted, location, SECRET + 1)  # an alert the count would give away
    sell(counted, location, 1)

    alerts = clerk.get(reverse("admin:inventory_lowstockalert_changelist"))

    shown = {alert.balance.item.sku for alert in alerts.context["cl"].result_list}
    assert low.sku in shown
    assert counted.sku not in shown
    assert LowStockAlert.objects.filter(balance__item=counted).exists()


def test_a_hidden_balance_page_says_why_instead_of_not_found(clerk, small_blind_count, location):
    _blind, counted, other, _ = small_blind_count
    hidden = Balance.objects.get(item=counted, location=location)
    visible = Balance.objects.get(item=other, location=location)

    refused = clerk.get(reverse("admin:inventory_balance_change", args=[hidden.pk]), follow=True)
    shown = clerk.get(reverse("admin:inventory_balance_change", args=[visible.pk]))

    assert refused.redirect_chain[-1][0] == reverse("admin:inventory_balance_changelist")
    assert "is hidden while that count is open" in refused.content.decode()
    assert not shows_number(refused.content.decode(), SECRET)
    assert shown.status_code == 200


def test_staff_adjust_the_rest_of_the_store_but_not_the_counted_items(
    clerk, small_blind_count, location
):
    blind, counted, other, _ = small_blind_count
    adjust = reverse("admin:inventory_balance_adjust")

    form = clerk.get(adjust)
    prefilled = clerk.get(f"{adjust}?location={location.pk}&items={counted.pk},{other.pk}")
    refused = clerk.post(adjust, adjust_form(location, {counted.sku: 1, other.sku: 1}))
    accepted = clerk.post(adjust, adjust_form(location, {other.sku: 1}))

    assert location in form.context["form"].fields["location"].queryset
    assert [row["code"] for row in prefilled.context["lines"].initial if row] == [other.sku]
    assert not shows_number(prefilled.content.decode(), SECRET)
    assert refused.status_code == 200
    message = refused.content.decode()
    assert f"{counted.sku} · {counted.name} is being counted in stocktake #{blind.pk}" in message
    assert not shows_number(message, SECRET)
    assert on_hand(counted, location) == SECRET
    assert accepted.status_code == 302
    assert on_hand(other, location) == 41
    assert not AdjustmentLine.objects.filter(item=counted, adjustment__source="admin").exists()


def adjust_form(location, quantities):
    data = {
        "location": location.pk,
        "mode": "add",
        "reason": "Found in the back",
        "submission_token": token(),
        "lines-TOTAL_FORMS": str(len(quantities)),
        "lines-INITIAL_FORMS": "0",
    }
    for index, (code, quantity) in enumerate(quantities.items()):
        data[f"lines-{index}-code"] = code
        data[f"lines-{index}-quantity"] = str(quantity)
    return data
