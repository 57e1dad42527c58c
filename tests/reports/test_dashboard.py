"""History charts on balance and item pages, and the per-location dashboards: what they show,
what they cost, and who may see them."""

import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from unittest import mock

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine, Balance, DailyActivity, Item
from inventory.models.ledger import LEDGER_SETTLED_AFTER
from inventory.reports.activity import ACTIVITY_DAYS
from inventory.reports.dashboard import LISTED_PER_SECTION, location_dashboard
from inventory.reports.stock_history import BUCKETS, LISTED, MARKED, balance_history, item_history
from inventory.stock import LineInput, apply_adjustment, update_balance_settings
from inventory.stocktakes.services import (
    cancel_stocktake,
    count_item,
    start_stocktake,
    submit_stocktake,
)
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

pytestmark = pytest.mark.django_db

Kind = Adjustment.Kind
Source = Adjustment.Source
SVG = "{http://www.w3.org/2000/svg}"
SVG_BUDGET = 40_000  # bytes: 30 markers with their tooltips, 60 grouped steps, axes


def bulk_ledger(item, location, count, *, start, step):
    """A consistent history of `count` relative changes of one balance, written in bulk (the
    write path would take minutes for 10,000): each line starts where the previous ended, the
    balance ends where the last line does. Returns the balance and the (time, after) pairs."""
    afters = [10 + (n * 37) % 90 for n in range(count)]
    adjustments = Adjustment.objects.bulk_create(
        Adjustment(
            kind=Kind.RELATIVE, source=Source.API, reason=f"Sale {n}", created_at=start + n * step
        )
        for n in range(count)
    )
    AdjustmentLine.objects.bulk_create(
        AdjustmentLine(
            adjustment=adjustment,
            item=item,
            location=location,
            quantity_before=before,
            quantity_after=after,
            delta=after - before,
            created_at=adjustment.created_at,
        )
        for adjustment, before, after in zip(adjustments, [0, *afters[:-1]], afters, strict=True)
    )
    balance = Balance.objects.create(item=item, location=location, quantity=afters[-1])
    return balance, [(a.created_at, after) for a, after in zip(adjustments, afters, strict=True)]


def at(moment):
    """Make the write path's clock read `moment`."""
    return mock.patch("django.utils.timezone.now", return_value=moment)


def relative(location, item, quantity, *, reason="", source=Source.API, actor=None, **why):
    return apply_adjustment(
        kind=Kind.RELATIVE,
        source=source,
        actor=actor,
        reason=reason,
        **why,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
    )


def balance_url(balance):
    return reverse("admin:inventory_balance_change", args=[balance.pk])


def chart_of(response) -> str:
    # Up to the SVG's own end: its markers' cards hold <div>s of their own.
    match = re.search(
        r'<div class="stock-chart">(<svg.*?</svg>)</div>', response.content.decode(), re.S
    )
    assert match, "no chart on the page"
    return match.group(1)


def marker_titles(svg: str) -> list[str]:
    """What each marker says: its accessible name, also the text of the card it shows."""
    root = ET.fromstring(svg)
    return [node.get("aria-label") for node in root.iter() if "sc-marker" in node.get("class", "")]


# --- balance and item charts -----------------------------------------------------------------


def test_balance_chart_marks_each_adjustment_with_who_and_why(client):
    location, item = LocationFactory(code="NORTH"), ItemFactory(sku="SHIRT")
    boss = manager(username="boss")
    set_stock(item, location, 10, reason="Opening stock")
    relative(location, item, -3, reason="Order 1001")
    relative(location, item, 5, reason="Delivery", source=Source.ADMIN, actor=boss)
    client.force_login(boss)

    response = client.get(balance_url(Balance.objects.get()))

    titles = marker_titles(chart_of(response))
    assert len(titles) == 3
    assert "system" in titles[0]
    assert "Opening stock" in titles[0]
    assert "0 → 10 (+10)" in titles[0]
    assert "Order 1001" in titles[1]
    assert "10 → 7 (-3)" in titles[1]
    assert "boss" in titles[2]
    assert "Delivery" in titles[2]
    assert "Add or remove · Back office" in titles[2]
    changes = response.context["stock_chart_changes"]
    assert [change.adjustment.reason for change in changes] == [
        "Delivery",
        "Order 1001",
        "Opening stock",
    ]
    assert [(change.before, change.after) for change in changes] == [(7, 12), (10, 7), (0, 10)]
    page = response.content.decode()
    assert reverse("admin:inventory_adjustment_change", args=[changes[0].adjustment.pk]) in page


def test_a_markers_why_names_the_reason_the_note_and_the_reference(client):
    location, item = LocationFactory(), ItemFactory()
    set_stock(item, location, 4)
    relative(location, item, 1, reason="Unworn", reason_code="returned", reference="10741")
    client.force_login(manager())

    titles = marker_titles(chart_of(client.get(balance_url(Balance.objects.get()))))

    assert "(no reason given)" in titles[0]
    assert "Customer return · Unworn · Ref. 10741" in titles[1]


def test_a_reason_with_markup_is_escaped_in_the_chart_and_the_list(client):
    location, item = LocationFactory(), ItemFactory()
    set_stock(item, location, 4, reason='<script>alert("x")</script>')
    client.force_login(manager())

    response = client.get(balance_url(Balance.objects.get()))

    page = response.content.decode()
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page
    assert '<script>alert("x")</script>' in marker_titles(chart_of(response))[0]


def test_the_page_costs_the_same_queries_for_10_and_10000_ledger_lines(
    client, django_assert_num_queries
):
    location = LocationFactory()
    start = timezone.now() - timedelta(days=80)
    quiet, _ = bulk_ledger(ItemFactory(), location, 10, start=start, step=timedelta(days=7))
    busy, _ = bulk_ledger(ItemFactory(), location, 10_000, start=start, step=timedelta(minutes=11))
    client.force_login(manager())
    client.get(balance_url(quiet))  # caches warmed (content types, permissions)

    with CaptureQueriesContext(connection) as quiet_queries:
        quiet_page = client.get(balance_url(quiet))
    with django_assert_num_queries(len(quiet_queries.captured_queries)):
        busy_page = client.get(balance_url(busy))

    quiet_svg, busy_svg = chart_of(quiet_page), chart_of(busy_page)
    assert len(marker_titles(quiet_svg)) == 10
    assert len(marker_titles(busy_svg)) == MARKED
    assert len(busy_svg) < SVG_BUDGET
    series = busy_page.context["stock_chart_changes"]
    assert len(series) == LISTED


def test_the_item_page_costs_the_same_queries_for_10_and_10000_ledger_lines(
    client, django_assert_num_queries
):
    north, south = LocationFactory(), LocationFactory()
    start = timezone.now() - timedelta(days=80)
    quiet, busy = ItemFactory(), ItemFactory()
    bulk_ledger(quiet, north, 5, start=start, step=timedelta(days=7))
    bulk_ledger(quiet, south, 5, start=start, step=timedelta(days=7))
    bulk_ledger(busy, north, 5_000, start=start, step=timedelta(minutes=11))
    bulk_ledger(busy, south, 5_000, start=start, step=timedelta(minutes=11))
    client.force_login(manager())
    url = "admin:inventory_item_change"
    client.get(reverse(url, args=[quiet.pk]))

    with CaptureQueriesContext(connection) as quiet_queries:
        client.get(reverse(url, args=[quiet.pk]))
    with django_assert_num_queries(len(quiet_queries.captured_queries)):
        busy_page = client.get(reverse(url, args=[busy.pk]))

    assert len(chart_of(busy_page)) < SVG_BUDGET


def test_older_changes_are_grouped_without_losing_their_values():
    location, item = LocationFactory(), ItemFactory()
    start = timezone.now() - timedelta(days=60)
    balance, ledger = bulk_ledger(item, location, 1_000, start=start, step=timedelta(minutes=80))

    history = balance_history(balance, range_key="all")

    series = history.series
    after_at = dict(ledger)
    assert series.start_value == 0
    assert len(series.steps) <= BUCKETS + MARKED
    assert len(series.markers) == MARKED
    # Every point of the line is on-hand just after a real ledger line at that moment…
    assert all(after_at[moment] == value for moment, value in series.steps)
    assert series.steps[-1] == ledger[-1]
    # …and each grouped stretch is shaded from the lowest to the highest on-hand it went through.
    assert series.bands
    for band in series.bands:
        inside = [after for moment, after in ledger if band.start <= moment <= band.end]
        assert (band.low, band.high) == (min(inside), max(inside))
    grouped_lines = sum(1 for moment, _ in ledger if moment <= series.bands[-1].end)
    assert grouped_lines == 1_000 - MARKED


def test_a_shorter_range_starts_from_the_on_hand_of_its_first_day():
    location, item = LocationFactory(), ItemFactory()
    now = timezone.now()
    with at(now - timedelta(days=40)):
        set_stock(item, location, 20)
    with at(now - timedelta(days=10)):
        relative(location, item, -6)
    balance = Balance.objects.get()

    history = balance_history(balance, range_key="30d", now=now)

    assert history.series.start == timezone.localtime(now - timedelta(days=30))
    assert history.series.start_value == 20
    assert [value for _, value in history.series.steps] == [14]
    assert len(history.series.markers) == 1
    assert len(history.changes) == 2  # the list still shows the latest adjustments


def test_a_young_history_starts_just_before_its_first_change():
    location, item = LocationFactory(), ItemFactory()
    now = timezone.now()
    with at(now - timedelta(days=5)):
        set_stock(item, location, 8)

    history = balance_history(Balance.objects.get(), range_key="90d", now=now)

    assert now - timedelta(days=6) < history.series.start < now - timedelta(days=5)
    assert history.series.start_value == 0


def test_item_chart_sums_only_the_locations_the_user_may_see():
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    item = ItemFactory()
    boss = manager()
    set_stock(item, north, 10)
    set_stock(item, south, 5)
    relative(north, item, -3, reason="Order 7")
    apply_adjustment(
        kind=Kind.TRANSFER,
        source=Source.ADMIN,
        actor=boss,
        reason="Restock south",
        lines=[
            LineInput(location_id=north.pk, to_location_id=south.pk, item_id=item.pk, quantity=2)
        ],
    )

    everywhere = item_history(item, user=boss, range_key="90d")
    north_only = item_history(item, user=store_staff(north), range_key="90d")

    assert everywhere.series.steps[-1][1] == 12
    assert [(c.adjustment.reason, c.before, c.after) for c in everywhere.changes[:2]] == [
        ("Restock south", 12, 12),
        ("Order 7", 15, 12),
    ]
    transfer = everywhere.changes[0]
    assert [(line.location_code, line.before, line.after) for line in transfer.lines] == [
        ("NORTH", 7, 5),
        ("SOUTH", 5, 7),
    ]
    assert north_only.series.steps[-1][1] == 5
    assert [(c.before, c.after) for c in north_only.changes] == [(7, 5), (10, 7), (0, 10)]
    assert all(line.location_code == "NORTH" for c in north_only.changes for line in c.lines)


def test_item_page_shows_the_chart_of_visible_locations(client):
    north, south = LocationFactory(), LocationFactory()
    item = ItemFactory()
    set_stock(item, north, 3, reason="North opening")
    set_stock(item, south, 9, reason="South opening")
    client.force_login(store_staff(north))

    response = client.get(reverse("admin:inventory_item_change", args=[item.pk]))

    titles = marker_titles(chart_of(response))
    assert len(titles) == 1
    assert "North opening" in titles[0]


def test_chart_range_comes_from_the_query_string_and_bad_values_fall_back(client):
    location, item = LocationFactory(), ItemFactory()
    set_stock(item, location, 1)
    client.force_login(manager())
    url = balance_url(Balance.objects.get())

    assert client.get(url, {"chart": "1y"}).context["stock_chart_ranges"][2]["current"]
    fallback = client.get(url, {"chart": "<nope>"}).context["stock_chart_ranges"]
    assert [r["label"] for r in fallback if r["current"]] == ["90 days"]


# --- the location dashboard ------------------------------------------------------------------


def dashboard_url(location):
    return reverse("admin:inventory_dashboard_location", args=[location.pk])


def stock(location, sku, quantity, warning_level=0):
    item = ItemFactory(sku=sku)
    set_stock(item, location, quantity)
    if warning_level:
        balance = Balance.objects.get(item=item, location=location)
        update_balance_settings(
            balance=balance, changes={"warning_level": warning_level}, source=Source.ADMIN
        )
    return item


@pytest.fixture
def shop(db):
    here, elsewhere = LocationFactory(code="HERE"), LocationFactory(code="THERE")
    stock(here, "LOW-2", 2, warning_level=5)
    stock(here, "LOW-4", 4, warning_level=5)
    stock(here, "AT-WARNING", 5, warning_level=5)
    stock(here, "NO-WARNING", 1)
    stock(here, "OUT-WARNED", 0, warning_level=5)
    stock(here, "OUT", 0)
    stock(elsewhere, "LOW-THERE", 1, warning_level=5)
    stock(elsewhere, "OUT-THERE", 0)
    return here, elsewhere


def skus(balances):
    return [balance.item.sku for balance in balances]


def test_below_warning_and_out_of_stock_follow_bigcommerce_rule(shop):
    here, _ = shop

    dashboard = location_dashboard(location=here, user=manager())

    assert skus(dashboard.below_warning) == ["LOW-2", "LOW-4"]  # shortest first
    assert dashboard.below_warning_count == 2
    assert sorted(skus(dashboard.out_of_stock)) == ["OUT", "OUT-WARNED"]
    assert dashboard.out_of_stock_count == 2


def test_negative_stock_is_out_of_stock():
    here = LocationFactory(allow_negative_stock=True)
    item = stock(here, "OVERSOLD", 1)
    relative(here, item, -3)

    dashboard = location_dashboard(location=here, user=manager())

    assert [(b.item.sku, b.quantity) for b in dashboard.out_of_stock] == [("OVERSOLD", -2)]


def test_lists_are_capped_but_counted_and_cost_the_same_queries(client, django_assert_num_queries):
    small, large = LocationFactory(), LocationFactory()
    for n in range(2):
        stock(small, f"S-{n}", 1, warning_level=3)
    for n in range(LISTED_PER_SECTION + 5):
        stock(large, f"L-{n:02d}", 1, warning_level=3)
        stock(large, f"O-{n:02d}", 0)
    client.force_login(manager())
    client.get(dashboard_url(small))  # each keeps its closed days' activity on a first view
    client.get(dashboard_url(large))

    with CaptureQueriesContext(connection) as small_queries:
        client.get(dashboard_url(small))
    with django_assert_num_queries(len(small_queries.captured_queries)):
        response = client.get(dashboard_url(large))

    dashboard = response.context["dashboard"]
    assert len(dashboard.below_warning) == LISTED_PER_SECTION
    assert dashboard.below_warning_count == LISTED_PER_SECTION + 5
    assert len(dashboard.out_of_stock) == LISTED_PER_SECTION
    page = response.content.decode()
    assert f"Below warning level ({LISTED_PER_SECTION + 5})" in page
    assert "See every item below warning level" in page
    first = Balance.objects.get(item__sku="L-00")
    assert reverse("admin:inventory_balance_change", args=[first.pk]) in page


def counted(location, actor, counts, *, blind=False):
    """A submitted count of these items at `location`: {sku: counted}."""
    items = Item.objects.filter(sku__in=counts)
    stocktake = start_stocktake(location=location, actor=actor, blind=blind, items=items)
    for sku, quantity in counts.items():
        count_item(stocktake=stocktake, code=sku, actor=actor, quantity=quantity)
    return submit_stocktake(stocktake=stocktake, actor=actor)


def test_largest_variances_of_recent_counts_first(shop):
    here, _ = shop
    boss = manager()
    counted(here, boss, {"LOW-2": 9, "LOW-4": 4, "AT-WARNING": 2})  # +7, 0, -3
    cancelled = start_stocktake(location=here, actor=boss, items=Item.objects.filter(sku="OUT"))
    count_item(stocktake=cancelled, code="OUT", actor=boss, quantity=50)
    cancel_stocktake(stocktake=cancelled, actor=boss)

    dashboard = location_dashboard(location=here, user=boss)

    assert [(line.item.sku, line.variance) for line in dashboard.variances] == [
        ("LOW-2", 7),
        ("AT-WARNING", -3),
    ]
    balance = Balance.objects.get(item__sku="LOW-2", location=here)
    assert dashboard.variances[0].balance_id == balance.pk


def test_a_blind_counts_variances_are_for_those_who_may_approve(shop):
    here, _ = shop
    staff = store_staff(here)
    blind = counted(here, manager(), {"LOW-2": 9}, blind=True)
    counted(here, staff, {"LOW-4": 1})
    # The blind count is submitted (not applied): staff see its item's stock hidden.

    for_staff = location_dashboard(location=here, user=staff)
    for_manager = location_dashboard(location=here, user=manager())

    assert for_staff.hidden_by == [blind]
    assert skus(for_staff.below_warning) == ["LOW-4"]  # LOW-2 is being counted blind
    assert [line.item.sku for line in for_staff.variances] == ["LOW-4"]
    assert for_manager.hidden_by == []
    assert [line.item.sku for line in for_manager.variances] == ["LOW-2", "LOW-4"]


def test_variances_need_the_stocktake_permission(shop):
    here, _ = shop
    viewer = UserFactory()
    viewer.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_balance", "access_all_locations"])
    )

    assert location_dashboard(location=here, user=viewer).variances is None


def test_adjustments_per_day_by_source_count_each_adjustment_once():
    here, elsewhere = LocationFactory(), LocationFactory()
    shirt, socks = ItemFactory(), ItemFactory()
    boss = manager()
    now = timezone.now()
    with at(now - timedelta(days=40)):
        set_stock(shirt, here, 50)  # older than 30 days: not counted
    with at(now - timedelta(days=3)):
        relative(here, shirt, -1)
    apply_adjustment(  # one adjustment, two lines here: counted once
        kind=Kind.ABSOLUTE,
        source=Source.API,
        lines=[
            LineInput(location_id=here.pk, item_id=shirt.pk, quantity=40),
            LineInput(location_id=here.pk, item_id=socks.pk, quantity=40),
        ],
    )
    relative(here, socks, -2)
    relative(here, socks, 1, source=Source.ADMIN, actor=boss)
    set_stock(socks, elsewhere, 9)  # another location
    update_balance_settings(  # a settings change is not a stock adjustment
        balance=Balance.objects.get(item=socks, location=here),
        changes={"warning_level": 2},
        source=Source.ADMIN,
    )

    activity = location_dashboard(location=here, user=boss, now=now).activity

    assert len(activity.days) == 30
    assert activity.days[-1] == timezone.localdate(now)
    assert activity.by_source["API"][-1] == 2
    assert activity.by_source["Back office"][-1] == 1
    assert activity.by_source["API"][-4] == 1
    assert activity.total == 4


def local_noon():
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def test_a_closed_day_is_counted_once_then_read_from_what_was_kept():
    here, shirt, boss = LocationFactory(), ItemFactory(), manager()
    now = local_noon()
    with at(now - timedelta(days=3)):
        relative(here, shirt, 5)
    with at(now):
        relative(here, shirt, 1)

    first = location_dashboard(location=here, user=boss, now=now).activity
    # Only an import dated in the past could add to a closed day; the kept count stands.
    with at(now - timedelta(days=3)):
        relative(here, shirt, 1)
    second = location_dashboard(location=here, user=boss, now=now).activity

    kept = DailyActivity.objects.filter(location=here)
    assert kept.count() == ACTIVITY_DAYS - 1  # every day but today
    assert kept.get(day=timezone.localdate(now) - timedelta(days=3)).adjustments == {"api": 1}
    assert first.by_source["API"][-4:] == [1, 0, 0, 1]
    assert second == first


def test_a_day_is_kept_only_once_it_has_been_over_for_a_while():
    here, shirt, boss = LocationFactory(), ItemFactory(), manager()
    midnight = local_noon().replace(hour=0)
    just_after = midnight + timedelta(minutes=5)

    location_dashboard(location=here, user=boss, now=just_after)
    # A write that began just before midnight commits after that first view.
    with at(midnight - timedelta(seconds=1)):
        relative(here, shirt, 5)
    activity = location_dashboard(location=here, user=boss, now=just_after).activity

    assert activity.by_source["API"][-2:] == [1, 0]
    yesterday = timezone.localdate(midnight) - timedelta(days=1)
    assert not DailyActivity.objects.filter(location=here, day=yesterday).exists()
    location_dashboard(location=here, user=boss, now=midnight + LEDGER_SETTLED_AFTER)
    assert DailyActivity.objects.get(location=here, day=yesterday).adjustments == {"api": 1}


def test_staff_kept_from_a_blind_count_see_activity_counted_without_its_items(shop):
    here, _ = shop
    staff, boss = store_staff(here), manager()
    now = local_noon()
    with at(now - timedelta(days=2)):
        relative(here, Item.objects.get(sku="LOW-2"), 1)
        relative(here, Item.objects.get(sku="LOW-4"), 1)
    counted(here, boss, {"LOW-2": 9}, blind=True)

    for_staff = location_dashboard(location=here, user=staff, now=now).activity
    for_manager = location_dashboard(location=here, user=boss, now=now).activity

    assert for_staff.by_source["API"][-3] == 1  # LOW-2's sale is hidden from its counters
    assert for_manager.by_source["API"][-3] == 2
    kept = DailyActivity.objects.get(location=here, day=timezone.localdate(now) - timedelta(2))
    assert kept.adjustments == {"api": 2}  # kept by the manager's view, for every user


def test_dashboard_shows_the_activity_chart(client, shop):
    here, _ = shop
    client.force_login(manager())

    response = client.get(dashboard_url(here))

    root = ET.fromstring(
        re.search(r'<div class="stock-chart">(.*?)</div>', response.content.decode(), re.S).group(1)
    )
    bars = [
        g.find(f"{SVG}title").text
        for g in root.iter(f"{SVG}g")
        if g.find(f"{SVG}title") is not None
    ]
    # six opening adjustments (system) today: one bar
    assert len(bars) == 1
    assert bars[0].endswith(": 6 (6 System)")


# --- who sees which dashboard ----------------------------------------------------------------


def test_staff_see_only_their_locations_dashboards(client, shop):
    here, elsewhere = shop
    client.force_login(store_staff(here))

    assert client.get(dashboard_url(here)).status_code == 200
    assert client.get(dashboard_url(elsewhere)).status_code == 404
    index = client.get(reverse("admin:inventory_dashboard"))
    assert [s.location for s in index.context["summaries"]] == [here]
    assert (
        index.context["summaries"][0].below_warning,
        index.context["summaries"][0].out_of_stock,
    ) == (2, 2)


def test_managers_see_every_location(client, shop):
    _here, elsewhere = shop
    client.force_login(manager())

    index = client.get(reverse("admin:inventory_dashboard"))

    summaries = {
        s.location.code: (s.below_warning, s.out_of_stock) for s in index.context["summaries"]
    }
    assert summaries["HERE"] == (2, 2)
    assert summaries["THERE"] == (1, 1)
    assert client.get(dashboard_url(elsewhere)).status_code == 200


def test_the_index_costs_the_same_queries_for_two_locations_and_for_six(
    client, shop, django_assert_num_queries
):
    client.force_login(manager())
    with CaptureQueriesContext(connection) as two:
        client.get(reverse("admin:inventory_dashboard"))
    for n in range(4):
        stock(LocationFactory(code=f"MORE-{n}"), f"MORE-LOW-{n}", 1, warning_level=5)

    with django_assert_num_queries(len(two.captured_queries)):
        index = client.get(reverse("admin:inventory_dashboard"))

    summaries = {
        s.location.code: (s.below_warning, s.out_of_stock) for s in index.context["summaries"]
    }
    assert summaries["MORE-3"] == (1, 0)
    assert summaries["HERE"] == (2, 2)


def test_the_index_leaves_out_what_a_blind_count_hides_from_its_counters(client, shop):
    here, _ = shop
    counted(here, manager(), {"LOW-2": 9, "OUT": 3}, blind=True)
    client.force_login(store_staff(here))

    index = client.get(reverse("admin:inventory_dashboard"))

    (summary,) = index.context["summaries"]
    assert (summary.below_warning, summary.out_of_stock) == (1, 1)  # LOW-2 and OUT hidden
    assert len(summary.hidden_by) == 1


def test_an_unknown_location_is_not_found(client, shop):
    client.force_login(manager())

    assert (
        client.get(reverse("admin:inventory_dashboard_location", args=[999_999])).status_code == 404
    )


def test_anonymous_users_are_sent_to_log_in_and_others_refused(client, shop):
    here, _ = shop
    anonymous = client.get(dashboard_url(here))
    client.force_login(UserFactory())  # staff, without the balance view permission

    assert anonymous.status_code == 302
    assert "/admin/login/" in anonymous["Location"]
    assert client.get(dashboard_url(here)).status_code == 403
    assert client.get(reverse("admin:inventory_dashboard")).status_code == 403


def test_the_admin_header_links_to_the_dashboards(client, shop):
    here, _ = shop
    client.force_login(store_staff(here))

    page = client.get(reverse("admin:index")).content.decode()

    assert f'href="{reverse("admin:inventory_dashboard")}"' in page


def test_an_item_nobody_stocks_where_the_user_works_charts_as_empty(client):
    item = ItemFactory()
    set_stock(item, LocationFactory(), 5)
    client.force_login(store_staff(LocationFactory()))

    history = item_history(item, user=store_staff(), range_key="90d")
    response = client.get(reverse("admin:inventory_item_change", args=[item.pk]))

    assert history.changes == []
    assert history.series.steps == []
    assert "No stock changes in this period" in chart_of(response)
