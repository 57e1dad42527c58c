"""Scans queued on a device and delivered in batches, each under the device's id: counted at
most once, at the moment they were made."""

import json
import time
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import Adjustment, Balance, StocktakeScan, StocktakeUnknownCode
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import recounts
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.scans import ScanInput, record_scans
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
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-quantity)],
    )


def scan(code, at=None, quantity=1, scan_id=None):
    return ScanInput(
        scan_id=scan_id or uuid.uuid4(),
        code=code,
        scanned_at=at or timezone.now(),
        quantity=quantity,
    )


@pytest.fixture
def counter(location):
    return store_staff(location)


@pytest.fixture
def count(location, counter):
    return stocktakes.start_stocktake(location=location, actor=counter)


def counted(count, item):
    line = count.lines.filter(item=item).first()
    return line.counted_quantity if line else None


# --- at most once -------------------------------------------------------------------------------


def test_a_batch_counts_each_scan_once(count, counter, item):
    other = ItemFactory()
    batch = [scan(item.barcode), scan(item.sku), scan(other.sku, quantity=3)]

    results = record_scans(stocktake=count, scans=batch, actor=counter)

    assert [(r.outcome, r.duplicate) for r in results] == [("counted", False)] * 3
    assert [r.counted for r in results] == [2, 2, 3]
    assert (counted(count, item), counted(count, other)) == (2, 3)
    assert StocktakeScan.objects.filter(stocktake=count).count() == 3


def test_the_same_batch_sent_again_counts_nothing_more(count, counter, item):
    batch = [scan(item.barcode), scan(item.barcode)]
    record_scans(stocktake=count, scans=batch, actor=counter)

    again = record_scans(stocktake=count, scans=batch, actor=counter)

    assert [(r.outcome, r.duplicate, r.counted) for r in again] == [("counted", True, 2)] * 2
    assert counted(count, item) == 2
    assert StocktakeScan.objects.filter(stocktake=count).count() == 2


def test_an_overlapping_batch_counts_only_the_new_ids(count, counter, item):
    first = [scan(item.sku) for _ in range(3)]
    record_scans(stocktake=count, scans=first, actor=counter)

    results = record_scans(stocktake=count, scans=[*first[1:], scan(item.sku)], actor=counter)

    assert [r.duplicate for r in results] == [True, True, False]
    assert counted(count, item) == 4


def test_the_same_id_twice_in_one_batch_counts_once(count, counter, item):
    twice = scan(item.sku)

    results = record_scans(stocktake=count, scans=[twice, twice], actor=counter)

    assert [r.duplicate for r in results] == [False, True]
    assert counted(count, item) == 1


def test_the_database_refuses_a_second_row_for_an_id(count, counter, item):
    (first,) = record_scans(stocktake=count, scans=[scan(item.sku)], actor=counter)
    row = StocktakeScan.objects.get(scan_id=first.scan_id)
    row.pk = None

    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_the_same_id_in_another_stocktake_is_another_scan(location, counter, item, count):
    other_count = stocktakes.start_stocktake(location=LocationFactory(), actor=counter)
    same = uuid.uuid4()

    record_scans(stocktake=count, scans=[scan(item.sku, scan_id=same)], actor=counter)
    (result,) = record_scans(
        stocktake=other_count, scans=[scan(item.sku, scan_id=same)], actor=counter
    )

    assert (result.duplicate, counted(other_count, item)) == (False, 1)


# --- the moment of the scan ----------------------------------------------------------------------


def test_an_offline_scan_is_netted_against_a_sale_made_after_it(location, counter, item):
    set_stock(item, location, 10)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    scanned_at = timezone.now()  # offline: the scans wait in the device's queue
    time.sleep(0.01)
    sell(item, location, 1)  # a sale through the API, after the shelf was counted

    record_scans(stocktake=count, scans=[scan(item.sku, at=scanned_at, quantity=10)], actor=counter)
    line = count.lines.get(item=item)
    assert (line.counted_at, line.expected_quantity) == (scanned_at, 10)  # on-hand when scanned
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    stocktakes.apply_stocktake(stocktake=count, actor=counter)

    assert on_hand(item, location) == 9  # the 10 counted, less the sale made after


def test_a_later_batch_moves_the_count_time_and_an_earlier_one_does_not(
    location, counter, item, count
):
    set_stock(item, location, 5)
    early, late = timezone.now(), timezone.now() + timedelta(microseconds=10)
    record_scans(stocktake=count, scans=[scan(item.sku, at=late)], actor=counter)

    record_scans(stocktake=count, scans=[scan(item.sku, at=early)], actor=counter)

    line = count.lines.get(item=item)
    assert (line.counted_quantity, line.counted_at, line.expected_quantity) == (2, late, 5)


def test_a_time_in_the_future_is_now_and_one_before_the_count_is_its_start(count, counter, item):
    before = timezone.now()
    future = scan(item.sku, at=before + timedelta(days=1))
    ancient = scan(item.barcode, at=count.created_at - timedelta(days=3))

    record_scans(stocktake=count, scans=[future, ancient], actor=counter)

    times = dict(StocktakeScan.objects.values_list("scan_id", "scanned_at"))
    assert before <= times[future.scan_id] <= timezone.now()
    assert times[ancient.scan_id] == count.created_at
    assert count.lines.get(item=item).counted_at == times[future.scan_id]


# --- outcomes ------------------------------------------------------------------------------------


def test_scans_after_submit_are_kept_as_late_and_change_nothing(location, count, counter, item):
    set_stock(item, location, 4)
    record_scans(stocktake=count, scans=[scan(item.sku)], actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    line_before = count.lines.get(item=item)

    results = record_scans(stocktake=count, scans=[scan(item.sku), scan("NOPE")], actor=counter)

    assert [(r.outcome, r.duplicate, r.counted) for r in results] == [("late", False, None)] * 2
    line = count.lines.get(item=item)
    assert (line.counted_quantity, line.counted_at) == (1, line_before.counted_at)
    assert StocktakeScan.objects.filter(outcome="late").count() == 2
    assert not StocktakeUnknownCode.objects.exists()


def test_scans_after_cancel_are_late(count, counter, item):
    stocktakes.cancel_stocktake(stocktake=count, actor=counter)

    (result,) = record_scans(stocktake=count, scans=[scan(item.sku)], actor=counter)

    assert result.outcome == "late"
    assert not count.lines.exists()


def test_a_scan_made_before_its_line_was_sent_back_does_not_count_in_the_recount(
    location, count, counter, item
):
    made_before = scan(item.sku, at=timezone.now())  # queued offline while the count went on
    record_scans(stocktake=count, scans=[scan(item.sku, quantity=4)], actor=counter)
    stocktakes.submit_stocktake(stocktake=count, actor=counter)
    recounts.send_back_for_recount(
        stocktake=count, lines=[count.lines.get(item=item).pk], actor=manager()
    )
    made_after = scan(item.sku, at=timezone.now() + timedelta(microseconds=1))

    results = record_scans(stocktake=count, scans=[made_before, made_after], actor=counter)

    assert [r.outcome for r in results] == ["superseded", "counted"]
    assert counted(count, item) == 1  # the recount, from nothing


def test_unknown_codes_are_listed_and_the_rest_counted(count, counter, item):
    results = record_scans(
        stocktake=count, scans=[scan("0000000000000"), scan(item.sku)], actor=counter
    )

    assert [r.outcome for r in results] == ["unknown_code", "counted"]
    assert results[0].counted is None
    assert list(count.unknown_codes.values_list("code", flat=True)) == ["0000000000000"]


def test_an_item_outside_a_partial_count_is_not_in_count(location, counter, item):
    other = ItemFactory()
    count = stocktakes.start_stocktake(location=location, actor=counter, items=[item])

    results = record_scans(stocktake=count, scans=[scan(other.sku), scan(item.sku)], actor=counter)

    assert [r.outcome for r in results] == ["not_in_count", "counted"]
    assert list(count.lines.values_list("item_id", flat=True)) == [item.pk]


def test_the_queries_do_not_grow_with_the_batch(location, counter):
    items = [ItemFactory() for _ in range(50)]
    for item in items:
        set_stock(item, location, 3)
    one = stocktakes.start_stocktake(location=location, actor=counter)
    with CaptureQueriesContext(connection) as single:
        record_scans(stocktake=one, scans=[scan(items[0].sku)], actor=counter)
    stocktakes.cancel_stocktake(stocktake=one, actor=counter)
    many = stocktakes.start_stocktake(location=location, actor=counter)
    batch = [scan(item.sku) for item in items] + [scan("UNKNOWN-1")]

    with CaptureQueriesContext(connection) as fifty:
        record_scans(stocktake=many, scans=batch, actor=counter)

    assert len(fifty.captured_queries) <= len(single.captured_queries) + 1  # + unknown codes
    assert many.lines.filter(counted_quantity=1, expected_quantity=3).count() == 50


def test_query_bound_1_and_50(django_assert_max_num_queries, location, counter):
    items = [ItemFactory() for _ in range(50)]
    one = stocktakes.start_stocktake(location=location, actor=counter)
    with django_assert_max_num_queries(13):
        record_scans(stocktake=one, scans=[scan(items[0].sku)], actor=counter)
    with django_assert_max_num_queries(13):
        record_scans(
            stocktake=one, scans=[scan(item.sku) for item in items] + [scan("?")], actor=counter
        )


# --- the endpoint --------------------------------------------------------------------------------


def post_scans(client, count, body, **headers):
    return client.post(
        reverse("stocktakes:scans", args=[count.pk]),
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def staff(client, counter):
    client.force_login(counter)
    return client


def test_the_endpoint_answers_each_scan_and_the_status(staff, count, item):
    ids = [str(uuid.uuid4()) for _ in range(2)]
    at = timezone.now().isoformat()
    body = {
        "scans": [
            {"id": ids[0], "code": item.sku, "at": at},
            {"id": ids[1], "code": "?", "at": at, "quantity": 2},
        ]
    }

    first = post_scans(staff, count, body).json()
    again = post_scans(staff, count, body).json()

    assert first["ok"]
    assert first["status"] == "counting"
    assert [(r["id"], r["outcome"], r["duplicate"]) for r in first["results"]] == [
        (ids[0], "counted", False),
        (ids[1], "unknown_code", False),
    ]
    assert [r["duplicate"] for r in again["results"]] == [True, True]
    assert counted(count, item) == 1


def test_bad_entries_are_named_and_nothing_is_recorded(staff, count, item):
    at = timezone.now().isoformat()
    body = {
        "scans": [
            {"id": str(uuid.uuid4()), "code": item.sku, "at": at},
            {"id": "not-a-uuid", "code": "", "at": "yesterday", "quantity": 0},
            {"id": str(uuid.uuid4()), "code": item.sku, "at": "2026-12-04T10:02:00"},
            "scan",
            {"id": str(uuid.uuid4()), "code": item.sku, "at": at, "quantity": True},
        ]
    }

    response = post_scans(staff, count, body)

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {
        "scans.1.id",
        "scans.1.code",
        "scans.1.at",
        "scans.1.quantity",
        "scans.2.at",  # no offset: which 10:02?
        "scans.3",
        "scans.4.quantity",
    }
    assert not StocktakeScan.objects.exists()
    assert not count.lines.exists()


@pytest.mark.parametrize(
    ("body", "status"),
    [("{", 400), ("[]", 422), ('{"scans": []}', 422), ('{"scans": {}}', 422)],
)
def test_a_body_that_is_not_a_batch_is_refused(staff, count, body, status):
    response = staff.post(
        reverse("stocktakes:scans", args=[count.pk]), data=body, content_type="application/json"
    )

    assert response.status_code == status
    assert not StocktakeScan.objects.exists()


def test_too_many_scans_at_once_are_refused(staff, count, item):
    at = timezone.now().isoformat()
    body = {"scans": [{"id": str(uuid.uuid4()), "code": item.sku, "at": at}] * 501}

    assert post_scans(staff, count, body).status_code == 422
    assert not StocktakeScan.objects.exists()


def test_another_locations_count_is_not_found_and_get_is_refused(client, count, item):
    client.force_login(store_staff(LocationFactory()))
    body = {"scans": [{"id": str(uuid.uuid4()), "code": item.sku, "at": "2026-12-04T10:02Z"}]}

    assert post_scans(client, count, body).status_code == 404
    client.force_login(count.created_by)
    assert client.get(reverse("stocktakes:scans", args=[count.pk])).status_code == 405
    assert not StocktakeScan.objects.exists()


def test_a_user_who_may_not_count_is_refused(client, location, count, item):
    viewer = UserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_stocktake"))
    location.staff.add(viewer)
    client.force_login(viewer)
    body = {"scans": [{"id": str(uuid.uuid4()), "code": item.sku, "at": "2026-12-04T10:02Z"}]}

    assert post_scans(client, count, body).status_code == 403
    assert not StocktakeScan.objects.exists()


def test_csrf_is_required_and_the_pages_token_in_the_header_passes(counter, count, item):
    client = Client(enforce_csrf_checks=True)
    client.force_login(counter)
    page = client.get(reverse("stocktakes:count", args=[count.pk]))
    token = page.context["csrf_token"]
    body = {"scans": [{"id": str(uuid.uuid4()), "code": item.sku, "at": "2026-12-04T10:02Z"}]}

    refused = post_scans(client, count, body)
    accepted = post_scans(client, count, body, HTTP_X_CSRFTOKEN=str(token))

    assert (refused.status_code, accepted.status_code) == (403, 200)


# --- two devices at once (PostgreSQL) ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_batch_from_two_devices_at_once_counts_each_scan_once():
    location, item = LocationFactory(), ItemFactory()
    counter = UserFactory()
    set_stock(item, location, 20)
    count = stocktakes.start_stocktake(location=location, actor=counter)
    batch = [scan(item.barcode) for _ in range(20)] + [scan("NOPE")]

    def deliver():
        return record_scans(stocktake=count, scans=batch, actor=counter)

    first, second = run_together([deliver, deliver])

    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    new = [sum(not r.duplicate for r in results) for results in (first, second)]
    assert sorted(new) == [0, 21]  # one device recorded everything, the other nothing
    assert counted(count, item) == 20
    assert StocktakeScan.objects.filter(stocktake=count).count() == 21
    assert StocktakeUnknownCode.objects.filter(stocktake=count).count() == 1
    assert count.lines.get(item=item).expected_quantity == 20
