"""The home page, /admin/: store staff land on their locations' counts, stock and the forms that
change it; managers on what waits for them (counts to approve, open alerts, failed deliveries).
Either costs the same number of queries whatever the amount of data."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.admin import stock_links
from inventory.models import Adjustment, LowStockAlert, Stocktake, WebhookEndpoint, WebhookEvent
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stocktakes import services as stocktakes
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db

HOME = "/admin/"
Status = Stocktake.Status


def home(client, user) -> str:
    client.force_login(user)
    response = client.get(HOME)
    assert response.status_code == 200
    return response.content.decode()


def change(item, location, quantity, actor=None):
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        source=Adjustment.Source.ADMIN,
        actor=actor,
        reason_code=Adjustment.ReasonCode.DAMAGED,
        reason="Dropped on the floor",
    )


def low(item, location):
    """An open low-stock alert: warning level 5, 2 on hand."""
    set_stock(item, location, 2)
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=item.pk, warning_level=5)],
        source=Adjustment.Source.ADMIN,
    )
    return LowStockAlert.objects.get(balance__item=item, balance__location=location)


def failed_event(endpoint):
    now = timezone.now()
    return WebhookEvent.objects.create(
        endpoint=endpoint, scope="s", data={}, created_at=now, next_attempt_at=now, failed_at=now
    )


def section(html: str, heading_id: str) -> str:
    """The <section> or <article> whose heading has this id."""
    start = html.index(f'id="{heading_id}"')
    ends = [html.find(tag, start) for tag in ("</article>", "</section>")]
    return html[start : min(end for end in ends if end != -1)]


# --- store staff ----------------------------------------------------------------------------


def test_staff_see_their_locations_counts_and_not_others(client):
    mine, theirs = LocationFactory(label="Downtown store"), LocationFactory(label="Warehouse")
    clerk = store_staff(mine)
    here = stocktakes.start_stocktake(location=mine, actor=clerk)
    there = stocktakes.start_stocktake(location=theirs, actor=manager())

    html = home(client, clerk)

    stores = section(html, "stores-heading")
    assert "Downtown store" in stores
    assert f"Count #{here.pk}" in stores
    assert reverse("stocktakes:count", args=[here.pk]) in stores
    assert "Continue counting" in stores
    assert "Warehouse" not in html
    assert f"Count #{there.pk}" not in html
    assert reverse("stocktakes:count", args=[there.pk]) not in html


def test_staff_see_the_adjust_form_and_their_stock_at_a_glance(client):
    location = LocationFactory()
    clerk = store_staff(location)
    set_stock(ItemFactory(), location, 0)
    low(ItemFactory(), location)

    html = home(client, clerk)

    assert f'href="{reverse("admin:inventory_balance_adjust")}"' in html
    balances = reverse("admin:inventory_balance_changelist")
    assert f'href="{balances}?location={location.pk}&amp;stock=out">1 out of stock</a>' in html
    assert f"?location={location.pk}&amp;stock=below_warning" in html
    assert "1 below warning level" in html


def test_start_a_count_from_the_home_page_in_one_tap(client):
    location = LocationFactory()
    clerk = store_staff(location)
    html = home(client, clerk)
    form = re.search(
        r'<form method="post" action="([^"]+)" class="home-start">(.*?)</form>', html, re.S
    )
    fields = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', form.group(2)))

    started = client.post(form.group(1), fields)
    again = client.post(form.group(1), fields)  # a double tap

    count = Stocktake.objects.get()
    assert (count.location, count.created_by, count.status) == (location, clerk, Status.COUNTING)
    assert count.full
    assert not count.blind
    assert started.url == reverse("stocktakes:count", args=[count.pk])
    assert again.url == started.url
    assert "Start a count" not in home(client, clerk)  # a whole count is open there now


def test_staff_who_may_not_start_counts_get_no_start_button(client):
    location = LocationFactory()
    clerk = store_staff(location)
    clerk.groups.first().permissions.remove(
        *clerk.groups.first().permissions.filter(codename="add_stocktake")
    )

    assert "Start a count" not in home(client, clerk)


def test_staff_see_the_changes_they_made_not_others(client):
    location = LocationFactory()
    clerk = store_staff(location)
    mine, theirs = ItemFactory(sku="MINE-1"), ItemFactory(sku="THEIRS-1")
    set_stock(mine, location, 10)
    set_stock(theirs, location, 10)
    change(mine, location, -3, actor=clerk)
    change(theirs, location, -2, actor=manager())

    changes = section(home(client, clerk), "recent-heading")

    assert "MINE-1" in changes
    assert "10 → 7" in changes
    assert "Damaged" in changes
    assert "Dropped on the floor" in changes
    assert "THEIRS-1" not in changes


def test_staff_without_a_location_are_told_what_to_do(client):
    assert "Ask a manager to add you to one" in home(client, store_staff())


def test_the_header_links_to_the_pages_people_work_in(client):
    html = home(client, store_staff(LocationFactory()))
    tools = html[
        html.index('id="user-tools"') : html.index("</div>", html.index('id="user-tools"'))
    ]

    assert f'<a href="{reverse("stocktakes:list")}">Stock counts</a>' in tools
    assert f'<a href="{reverse("admin:inventory_balance_adjust")}">Adjust stock</a>' in tools
    assert f'<a href="{reverse("admin:inventory_adjustmentline_changelist")}">History</a>' in tools
    assert f'<a href="{reverse("admin:inventory_lowstockalert_changelist")}">Alerts</a>' in tools


def test_the_header_leaves_out_pages_the_reader_may_not_open(client):
    clerk = store_staff(LocationFactory())
    group = clerk.groups.first()
    group.permissions.remove(
        *group.permissions.filter(codename__in=["view_stocktake", "adjust_stock"])
    )

    html = home(client, clerk)

    assert ">Stock counts</a>" not in html
    assert ">Adjust stock</a>" not in html


def test_every_record_stays_reachable_below(client):
    html = home(client, manager())

    records = section(html, "records-heading")
    assert f'href="{reverse("admin:inventory_item_changelist")}"' in records
    assert f'href="{reverse("admin:locations_location_changelist")}"' in records


def test_staff_home_costs_the_same_queries_however_much_there_is(
    client, django_assert_max_num_queries
):
    clerk = store_staff(LocationFactory())
    staff_data(clerk, 1)
    client.force_login(clerk)
    client.get(HOME)
    with CaptureQueriesContext(connection) as few:
        client.get(HOME)

    staff_data(clerk, 6)

    with django_assert_max_num_queries(len(few)):
        html = client.get(HOME).content.decode()
    assert html.count("Continue counting") == 7


def staff_data(clerk, n):
    for _ in range(n):
        location = LocationFactory()
        location.staff.add(clerk)
        item = ItemFactory()
        set_stock(item, location, 10)
        change(item, location, -1, actor=clerk)
        low(ItemFactory(), location)
        stocktakes.start_stocktake(location=location, actor=clerk, items=[item])


# --- managers -------------------------------------------------------------------------------


@pytest.fixture
def submitted(settings):
    """A count at Downtown store over the threshold: 3 items counted, 2 differ (-3 and +1)."""
    settings.STOCKTAKE_VARIANCE_THRESHOLD = 0
    location = LocationFactory(label="Downtown store")
    clerk = store_staff(location)
    items = ItemFactory.create_batch(3)
    for item, on_hand in zip(items, (10, 5, 4), strict=True):
        set_stock(item, location, on_hand)
    count = stocktakes.start_stocktake(location=location, actor=clerk)
    for item, counted in zip(items, (7, 6, 4), strict=True):
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=counted, actor=clerk)
    return stocktakes.submit_stocktake(stocktake=count, actor=clerk)


def test_managers_see_counts_waiting_with_their_variances(client, submitted):
    counting = stocktakes.start_stocktake(location=LocationFactory(), actor=manager())

    waiting = section(home(client, manager()), "waiting-heading")

    assert f"Count #{submitted.pk} at Downtown store" in waiting
    assert "needs your approval" in waiting
    assert "3 items counted: 2 differ from what was expected, -2 units on balance" in waiting
    assert "(4 off in all)" in waiting
    assert f'href="{reverse("stocktakes:review", args=[submitted.pk])}"' in waiting
    assert f"Count #{counting.pk}" not in waiting  # still counting: nothing to review


def test_managers_see_open_alerts_worst_first_with_links_to_act(client, monkeypatch):
    monkeypatch.setattr(
        stock_links, "_url", lambda name: {stock_links.ADJUST: "/a/", stock_links.MOVE: "/m/"}[name]
    )
    location = LocationFactory(label="Airport kiosk")
    low(ItemFactory(sku="LOW-1"), location)
    out = ItemFactory(sku="OUT-1", name="Rain jacket")
    set_stock(out, location, 1)
    change(out, location, -1)

    alerts = section(home(client, manager()), "alerts-heading")

    assert '<span class="home-count">2</span>' in alerts
    assert "1 out of stock</a>" in alerts
    assert "1 low</a>" in alerts
    assert "2 not acknowledged</a>" in alerts
    assert alerts.index("OUT-1") < alerts.index("LOW-1")
    assert "Rain jacket" in alerts
    assert "Airport kiosk" in alerts
    assert f'href="/a/?sku=OUT-1&amp;location={location.pk}"' in alerts
    assert f'href="/m/?sku=OUT-1&amp;from={location.pk}"' in alerts


def test_managers_see_failed_webhook_deliveries(client):
    endpoint = WebhookEndpoint.objects.create(name="Shop", url="https://example.com/h")
    failed_event(endpoint)
    failed_event(endpoint)
    now = timezone.now()
    WebhookEvent.objects.create(
        endpoint=endpoint, scope="s", data={}, created_at=now, next_attempt_at=now, delivered_at=now
    )

    deliveries = section(home(client, manager()), "deliveries-heading")

    assert "2 events could not be delivered" in deliveries
    events = reverse("admin:inventory_webhookevent_changelist")
    assert f'href="{events}?status=failed"' in deliveries


def test_a_quiet_morning_says_so(client):
    html = home(client, manager())

    assert "No submitted count is waiting." in html
    assert "Nothing is low or out of stock." in html
    assert "Every event was delivered or is on its way." in html


def test_staff_get_no_manager_sections(client, submitted):
    html = home(client, store_staff(submitted.location))

    assert 'id="waiting-heading"' not in html
    assert 'id="deliveries-heading"' not in html
    assert "waiting for a manager's approval" in html


def test_manager_home_costs_the_same_queries_however_much_there_is(
    client, django_assert_max_num_queries
):
    boss = manager()
    manager_data(1)
    client.force_login(boss)
    client.get(HOME)
    with CaptureQueriesContext(connection) as few:
        client.get(HOME)

    manager_data(6)

    with django_assert_max_num_queries(len(few)):
        html = client.get(HOME).content.decode()
    assert html.count(">Review</a>") == 7


def manager_data(n):
    endpoint = WebhookEndpoint.objects.create(name="Shop", url="https://example.com/h")
    for _ in range(n):
        location = LocationFactory()
        clerk = store_staff(location)
        item = ItemFactory()
        set_stock(item, location, 10)
        count = stocktakes.start_stocktake(location=location, actor=clerk)
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=9, actor=clerk)
        stocktakes.submit_stocktake(stocktake=count, actor=clerk)
        low(ItemFactory(), location)
        failed_event(endpoint)


def test_a_blind_count_hides_the_clerks_own_changes_of_its_items(client):
    location = LocationFactory()
    clerk = store_staff(location)
    counted, other = ItemFactory(sku="COUNTED-1"), ItemFactory(sku="OTHER-1")
    for item in (counted, other):
        set_stock(item, location, 10)
        change(item, location, -1, actor=clerk)
    stocktakes.start_stocktake(location=location, actor=manager(), blind=True, items=[counted])

    changes = section(home(client, clerk), "recent-heading")

    assert "OTHER-1" in changes
    assert "COUNTED-1" not in changes
