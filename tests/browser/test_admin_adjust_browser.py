"""Adjusting and moving stock in the browser, as on a laptop and on a phone, with a keyboard or
a barcode scanner (which types the code, then Enter)."""

import pytest

from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, apply_adjustment
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

# serialized_rollback: the groups created by migrations survive the flushes between tests.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ADJUST = "/admin/inventory/balance/adjust/"


def on_hand(item, location):
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def snapshot():
    return (
        list(Balance.objects.order_by("id").values_list("id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


@pytest.fixture
def downtown(db):
    location = LocationFactory(code="DT", label="Downtown")
    manager(username="boss")
    return location


def test_manager_sets_stock_from_the_balance_list(page, live_server, downtown):
    shirt, mug = ItemFactory(sku="SHIRT"), ItemFactory(sku="MUG")
    set_stock(shirt, downtown, 4)
    set_stock(mug, downtown, 9)
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/admin/inventory/balance/?location={downtown.pk}")
    page.check("input.action-select >> nth=0")
    page.check("input.action-select >> nth=1")
    page.select_option("select[name=action]", "adjust_selected")
    page.click("button[name=index]")
    page.select_option("#id_reason_code", "stock_count")
    page.fill("#id_reason", "Shelf recount")
    rows = {page.input_value(f"#id_lines-{n}-code"): n for n in range(2)}
    page.fill(f"#id_lines-{rows['SHIRT']}-quantity", "12")
    page.fill(f"#id_lines-{rows['MUG']}-quantity", "0")
    page.click("#apply-button")

    page.wait_for_selector("text=Stock adjusted at Downtown: 2 items")
    assert [on_hand(shirt, downtown), on_hand(mug, downtown)] == [12, 0]
    adjustment = Adjustment.objects.get(reason="Shelf recount")
    assert (adjustment.actor.username, adjustment.reason_code) == ("boss", "stock_count")
    assert adjustment.short_id in page.content()


def test_a_stale_form_is_refused_in_the_browser(page, live_server, downtown):
    item = ItemFactory(sku="CAP")
    set_stock(item, downtown, 5)
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}&items={item.pk}")

    set_stock(item, downtown, 3)  # someone else writes while the form is open
    page.fill("#id_lines-0-quantity", "8")
    page.click("#apply-button")

    page.wait_for_selector("text=Stock changed since you opened this form")
    assert on_hand(item, downtown) == 3


def test_a_typed_sku_shows_its_item_and_enter_moves_to_the_next_row(page, live_server, downtown):
    tee = ItemFactory(sku="TEE-BLA", name="Black tee")
    cap = ItemFactory(sku="CAP", name="Baseball cap", barcode="4006381333931")
    set_stock(tee, downtown, 33)
    set_stock(cap, downtown, 4)
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")

    # A scanner types the code and Enter: the row shows its item, the next row takes the next.
    page.fill("#id_lines-0-code", "TEE-BLA")
    page.press("#id_lines-0-code", "Enter")
    first = page.locator("tbody tr").nth(0)
    first.locator("[data-on-hand]").filter(has_text="33").wait_for()
    assert first.locator("[data-name]").inner_text() == "Black tee"
    assert page.evaluate("document.activeElement.id") == "id_lines-1-code"
    assert page.input_value("#id_lines-0-expected_quantity") == "33"
    assert page.url.endswith(f"?location={downtown.pk}")  # not submitted

    # Enter on the last row adds one.
    page.fill("#id_lines-4-code", "4006381333931")
    page.press("#id_lines-4-code", "Enter")
    assert page.evaluate("document.activeElement.id") == "id_lines-5-code"
    assert page.input_value("input[name=lines-TOTAL_FORMS]") == "6"
    page.locator("tbody tr").nth(4).locator("[data-name]").filter(
        has_text="Baseball cap"
    ).wait_for()

    # An unknown code says so at once.
    page.keyboard.type("NOPE")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=No item has SKU or barcode “NOPE”")
    assert snapshot()[1] == 2  # the two set_stock calls: nothing applied


def test_a_typed_row_changed_after_its_lookup_is_refused(page, live_server, downtown):
    """A sale in another tab between typing the SKU and applying "set 31" is not overwritten."""
    tee = ItemFactory(sku="TEE-BLA", name="Black tee")
    set_stock(tee, downtown, 33)
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")
    page.fill("#id_lines-0-code", "TEE-BLA")
    page.press("#id_lines-0-code", "Tab")
    page.locator("tbody tr").nth(0).locator("[data-on-hand]").filter(has_text="33").wait_for()

    apply_adjustment(  # the sale
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=downtown.pk, sku="TEE-BLA", quantity=-2)],
    )
    before = snapshot()
    page.fill("#id_lines-0-quantity", "31")
    page.click("#apply-button")

    page.wait_for_selector("text=at Downtown: on-hand is now 31, not 33")
    assert snapshot() == before
    assert on_hand(tee, downtown) == 31


def test_every_error_shows_after_one_submit(page, live_server, downtown):
    cap = ItemFactory(sku="CAP", name="Baseball cap")
    set_stock(cap, downtown, 2)
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")
    before = snapshot()

    page.check("input[name=mode][value=add]")
    page.fill("#id_lines-0-code", "CAP")
    page.fill("#id_lines-0-quantity", "-5")
    page.fill("#id_lines-1-code", "NOPE")
    page.fill("#id_lines-1-quantity", "1")
    page.fill("#id_lines-2-quantity", "3")
    page.click("#apply-button")

    page.wait_for_selector("text=Nothing was changed. Please fix rows 1, 2 and 3 marked below.")
    content = page.content()
    assert "CAP · Baseball cap at Downtown: only 2 on hand" in content
    assert "No item has SKU or barcode “NOPE”" in content
    assert "Which item? Enter its SKU or barcode." in content
    assert "item_id" not in content
    assert snapshot() == before


def test_rows_are_readable_on_a_phone(phone_page, live_server, downtown):
    ItemFactory(sku="CHINO-BLA-L", name="Chino trousers, Black, L")
    page = phone_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")

    page.fill("#id_lines-0-code", "CHINO-BLA-L")
    page.press("#id_lines-0-code", "Enter")
    row = "tbody tr:nth-child(1)"
    page.locator(f"{row} [data-name]").filter(has_text="Chino trousers, Black, L").wait_for()
    page.locator(f"{row} [data-on-hand]").filter(has_text="0").wait_for()

    assert_no_sideways_scroll(page)
    for selector in (
        "#id_lines-0-code",
        f"{row} [data-name]",
        f"{row} [data-on-hand]",
        "#id_lines-0-quantity",
    ):
        assert_on_screen(page, selector)
    assert page.locator("#id_lines-0-code").bounding_box()["width"] >= 280
    assert_tappable(page, "#id_lines-0-code")
    assert_tappable(page, "#id_lines-0-quantity")
    assert_tappable(page, "#id_location")
    assert_tappable(page, ".stock-field label:has(input[name=mode])")
    assert_tappable(page, "#check-button")
    assert_tappable(page, "#apply-button")


def test_errors_on_a_phone_stay_on_screen(phone_page, live_server, downtown):
    page = phone_page
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")

    page.fill("#id_lines-0-code", "A-CODE-THAT-IS-QUITE-LONG-AND-UNKNOWN-TO-THE-SHOP")
    page.fill("#id_lines-0-quantity", "4")
    page.click("#apply-button")

    page.wait_for_selector("text=Nothing was changed")
    assert_no_sideways_scroll(page)
    assert_on_screen(page, "tbody tr:nth-child(1) .errorlist")


def test_without_the_script_enter_checks_and_changes_nothing(browser, live_server, downtown):
    """A scanner's Enter submits the form when scripts are off: it checks, it does not apply."""
    cap = ItemFactory(sku="CAP", name="Baseball cap")
    set_stock(cap, downtown, 4)
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}{ADJUST}?location={downtown.pk}")
    before = snapshot()

    page.fill("#id_lines-0-code", "CAP")
    page.fill("#id_lines-0-quantity", "9")
    page.press("#id_lines-0-quantity", "Enter")

    page.wait_for_selector("text=On-hand here is 4: check the quantity, then apply again.")
    assert page.locator("tbody tr:nth-child(1) [data-name]").inner_text() == "Baseball cap"
    assert page.input_value("#id_lines-0-expected_quantity") == "4"
    assert snapshot() == before
    page.click("#apply-button")
    page.wait_for_selector("text=Stock adjusted at Downtown")
    assert on_hand(cap, downtown) == 9
    context.close()


def test_moving_stock_between_two_locations(page, live_server, downtown):
    warehouse = LocationFactory(code="WH", label="Warehouse")
    tee = ItemFactory(sku="TEE", name="Tee")
    set_stock(tee, warehouse, 10)
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/admin/inventory/balance/move/?sku=TEE&from={warehouse.pk}")
    page.select_option("#id_to_location", str(downtown.pk))
    page.fill("#id_lines-0-quantity", "4")
    page.locator("tbody tr").nth(0).locator("[data-after]").filter(has_text="→ 6").wait_for()
    assert_no_sideways_scroll(page)
    page.click("#apply-button")

    page.wait_for_selector("text=Moved 1 item from Warehouse to Downtown")
    assert [on_hand(tee, warehouse), on_hand(tee, downtown)] == [6, 4]
