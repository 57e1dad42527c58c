"""Scans that a phone delivered after the count was submitted: kept, shown on the review as
"N scans arrived after submit", and added to the count or discarded by a manager (logged);
approving and applying wait for that choice."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone

from inventory.models import Stocktake, StocktakeEvent, StocktakeScan
from inventory.stocktakes import scans as late_scans
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.scans import ScanInput, record_scans
from inventory.stocktakes.services import StocktakeError
from inventory.stocktakes.totals import ReviewTotals
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff
from tests.stocktakes.test_scan_ids import sell
from tests.stocktakes.test_views import logged_in, on_hand, token, url

pytestmark = pytest.mark.django_db


def scan(code, at=None, quantity=1):
    return ScanInput(
        scan_id=uuid.uuid4(), code=code, scanned_at=at or timezone.now(), quantity=quantity
    )


@pytest.fixture
def clerk(location):
    return logged_in(Client(), store_staff(location, username="sam"))


@pytest.fixture
def boss():
    return logged_in(Client(), manager(username="boss"))


@pytest.fixture
def tee(location):
    item = ItemFactory(sku="TEE-BLA-M", name="Tee black M", barcode="4006381333931")
    set_stock(item, location, 31)
    return item


@pytest.fixture
def submitted(location, clerk, tee):
    count = stocktakes.start_stocktake(location=location, actor=clerk.user)
    record_scans(stocktake=count, scans=[scan(tee.sku, quantity=30)], actor=clerk.user)
    stocktakes.submit_stocktake(stocktake=count, actor=clerk.user)
    return count


@pytest.fixture
def late(submitted, clerk, tee):
    """Two units of the tee and one unknown code, scanned offline and delivered after submit."""
    record_scans(
        stocktake=submitted,
        scans=[scan(tee.barcode), scan("0000000000017"), scan(tee.sku)],
        actor=clerk.user,
    )
    return submitted


def counted(count, item):
    return count.lines.get(item=item).counted_quantity


def test_the_review_says_how_many_arrived_after_submit_and_names_them(late, boss):
    page = boss.get(url("review", late)).content.decode()

    assert "3 scans arrived after submit" in page
    assert "TEE-BLA-M" in page
    assert "Tee black M" in page
    assert "Unknown code 0000000000017" in page
    assert "Add them to the count" in page
    assert "Discard them" in page
    assert "Apply count to stock" not in page  # waits for the choice


def test_staff_see_them_but_cannot_choose(late, clerk):
    page = clerk.get(url("review", late)).content.decode()

    assert "3 scans arrived after submit" in page
    assert "Discard them" not in page
    assert "An Inventory manager adds them" in page


def test_adding_counts_them_at_the_moment_they_were_made(submitted, clerk, boss, tee, location):
    made_offline = timezone.now()
    sell(tee, location, 4)  # after the scan was made, before it arrived
    record_scans(stocktake=submitted, scans=[scan(tee.sku, at=made_offline)], actor=clerk.user)

    response = boss.post(url("late", submitted), {"token": token(), "choice": "add"}, follow=True)

    assert "Added 1 late scan to the count" in response.content.decode()
    line = submitted.lines.get(item=tee)
    assert line.counted_quantity == 31
    assert line.counted_at == made_offline
    assert line.expected_quantity == 31  # on-hand when the scan was made: the sale came after
    assert line.counted_by == clerk.user  # who scanned, not who added
    row = StocktakeScan.objects.get(stocktake=submitted, outcome="counted", resolution="added")
    assert (row.resolved_by, row.line) == (boss.user, line)
    event = StocktakeEvent.objects.filter(stocktake=submitted).last()
    assert (event.action, event.actor) == ("added late scans", boss.user)


def test_adding_sorts_each_scan_as_counting_would(late, boss, tee):
    late_scans.add_late_scans(stocktake=late, actor=boss.user)

    assert counted(late, tee) == 32
    outcomes = sorted(late.scans.filter(resolution="added").values_list("outcome", flat=True))
    assert outcomes == ["counted", "counted", "unknown_code"]
    assert list(late.unknown_codes.values_list("code", flat=True)) == ["0000000000017"]
    assert stocktakes.late_scans(late).count() == 0


def test_adding_withdraws_an_approval_and_checks_the_threshold_again(
    submitted, clerk, boss, tee, location
):
    location.stocktake_variance_threshold = 5
    location.save()
    record_scans(stocktake=submitted, scans=[scan(tee.sku, quantity=20)], actor=clerk.user)

    late_scans.add_late_scans(stocktake=submitted, actor=boss.user)

    submitted.refresh_from_db()
    assert counted(submitted, tee) == 50
    assert submitted.needs_approval
    assert submitted.approved_at is None


def test_discarding_keeps_them_on_record_and_changes_nothing(late, boss, tee, location):
    response = boss.post(url("late", late), {"token": token(), "choice": "discard"}, follow=True)

    assert "Discarded 3 late scans: they changed nothing." in response.content.decode()
    assert counted(late, tee) == 30
    assert late.scans.filter(resolution="discarded", resolved_by=boss.user).count() == 3
    assert not late.unknown_codes.exists()
    assert late.events.last().action == "discarded late scans"
    # and the count can now be applied as it was submitted
    boss.post(url("apply", late), {"token": token()})
    assert on_hand(tee, location) == 30


@pytest.mark.parametrize(
    "step",
    [
        lambda count, actor: stocktakes.apply_stocktake(stocktake=count, actor=actor),
        lambda count, actor: stocktakes.approve_stocktake(stocktake=count, actor=actor),
    ],
    ids=["apply", "approve"],
)
def test_approving_and_applying_wait_for_the_choice(step, late, boss, tee, location):
    with pytest.raises(StocktakeError) as refused:
        step(late, boss.user)

    assert refused.value.code == "late_scans_waiting"
    assert "3 scans arrived after this count was submitted" in str(refused.value)
    late.refresh_from_db()
    assert (late.status, late.approved_at) == (Stocktake.Status.SUBMITTED, None)
    assert on_hand(tee, location) == 31


def test_the_apply_button_posted_anyway_is_refused_with_the_reason(late, boss, tee, location):
    response = boss.post(url("apply", late), {"token": token()}, follow=True)

    assert "add them to the count or discard them first" in response.content.decode()
    assert on_hand(tee, location) == 31


def test_staff_cannot_add_or_discard(late, clerk, tee):
    response = clerk.post(url("late", late), {"token": token(), "choice": "add"})

    assert response.status_code == 403
    assert counted(late, tee) == 30
    assert stocktakes.late_scans(late).count() == 3


def test_an_approver_of_another_location_is_refused_and_nothing_changes(late, tee):
    elsewhere = store_staff(LocationFactory(label="Uptown"))
    elsewhere.user_permissions.add(Permission.objects.get(codename="approve_stocktake"))

    with pytest.raises(StocktakeError) as refused:
        late_scans.discard_late_scans(stocktake=late, actor=elsewhere)

    assert refused.value.code == "not_your_location"
    assert counted(late, tee) == 30
    assert stocktakes.late_scans(late).count() == 3


def test_the_same_form_sent_twice_adds_once(late, boss, tee):
    form = {"token": token(), "choice": "add"}
    boss.post(url("late", late), form)

    again = boss.post(url("late", late), form, follow=True)

    assert "Already done: 3 late scans added" in again.content.decode()
    assert counted(late, tee) == 32


def test_an_unknown_choice_changes_nothing(late, boss, tee):
    response = boss.post(url("late", late), {"token": token(), "choice": "keep"}, follow=True)

    assert "Choose" in response.content.decode()
    assert stocktakes.late_scans(late).count() == 3


def test_nothing_waiting_is_said_plainly(submitted, boss):
    response = boss.post(url("late", submitted), {"token": token(), "choice": "add"}, follow=True)

    assert "No scans are waiting: nothing was changed." in response.content.decode()


def test_scans_after_a_cancel_are_shown_on_the_outcome_and_change_nothing(
    submitted, clerk, boss, tee
):
    stocktakes.cancel_stocktake(stocktake=submitted, actor=boss.user)
    record_scans(stocktake=submitted, scans=[scan(tee.sku)], actor=clerk.user)

    page = boss.get(url("review", submitted)).content.decode()

    assert "1 scan arrived after this count was cancelled" in page
    with pytest.raises(StocktakeError):
        late_scans.add_late_scans(stocktake=submitted, actor=boss.user)
    assert counted(submitted, tee) == 30


@pytest.mark.parametrize("n", [3, 60])
def test_adding_costs_the_same_for_few_or_many(
    n, submitted, clerk, boss, tee, django_assert_max_num_queries
):
    others = ItemFactory.create_batch(3)
    codes = [tee.sku] + [item.sku for item in others]
    base = timezone.now() - timedelta(seconds=n)
    record_scans(
        stocktake=submitted,
        scans=[scan(codes[i % 4], at=base + timedelta(seconds=i)) for i in range(n)],
        actor=clerk.user,
    )
    with django_assert_max_num_queries(26):
        late_scans.add_late_scans(stocktake=submitted, actor=boss.user)

    assert stocktakes.late_scans(submitted).count() == 0


def test_added_late_scans_are_in_the_review_totals(late, boss, tee):
    assert ReviewTotals.of(late).variance == 30 - 31

    late_scans.add_late_scans(stocktake=late, actor=boss.user)

    assert ReviewTotals.of(late).variance == 32 - 31
