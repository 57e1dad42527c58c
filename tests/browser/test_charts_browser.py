"""The history chart and the location dashboard in a real browser, on a laptop and on a phone:
the SVG shows, fits the screen without horizontal scrolling, and its labels stay legible."""

import pytest

from inventory.models import Adjustment, Balance
from inventory.stock import LineInput, apply_adjustment, update_balance_settings
from tests.browser.conftest import log_in
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Every text of the charts: its box on screen and its computed font size.
TEXT_BOXES = """
() => [...document.querySelectorAll('svg.sc-chart text')]
    .filter(text => getComputedStyle(text).display !== 'none')
    .map(text => {
        const box = text.getBoundingClientRect();
        return {left: box.left, right: box.right, size: parseFloat(getComputedStyle(text).fontSize)};
    })
"""


def assert_fits_the_screen(page):
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    chart = page.locator("svg.sc-chart").first
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width
    assert box["width"] >= 0.75 * min(width, 700)  # uses the room it has
    texts = page.evaluate(TEXT_BOXES)
    assert texts
    for text in texts:
        assert text["left"] >= 0
        assert text["right"] <= width
        assert text["size"] >= 11


@pytest.fixture
def history(db):
    location = LocationFactory(code="DT", label="Downtown")
    item = ItemFactory(sku="SHIRT")
    set_stock(item, location, 12, reason="Opening stock")
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        reason="Order 1001",
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-9)],
    )
    balance = Balance.objects.get(item=item, location=location)
    update_balance_settings(
        balance=balance, changes={"warning_level": 5}, source=Adjustment.Source.ADMIN
    )
    manager(username="boss")
    return balance


def test_balance_chart_reads_on_the_screen(page, live_server, history):
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/admin/inventory/balance/{history.pk}/change/")

    assert_fits_the_screen(page)
    markers = page.locator("svg.sc-chart .sc-marker")
    assert markers.count() == 3  # opening stock, the sale, the warning level set
    assert "Order 1001" in markers.nth(1).locator(".sc-tip-box").text_content()
    assert page.locator("svg.sc-chart line.sc-warning").count() == 1
    assert page.locator(".stock-changes li").count() == 3
    assert page.locator(".stock-changes li").first.is_visible()


def test_location_dashboard_reads_on_the_screen(page, live_server, history):
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/admin/inventory/balance/dashboard/{history.location_id}/")

    assert_fits_the_screen(page)
    assert page.locator("text=Below warning level").first.is_visible()
    bars = page.locator("svg.sc-chart g title")
    assert bars.count() == 1  # today's two stock adjustments (not the settings change): one bar
    assert ": 2 (1 API, 1 System)" in bars.first.text_content()
