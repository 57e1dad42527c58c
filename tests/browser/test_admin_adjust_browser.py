"""A manager adjusts stock in the browser, as on a laptop and on a phone."""

import pytest

from inventory.models import Adjustment, Balance
from tests.browser.conftest import log_in
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

# serialized_rollback: the groups created by migrations survive the flushes between tests.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_manager_sets_stock_from_the_balance_list(page, live_server):
    location = LocationFactory(code="DT", label="Downtown")
    shirt, mug = ItemFactory(sku="SHIRT"), ItemFactory(sku="MUG")
    set_stock(shirt, location, 4)
    set_stock(mug, location, 9)
    manager(username="boss")
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/admin/inventory/balance/?location={location.pk}")
    page.check("input.action-select >> nth=0")
    page.check("input.action-select >> nth=1")
    page.select_option("select[name=action]", "adjust_selected")
    page.click("button[name=index]")
    page.fill("#id_reason", "Shelf recount")
    rows = {page.input_value(f"#id_lines-{n}-code"): n for n in range(2)}
    page.fill(f"#id_lines-{rows['SHIRT']}-quantity", "12")
    page.fill(f"#id_lines-{rows['MUG']}-quantity", "0")
    page.click("#apply-button")

    page.wait_for_selector("text=Stock adjusted")
    assert Balance.objects.get(item=shirt, location=location).quantity == 12
    assert Balance.objects.get(item=mug, location=location).quantity == 0
    adjustment = Adjustment.objects.get(reason="Shelf recount")
    assert adjustment.actor.username == "boss"
    assert adjustment.transaction_id.hex[:8] in page.content().replace("-", "")


def test_a_stale_form_is_refused_in_the_browser(page, live_server):
    location, item = LocationFactory(), ItemFactory(sku="CAP")
    set_stock(item, location, 5)
    manager(username="boss")
    log_in(page, live_server, "boss")
    page.goto(
        f"{live_server.url}/admin/inventory/balance/adjust/?location={location.pk}&items={item.pk}"
    )

    set_stock(item, location, 3)  # someone else writes while the form is open
    page.fill("#id_reason", "Count")
    page.fill("#id_lines-0-quantity", "8")
    page.click("#apply-button")

    page.wait_for_selector("text=Stock changed since you opened this form")
    assert Balance.objects.get(item=item, location=location).quantity == 3
