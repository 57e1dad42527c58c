"""The alert list and an alert's page: what the alert is about (the item by SKU and name, the
location by name, on-hand now, the level crossed), what was done about it, links to adjusting
or moving the item, and acknowledging (managers only; recorded, shown, never twice)."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.admin import stock_links
from inventory.alerts import acknowledge_alerts
from inventory.models import Adjustment, LowStockAlert
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db

LIST = "admin:inventory_lowstockalert_changelist"
ACTION = "acknowledge_selected"


def relative(item, location, quantity):
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        source=Adjustment.Source.API,
    )


def low_alert(item, location, *, on_hand=3, warning_level=5) -> LowStockAlert:
    set_stock(item, location, warning_level + 5)
    update_settings(
        lines=[
            SettingsInput(location_id=location.pk, item_id=item.pk, warning_level=warning_level)
        ],
        source=Adjustment.Source.ADMIN,
    )
    relative(item, location, on_hand - warning_level - 5)
    return LowStockAlert.objects.get(balance__item=item, balance__location=location)


@pytest.fixture
def shop():
    """TEE-BLA-M at Downtown store: 3 on hand, warning level 5, an open low-stock alert."""
    location = LocationFactory(label="Downtown store")
    item = ItemFactory(sku="TEE-BLA-M", name="Tee black M")
    return SimpleNamespace(item=item, location=location, alert=low_alert(item, location))


def test_the_list_names_the_item_and_location_and_shows_on_hand_now(client, shop):
    relative(shop.item, shop.location, -1)  # still low: on-hand now is 2, it opened at 3
    client.force_login(manager())

    html = client.get(reverse(LIST)).content.decode()

    row = re.search(r"<tr[^>]*>\s*<td[^>]*class=\"action-checkbox\".*?</tr>", html, re.S).group(0)
    assert "<strong>TEE-BLA-M</strong> Tee black M" in row
    assert "Downtown store" in row
    assert re.search(r'<td [^>]*class="field-on_hand_now">2</td>', row)
    assert "below 5" in row
    assert "Not acknowledged" in row
    assert shop.location.code not in row
    assert "item_id" not in row


def test_an_open_alert_links_to_adjusting_the_item_there(client, shop, monkeypatch):
    # Move stock is another page; once it exists, open alerts link to it too.
    monkeypatch.setattr(
        stock_links, "_url", lambda name: {stock_links.ADJUST: "/a/", stock_links.MOVE: "/m/"}[name]
    )
    client.force_login(store_staff(shop.location))

    html = client.get(reverse(LIST)).content.decode()

    assert f'href="/a/?sku=TEE-BLA-M&amp;location={shop.location.pk}"' in html
    assert f'href="/m/?sku=TEE-BLA-M&amp;from={shop.location.pk}"' in html


def test_the_adjust_link_is_the_real_adjust_form(client, shop):
    client.force_login(manager())

    html = client.get(reverse("admin:inventory_lowstockalert_change", args=[shop.alert.pk])).content
    adjust = reverse("admin:inventory_balance_adjust")

    assert f'href="{adjust}?sku=TEE-BLA-M&amp;location={shop.location.pk}"'.encode() in html


def test_a_reader_who_may_not_adjust_gets_no_links(client, shop):
    user = manager()
    user.groups.first().permissions.remove(
        *user.groups.first().permissions.filter(codename="adjust_stock")
    )
    client.force_login(user)

    html = client.get(reverse(LIST)).content.decode()

    assert "sku=TEE-BLA-M" not in html


def test_a_manager_acknowledges_with_a_note_after_seeing_what_they_acknowledge(client, shop):
    boss = manager(username="dana")
    client.force_login(boss)

    asked = client.post(reverse(LIST), {"action": ACTION, ACTION_CHECKBOX_NAME: [shop.alert.pk]})
    shop.alert.refresh_from_db()
    assert asked.status_code == 200
    assert "TEE-BLA-M" in asked.content.decode()
    assert shop.alert.acknowledged_at is None  # only asked so far

    done = client.post(
        reverse(LIST),
        {
            "action": ACTION,
            ACTION_CHECKBOX_NAME: [shop.alert.pk],
            "confirm": "yes",
            "note": "50 ordered, due Friday",
        },
        follow=True,
    )

    shop.alert.refresh_from_db()
    assert shop.alert.acknowledged_by == boss
    assert shop.alert.acknowledged_at is not None
    assert shop.alert.acknowledgement_note == "50 ordered, due Friday"
    assert shop.alert.is_open  # still open until stock is back
    html = done.content.decode()
    assert "Acknowledged 1 alert." in html
    assert "Acknowledged by dana" in html
    assert "“50 ordered, due Friday”" in html


def test_acknowledging_from_the_alerts_page_comes_back_to_it(client, shop):
    client.force_login(manager())
    page = client.get(reverse("admin:inventory_lowstockalert_change", args=[shop.alert.pk]))
    assert 'id="acknowledge"' in page.content.decode()

    done = client.post(
        reverse(LIST),
        {
            "action": ACTION,
            ACTION_CHECKBOX_NAME: [shop.alert.pk],
            "confirm": "yes",
            "back_to_alert": "1",
            "note": "",
        },
    )

    assert done.status_code == 302
    assert done.url == reverse("admin:inventory_lowstockalert_change", args=[shop.alert.pk])
    shop.alert.refresh_from_db()
    assert shop.alert.acknowledged_at is not None
    assert 'id="acknowledge"' not in client.get(done.url).content.decode()


def test_store_staff_may_not_acknowledge(client, shop):
    client.force_login(store_staff(shop.location))

    listing = client.get(reverse(LIST)).content.decode()
    page = client.get(reverse("admin:inventory_lowstockalert_change", args=[shop.alert.pk]))
    posted = client.post(
        reverse(LIST),
        {"action": ACTION, ACTION_CHECKBOX_NAME: [shop.alert.pk], "confirm": "yes", "note": "x"},
    )

    assert ACTION not in listing
    assert 'id="acknowledge"' not in page.content.decode()
    assert posted.status_code in (200, 302)
    shop.alert.refresh_from_db()
    assert shop.alert.acknowledged_at is None
    assert shop.alert.acknowledged_by is None
    assert shop.alert.acknowledgement_note == ""


def test_nobody_acknowledges_an_alert_they_cannot_see(client, shop):
    user = store_staff(LocationFactory())
    user.user_permissions.add(Permission.objects.get(codename="acknowledge_lowstockalert"))
    client.force_login(user)

    client.post(
        reverse(LIST),
        {"action": ACTION, ACTION_CHECKBOX_NAME: [shop.alert.pk], "confirm": "yes", "note": ""},
    )

    shop.alert.refresh_from_db()
    assert shop.alert.acknowledged_at is None


def test_acknowledging_keeps_the_first_and_skips_resolved_alerts(shop):
    other = low_alert(ItemFactory(), shop.location)
    first, second = manager(), manager()
    acknowledge_alerts(alert_ids=[shop.alert.pk], actor=first, note="mine")
    relative(other.balance.item, shop.location, +10)  # resolves the other alert

    done = acknowledge_alerts(alert_ids=[shop.alert.pk, other.pk], actor=second, note="theirs")

    assert done == 0
    shop.alert.refresh_from_db()
    other.refresh_from_db()
    assert (shop.alert.acknowledged_by, shop.alert.acknowledgement_note) == (first, "mine")
    assert other.acknowledged_at is None


def test_a_resolved_alert_says_which_change_resolved_it(client, shop):
    relative(shop.item, shop.location, +10)
    shop.alert.refresh_from_db()
    client.force_login(manager())

    html = client.get(reverse(LIST), {"state": "closed"}).content.decode()

    assert f"change {shop.alert.closed_by.short_id}" in html
    assert "on hand 13" in html


def test_the_state_filter_finds_alerts_nobody_acknowledged(client, shop):
    other = low_alert(ItemFactory(), shop.location)
    acknowledge_alerts(alert_ids=[other.pk], actor=manager())
    client.force_login(manager())

    new = client.get(reverse(LIST), {"state": "new"}).context["cl"].result_list
    seen = client.get(reverse(LIST), {"state": "acknowledged"}).context["cl"].result_list

    assert [a.pk for a in new] == [shop.alert.pk]
    assert [a.pk for a in seen] == [other.pk]


def test_the_list_costs_the_same_queries_for_many_alerts(client, django_assert_max_num_queries):
    location = LocationFactory()
    low_alert(ItemFactory(), location)
    user = manager()
    acknowledge_alerts(alert_ids=LowStockAlert.objects.values_list("pk", flat=True), actor=user)
    client.force_login(user)
    client.get(reverse(LIST))  # the session and permissions, once

    with CaptureQueriesContext(connection) as few:
        client.get(reverse(LIST))
    for _ in range(15):
        low_alert(ItemFactory(), location)
    acknowledge_alerts(alert_ids=LowStockAlert.objects.values_list("pk", flat=True), actor=user)

    with django_assert_max_num_queries(len(few)):
        response = client.get(reverse(LIST))
    assert len(response.context["cl"].result_list) == 16
