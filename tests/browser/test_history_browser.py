"""The stock history in the browser: a card per change on a phone, its key facts on screen, search
and filters before the rows; searching as people type, on a laptop and on a phone."""

import pytest

from inventory.models import Adjustment
from inventory.stock import LineInput, apply_adjustment
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, manager

# serialized_rollback: the groups created by migrations survive the flushes between tests.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HISTORY = "/admin/inventory/adjustmentline/"
KEY_CELLS = ["when", "item_sku_name", "location_name", "change", "on_hand", "why", "by"]


@pytest.fixture
def busy_shop():
    """A full page of history (100 lines and more), the newest a return with a long note."""
    store = LocationFactory(code="DT", label="Downtown store")
    items = [
        ItemFactory(sku=f"TEE-BLA-{n:03d}", name=f"Crew T-shirt, Black, {n}") for n in range(110)
    ]
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        reason="Opening stock",
        lines=[LineInput(location_id=store.pk, item_id=item.pk, quantity=20) for item in items],
    )
    beanie = ItemFactory(sku="BEANIE", name="Wool beanie")
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.ADMIN,
        actor=manager(username="boss"),
        reason_code=Adjustment.ReasonCode.RETURNED,
        reason="Sale, order #10741, returned unworn by the customer at the counter",
        reference="10741",
        lines=[LineInput(location_id=store.pk, item_id=beanie.pk, quantity=1)],
    )


def test_on_a_phone_each_change_is_a_card_with_its_key_facts_on_screen(
    phone_page, live_server, busy_shop
):
    page = phone_page
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}{HISTORY}")

    assert_no_sideways_scroll(page)
    first_row = "#result_list tbody tr:first-child"
    for cell in KEY_CELLS:
        assert_on_screen(page, f"{first_row} td.field-{cell}")
    assert "BEANIE" in page.inner_text(f"{first_row} td.field-item_sku_name")
    assert "Customer return" in page.inner_text(f"{first_row} td.field-why")
    rows_top = page.locator(first_row).bounding_box()["y"]
    for before_rows in ("#searchbar", ".history-filters > summary"):
        assert page.locator(before_rows).bounding_box()["y"] < rows_top
    assert_tappable(page, "#searchbar")
    assert_tappable(page, ".history-filters > summary")
    assert_tappable(page, ".history-pages a")
    # A hundred cards, not a 20,000 px page.
    assert page.locator("#result_list tbody tr").count() == 100
    assert page.evaluate("document.documentElement.scrollHeight") < 12_000


def test_on_a_phone_the_filters_unfold_and_apply(phone_page, live_server, busy_shop):
    page = phone_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{HISTORY}")

    page.click(".history-filters > summary")
    page.select_option("#id_reason", "returned")
    page.click(".history-apply button")

    page.wait_for_url("**reason=returned**")
    assert page.locator("#result_list tbody tr").count() == 1
    assert_no_sideways_scroll(page)
    assert_tappable(page, ".history-presets a")


@pytest.mark.parametrize(
    ("typed", "rows"),
    [("TEE-BLA-10", 10), ("beanie", 1), ("10741", 1), ("order 10741", 1)],
)
def test_search_finds_what_people_type(page, live_server, busy_shop, typed, rows):
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{HISTORY}")

    page.fill("#searchbar", typed)
    page.press("#searchbar", "Enter")

    page.wait_for_url("**q=**")
    assert page.locator("#result_list tbody tr").count() == rows
    assert_no_sideways_scroll(page)


def test_the_short_id_in_the_list_finds_its_transaction(page, live_server, busy_shop):
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{HISTORY}")
    short_id = page.inner_text("#result_list tbody tr:first-child td.field-transaction").strip()
    assert short_id == busy_shop.short_id

    page.fill("#searchbar", short_id)
    page.press("#searchbar", "Enter")

    page.wait_for_url("**q=**")
    assert page.locator("#result_list tbody tr").count() == 1
    assert "BEANIE" in page.inner_text("#result_list tbody")
