"""A count in the browser, end to end: a staff member scans with a keyboard-wedge scanner (the
code typed, then Enter), submits; a manager reviews and applies; stock and history show it."""

import re

import pytest

from inventory.models import Adjustment, Balance, Stocktake
from tests.browser.conftest import log_in
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def test_staff_counts_with_a_scanner_and_a_manager_applies(page, live_server):
    location = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")
    mug = ItemFactory(sku="MUG", name="Enamel mug", barcode="4006381333948")
    set_stock(shirt, location, 1)
    set_stock(mug, location, 3)
    store_staff(location, username="sam")
    manager(username="boss")

    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/stocktakes/")
    page.select_option("#start-form select[name=location]", str(location.pk))
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("input.st-code")
    stocktake = Stocktake.objects.get()

    page.focus("input.st-code")
    scan(page, shirt.barcode)
    page.wait_for_selector("#last-scanned >> text=SHIRT")
    scan(page, mug.barcode)
    page.wait_for_selector("#last-scanned >> text=MUG")
    scan(page, "0000000000017")
    page.wait_for_selector("#scan-error >> text=0000000000017")
    page.wait_for_selector("#unknown-codes >> text=0000000000017")
    assert page.evaluate("document.activeElement.classList.contains('st-code')")
    counts = dict(stocktake.lines.values_list("item__sku", "counted_quantity"))
    assert counts == {"SHIRT": 1, "MUG": 1}

    page.click("form.st-submit-form button[type=submit]")
    page.wait_for_load_state()
    stocktake.refresh_from_db()
    assert stocktake.status == Stocktake.Status.SUBMITTED

    page.context.clear_cookies()
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/stocktakes/{stocktake.pk}/review/")
    assert "Enamel mug" in page.content()
    page.click("button:has-text('Apply count to stock')")
    page.wait_for_selector("a[href*='/admin/inventory/adjustment/']")

    assert Balance.objects.get(item=shirt, location=location).quantity == 1
    assert Balance.objects.get(item=mug, location=location).quantity == 1
    adjustment = Adjustment.objects.get(kind=Adjustment.Kind.STOCKTAKE)
    page.click("a[href*='/admin/inventory/adjustment/']")
    page.wait_for_selector(f"text={adjustment.transaction_id}")
    page.goto(
        f"{live_server.url}/admin/inventory/adjustmentline/?adjustment__kind__exact=stocktake"
    )
    history = page.inner_text("#result_list")
    assert re.search(r"MUG.*3 → 1", history, re.S)
