"""Issue 20's whole story, as a clerk with only a phone lives it (390 x 844): start a count, scan
with the (fake) camera, lose the connection, keep scanning, reload the page with no signal,
come back online; a partner's sale goes through the API meanwhile. The page and the server end
with the same totals, nothing counted twice, and the review nets the sale as made after the
scans that were waiting on the phone."""

import json
import urllib.request

import pytest
from django.urls import reverse

from inventory.api_clients import issue_token
from inventory.models import ApiClient, StocktakeScan
from inventory.stocktakes import services as stocktakes
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, assert_no_sideways_scroll, log_in
from tests.browser.test_camera_browser import MUG_SKU, SHIRT_EAN, video  # noqa: F401 (fixture)
from tests.browser.test_offline_count_browser import SHELL_TEXT, banner_says, scan
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def phone(browser, video):  # noqa: F811 (the camera module's fixture)
    """A phone's Chromium: its camera plays the rendered barcodes, service workers allowed."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    context = chromium.new_context(viewport=PHONE, permissions=["camera"], service_workers="allow")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    chromium.close()


def sell_through_the_api(live_server, sku: str, location, quantity: int) -> None:
    """A partner's sale, over HTTP as its client sends it (the phone is offline, not the shop)."""
    client = ApiClient(name="Shop app", scopes=["store_inventory"])
    token = issue_token(client)
    client.save()
    body = {"items": [{"location_id": location.pk, "sku": sku, "quantity": -quantity}]}
    request = urllib.request.Request(
        f"{live_server.url}/api/v3/inventory/adjustments/relative",
        data=json.dumps(body).encode(),
        headers={"X-Auth-Token": token, "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200


def page_total(page, sku: str) -> str:
    return page.locator("#counted-lines tr", has_text=sku).locator(".st-counted").inner_text()


def test_a_clerk_counts_with_a_phone_through_a_dropped_connection(phone, live_server):
    store = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode=SHIRT_EAN)
    mug = ItemFactory(sku=MUG_SKU, name="Enamel mug", barcode="4006381333948")
    set_stock(shirt, store, 20)
    set_stock(mug, store, 6)
    clerk = store_staff(store, username="sam")
    count = stocktakes.start_stocktake(location=store, actor=clerk)
    page = phone
    log_in(page, live_server, "sam")
    page.goto(live_server.url + reverse("stocktakes:count", args=[count.pk]))
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")

    # The camera: the shirt's EAN-13, then the mug's Code 128, each in view for many frames.
    page.click("text=Scan with camera")
    page.wait_for_selector(f"[data-camera-code] >> text={MUG_SKU}")
    page.click("text=Stop camera")
    banner_says(page, "All scans saved")
    assert dict(count.lines.values_list("item__sku", "counted_quantity")) == {
        "SHIRT": 1,
        MUG_SKU: 1,
    }

    # The back room: no signal. Scanning goes on, then the page is reloaded.
    page.context.set_offline(True)
    page.focus("input.st-code")
    for _ in range(9):
        scan(page, SHIRT_EAN)
    banner_says(page, "9 scans waiting — you are offline")
    page.reload()
    page.wait_for_selector(f"text={SHELL_TEXT}")
    page.focus("input.st-code")
    for _ in range(4):
        scan(page, SHIRT_EAN)
    scan(page, MUG_SKU)
    banner_says(page, "14 scans waiting — you are offline")
    assert_no_sideways_scroll(page)
    sell_through_the_api(live_server, "SHIRT", store, 3)  # after every scan above: 20 → 17

    page.context.set_offline(False)
    page.wait_for_selector("#counted-lines >> text=SHIRT", timeout=30_000)
    banner_says(page, "All scans saved")

    line = count.lines.get(item=shirt)
    assert (line.counted_quantity, count.lines.get(item=mug).counted_quantity) == (14, 2)
    assert StocktakeScan.objects.filter(stocktake=count).count() == 16  # 2 + 14, none twice
    assert (page_total(page, "SHIRT"), page_total(page, MUG_SKU)) == ("14", "2")
    assert line.expected_quantity == 20  # on hand when the last shirt was scanned

    stocktakes.submit_stocktake(stocktake=count, actor=clerk)
    manager(username="boss")
    page.context.clear_cookies()
    log_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("stocktakes:review", args=[count.pk]))
    row = page.locator("tr", has_text="Linen shirt")
    assert row.locator(".st-counted").inner_text() == "14"
    assert row.locator(".st-expected").inner_text() == "20"
    assert row.locator(".st-moved").inner_text() == "-3"
    assert row.locator(".st-will-set").inner_text() == "11"  # 14 counted, 3 sold since
