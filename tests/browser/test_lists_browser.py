"""The admin's lists in a real browser: on a phone each row is a card whose key facts are on
screen, filters and search come first and every tap target is a finger wide; on a desk the
balance list right-aligns its numbers, totals what it lists and flags what is low. And the
stock chart's markers, tapped on a phone or hovered and tabbed to on a desk."""

import pytest

from inventory.models import Adjustment, ApiClient, Balance, WebhookEndpoint
from inventory.stock import LineInput, apply_adjustment, update_balance_settings
from tests.browser.conftest import (
    PHONE,
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, UserFactory, manager, set_stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

BALANCES = "/admin/inventory/balance/"
KEY_CELLS = ["sku", "location_name", "on_hand", "available", "safety", "warn_at", "bin"]


@pytest.fixture
def shop(db):
    """Two stores, long names and a bin each, warning levels set: one balance low, one out."""
    north = LocationFactory(code="NORTH", label="North store on the high street")
    south = LocationFactory(code="SOUTH", label="South warehouse")
    items = [
        ItemFactory(sku="TEE-BLA-XXL", name="Organic cotton crew T-shirt, Black, XXL"),
        ItemFactory(sku="HOOD-GRE-M", name="Zip hoodie, Grey, M"),
        ItemFactory(sku="SOCK-NAV-S", name="Running socks, Navy, S"),
    ]
    stock = {north: [40, 3, 0], south: [1_250, 60, 8]}
    for location, quantities in stock.items():
        for item, quantity in zip(items, quantities, strict=True):
            set_stock(item, location, quantity, reason="Opening stock")
            update_balance_settings(
                balance=Balance.objects.get(item=item, location=location),
                changes={"warning_level": 5, "safety_stock": 1, "bin_picking_number": "A-01-2"},
                source=Adjustment.Source.ADMIN,
            )
    manager(username="boss")
    return {"north": north, "south": south, "items": items}


def first_row_top(page) -> float:
    return page.locator("#result_list tbody tr").first.bounding_box()["y"]


# --- on a phone ------------------------------------------------------------------------------


def test_the_balance_list_on_a_phone_shows_each_rows_key_facts(phone_page, live_server, shop):
    page = phone_page
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}{BALANCES}")

    assert_no_sideways_scroll(page)
    assert page.locator("#result_list tbody tr").count() == 6
    for name in KEY_CELLS:
        assert_on_screen(page, f"#result_list tbody .field-{name}")
    assert page.locator("#result_list tbody .field-location_name").first.inner_text() == (
        "North store on the high street"  # by its name, not its code
    )
    assert_tappable(page, "#result_list input[type=checkbox]")
    assert_tappable(page, "#result_list tbody a")
    assert_tappable(page, "#searchbar")


def test_on_a_phone_search_and_filters_come_before_the_rows(phone_page, live_server, shop):
    page = phone_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{BALANCES}?stock=below_warning")

    toggle = page.locator("#changelist-filter-toggle")
    assert toggle.inner_text().startswith("Filters: Low (below warning level)")
    assert page.locator("#changelist-filter").is_hidden()  # folded: the rows stay near
    toggle.click()

    filters = page.locator("#changelist-filter").bounding_box()
    search = page.locator("#searchbar").bounding_box()
    assert search["y"] + search["height"] <= filters["y"]
    assert filters["y"] + filters["height"] <= first_row_top(page)
    assert_no_sideways_scroll(page)
    assert_tappable(page, "#changelist-filter-toggle")
    assert_tappable(page, "#changelist-filter li a")
    page.click("#changelist-filter >> text=Out of stock")
    page.wait_for_url("**stock=out**")
    assert page.locator("#result_list tbody tr").count() == 1


def test_a_phone_selects_rows_and_pages_with_a_finger(phone_page, live_server, shop, monkeypatch):
    from inventory.admin.stock import BalanceAdmin

    monkeypatch.setattr(BalanceAdmin, "list_per_page", 2)
    page = phone_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{BALANCES}")

    page.locator("#result_list tbody input.action-select").first.click()
    page.click("label.select-all-label")

    assert page.locator("#result_list tbody input.action-select:checked").count() == 2
    assert_tappable(page, "#changelist .paginator a")
    assert_tappable(page, "#changelist .actions select")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/inventory/lowstockalert/",
        "/admin/inventory/item/",
        "/admin/locations/location/",
        "/admin/inventory/apiclient/",
        "/admin/inventory/webhookendpoint/",
    ],
)
def test_every_list_fits_a_phone(phone_page, live_server, shop, url):
    ApiClient.objects.create(name="Online store with a long name", token_prefix="p", token_hash="h")
    WebhookEndpoint.objects.create(
        name="Order system", url="https://hooks.example.com/stockroom/inventory/changed"
    )
    # Layout, not permissions: a superuser, whose rights no earlier test's flush can take away.
    UserFactory(username="root", is_superuser=True)
    page = phone_page
    log_in(page, live_server, "root")

    page.goto(f"{live_server.url}{url}")

    assert_no_sideways_scroll(page)
    assert page.locator("#result_list tbody tr").count() >= 1
    assert_on_screen(page, "#result_list tbody td:not(.action-checkbox), #result_list tbody th")
    assert_tappable(page, "#result_list tbody a")


# --- on a desk -------------------------------------------------------------------------------


@pytest.fixture
def desk_page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def test_on_a_desk_numbers_are_right_aligned_totalled_and_lows_flagged(
    desk_page, live_server, shop
):
    page = desk_page
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}{BALANCES}")

    for name in ["on_hand", "available", "safety", "warn_at"]:
        # Where each number's text ends: one edge for the column, whatever its width.
        ends = page.locator(f"#result_list tbody .field-{name}").evaluate_all(
            "cells => cells.map(c => { const r = document.createRange(); r.selectNodeContents(c);"
            " return Math.round(r.getBoundingClientRect().right); })"
        )
        assert len(ends) == 6
        assert len(set(ends)) == 1, f"{name}: numbers end at {ends}"
        header = page.locator(f"#result_list thead .column-{name} .text")
        assert header.evaluate("h => getComputedStyle(h).justifyContent") == "flex-end"
    totals = page.locator(".balance-totals-all").inner_text()
    assert totals.startswith("1,361 units on hand in 6 balances")
    per_location = page.locator("table.balance-totals-table tbody tr").all_inner_texts()
    assert [row.split("\t") for row in per_location] == [
        ["North store on the high street", "43", "3", "1", "1"],
        ["South warehouse", "1,318", "3", "0", "0"],
    ]
    low = page.locator("#result_list tbody tr", has_text="HOOD-GRE-M").first
    ok = page.locator("#result_list tbody tr", has_text="TEE-BLA-XXL").first
    assert low.locator(".field-on_hand").inner_text().lower() == "low 3"
    background = "row => getComputedStyle(row.querySelector('.field-sku')).backgroundColor"
    assert low.evaluate(background) != ok.evaluate(background)


# --- the chart -------------------------------------------------------------------------------


@pytest.fixture
def history(shop):
    north, hoodie = shop["north"], shop["items"][1]
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.ADMIN,
        actor=manager(username="kim"),
        reason="Damaged in the stock room",
        lines=[LineInput(location_id=north.pk, item_id=hoodie.pk, quantity=-1)],
    )
    return Balance.objects.get(item=hoodie, location=north)


def test_a_chart_marker_tapped_on_a_phone_shows_who_when_and_why(browser, live_server, history):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/admin/inventory/balance/{history.pk}/change/")

    marker = page.locator("svg.sc-chart .sc-marker").last
    card = marker.locator(".sc-tip-box")
    assert_tappable(page, "svg.sc-chart .sc-marker .sc-hit")
    assert card.is_hidden()
    marker.tap()

    assert card.is_visible()
    text = card.inner_text()
    assert "kim" in text
    assert "Damaged in the stock room" in text
    assert "3 → 2 (-1)" in text
    assert_on_screen(page, "svg.sc-chart .sc-marker .sc-tip-box >> visible=true")
    assert_no_sideways_scroll(page)
    assert_tappable(page, "svg.sc-chart .sc-tip-box a >> visible=true")
    card.locator("a").tap()
    page.wait_for_url("**/admin/inventory/adjustment/**")
    assert "Damaged in the stock room" in page.content()
    context.close()


def test_a_chart_marker_shows_its_card_on_hover_and_to_the_keyboard(
    desk_page, live_server, history
):
    page = desk_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/admin/inventory/balance/{history.pk}/change/")
    markers = page.locator("svg.sc-chart .sc-marker")
    newest, oldest = markers.last, markers.first

    newest.hover()
    assert "Damaged in the stock room" in newest.locator(".sc-tip-box").inner_text()
    assert oldest.locator(".sc-tip-box").is_hidden()

    page.mouse.move(0, 0)
    oldest.focus()  # as Tab reaches it
    assert newest.locator(".sc-tip-box").is_hidden()
    assert "Opening stock" in oldest.locator(".sc-tip-box").inner_text()
    page.keyboard.press("Tab")  # the card's link comes next
    assert page.evaluate("document.activeElement.textContent") == "Open this adjustment"
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/inventory/adjustment/**")
    assert "Opening stock" in page.content()
