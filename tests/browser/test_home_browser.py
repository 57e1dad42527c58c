"""The home page in a real browser, at a desk and on a phone: a store clerk's and a manager's
work fits the screen without sideways scrolling, and its buttons are big enough to tap."""

import pytest

from inventory.models import Adjustment
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stocktakes import services as stocktakes
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def store(db):
    """Downtown store: a clerk's count waiting for approval, a low item, the clerk's changes."""
    location = LocationFactory(code="DT", label="Downtown store")
    clerk = store_staff(location, username="clerk")
    manager(username="boss")
    items = [
        ItemFactory(sku=f"TEE-BLACK-XXL-{n}", name="Crew T-shirt, Black, XXL") for n in range(3)
    ]
    for item in items:
        set_stock(item, location, 10)
    update_settings(
        lines=[SettingsInput(location_id=location.pk, item_id=items[0].pk, warning_level=12)],
        source=Adjustment.Source.ADMIN,
    )
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=location.pk, item_id=items[2].pk, quantity=-10)],
        source=Adjustment.Source.ADMIN,
        actor=clerk,
        reason="Damaged in the back room while unpacking the delivery",
    )
    count = stocktakes.start_stocktake(location=location, actor=clerk, blind=True, items=items[:2])
    stocktakes.count_item(stocktake=count, code=items[0].sku, quantity=4, actor=clerk)
    stocktakes.submit_stocktake(stocktake=count, actor=clerk)
    return location


def test_a_clerks_home_fits_and_its_buttons_can_be_tapped(page, live_server, store):
    log_in(page, live_server, "clerk")

    assert page.locator("h3", has_text="Downtown store").is_visible()
    assert_no_sideways_scroll(page)
    for button in ("button:has-text('Start a count')", "a.button:has-text('Adjust stock')"):
        assert_on_screen(page, button)
        assert_tappable(page, button)
    assert_on_screen(page, ".home-changes .home-row-main")


def test_a_managers_home_fits_and_its_buttons_can_be_tapped(page, live_server, store):
    log_in(page, live_server, "boss")

    assert page.locator("#waiting-heading").is_visible()
    assert page.locator("#alerts-heading").is_visible()
    assert_no_sideways_scroll(page)
    for button in (
        "a.button:has-text('Review')",
        "#alerts-heading ~ div a.button:has-text('Adjust')",
    ):
        assert_on_screen(page, button)
        assert_tappable(page, button)

    page.click("a.button:has-text('Review')")
    assert "/review/" in page.url
