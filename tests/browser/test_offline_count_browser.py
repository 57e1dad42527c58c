"""Counting with a connection that comes and goes, in Chromium at 390 x 844 with the service
worker running: scans kept on the device while offline, through a reload (the worker's offline
shell), delivered once the connection is back; counted once when an answer is lost; netted at
the time they were made; and shown as late when the count closed meanwhile.

Chromium's offline emulation (`context.set_offline`) covers the service worker's own fetches
here: the reload while offline gets the shell because the worker's network try fails, as on a
phone with no signal (checked below by the shell's text, which only the worker can serve)."""

import os
import time
from types import SimpleNamespace

import pytest
from django.db.models import Sum

from inventory.models import Adjustment, Stocktake, StocktakeScan
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes import services as stocktakes
from tests.browser.conftest import DESKTOP, PHONE, assert_no_sideways_scroll, log_in
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

# serialized_rollback, like the browser modules around it: on PostgreSQL a plain transactional
# module before a serialized one leaves the content types under new ids, which the serialized
# one then cannot restore (tests/browser/test_camera_browser.py).
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHELL_TEXT = "You are offline. Scans are saved on this phone and sent when the connection is back"


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=PHONE, service_workers="allow")
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def shop():
    location = LocationFactory(code="BK", label="Back store")
    items = {
        "shirt": ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931"),
        "mug": ItemFactory(sku="MUG", name="Enamel mug", barcode="4006381333948"),
        "cap": ItemFactory(sku="CAP", name="Wool cap", barcode="4006381333955"),
    }
    for item in items.values():
        set_stock(item, location, 10)
    clerk = store_staff(location, username="sam")
    count = stocktakes.start_stocktake(location=location, actor=clerk)
    return SimpleNamespace(location=location, items=items, clerk=clerk, count=count)


def shot(page, name: str) -> None:
    """Screenshots at 390 and 1280 px wide for a person to look at, when STOCKROOM_SHOTS names
    a folder."""
    folder = os.environ.get("STOCKROOM_SHOTS")
    if not folder:
        return
    os.makedirs(folder, exist_ok=True)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.screenshot(
            path=os.path.join(folder, f"{name}-{viewport['width']}.png"), full_page=True
        )
    page.set_viewport_size(PHONE)


def scan(page, code: str) -> None:
    """A keyboard-wedge scanner: the code typed fast, then Enter."""
    page.keyboard.type(code, delay=2)
    page.keyboard.press("Enter")


def open_count(page, live_server, count) -> None:
    """Sign in, open the count page, and wait until the service worker controls it (on a first
    visit the page is claimed once the worker has cached everything)."""
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/")
    page.evaluate("navigator.serviceWorker.ready")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    page.wait_for_function("!!navigator.serviceWorker.controller")
    banner_says(page, "All scans saved")
    page.focus("input.st-code")


def banner_says(page, text: str) -> None:
    page.wait_for_selector(f"#scan-banner .st-banner-text >> text='{text}'")


def counted(count) -> dict[str, int]:
    return dict(
        count.lines.filter(counted_quantity__isnull=False).values_list(
            "item__sku", "counted_quantity"
        )
    )


def scanner_codes(items) -> list[str]:
    """30 scans of three items, as a clerk goes along a shelf: by barcode and by SKU."""
    shirt, mug, cap = items["shirt"], items["mug"], items["cap"]
    return [shirt.barcode] * 12 + [mug.sku, mug.barcode] * 5 + [cap.barcode] * 8


def test_thirty_scans_offline_survive_a_reload_and_are_counted_once_back_online(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)

    context.set_offline(True)
    for code in scanner_codes(items):
        scan(page, code)
    banner_says(page, "30 scans waiting — you are offline")
    assert "SHIRT" not in counted(count)
    assert "+1 saved on this device" in page.inner_text("#last-scanned")
    assert "4006381333931 \N{MULTIPLICATION SIGN} 12" in page.inner_text("#scan-banner")
    assert_no_sideways_scroll(page)
    shot(page, "offline-banner")

    page.reload()  # no network: only the service worker can answer, with the shell
    page.wait_for_selector(f"text={SHELL_TEXT}")
    banner_says(page, "30 scans waiting — you are offline")
    assert page.inner_text("h1") == str(count)  # the name the real page left on the device
    assert StocktakeScan.objects.count() == 0
    assert_no_sideways_scroll(page)
    shot(page, "offline-shell")

    context.set_offline(False)
    page.wait_for_selector("#counted-lines >> text=SHIRT")  # the real page again
    banner_says(page, "All scans saved")
    assert counted(count) == {"SHIRT": 12, "MUG": 10, "CAP": 8}
    assert count.lines.aggregate(total=Sum("counted_quantity"))["total"] == 30
    assert StocktakeScan.objects.filter(stocktake=count).count() == 30
    assert set(StocktakeScan.objects.values_list("outcome", flat=True)) == {"counted"}
    assert page.inner_text("#counted-lines tr[data-sku=SHIRT] .st-counted").startswith("12")
    shot(page, "synced")


def test_the_shell_keeps_counting_and_sends_when_the_connection_is_back(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)

    context.set_offline(True)
    page.reload()
    page.wait_for_selector(f"text={SHELL_TEXT}")
    page.focus("input.st-code")
    for _ in range(2):
        scan(page, items["cap"].sku)
    # The camera's read (scanning/camera.js) is a scan like a typed one, kept on the device.
    taken = page.evaluate(
        """code => document.querySelector("input.st-code").dispatchEvent(new CustomEvent(
            "stockroom:scan", {detail: {code}, cancelable: true}))""",
        items["cap"].barcode,
    )
    assert taken is False  # the page took it (preventDefault): the camera does not submit
    banner_says(page, "3 scans waiting — you are offline")
    page.fill("input[name=quantity]", "5")
    page.fill("input.st-code", "MUG")
    page.press("input.st-code", "Enter")
    page.wait_for_selector("#scan-error >> text=Setting a count needs the connection")
    assert page.input_value("input[name=quantity]") == "5"  # kept for when it can be sent

    context.set_offline(False)
    page.wait_for_selector("#counted-lines >> text=CAP")
    banner_says(page, "All scans saved")
    assert counted(count) == {"CAP": 3}


def test_an_answer_lost_after_the_server_counted_does_not_count_twice(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)
    answered = []

    def lose_the_first_two_answers(route):
        if len(answered) < 2:
            response = route.fetch()  # the server counts the batch…
            answered.append(response.status)
            route.abort("connectionreset")  # …and its answer never arrives
        else:
            answered.append("through")
            route.continue_()

    page.route(f"**/stocktakes/{count.pk}/scans/", lose_the_first_two_answers)
    for code in scanner_codes(items):
        scan(page, code)

    banner_says(page, "All scans saved")
    assert answered[:2] == [200, 200]
    assert "through" in answered
    assert counted(count) == {"SHIRT": 12, "MUG": 10, "CAP": 8}
    assert StocktakeScan.objects.filter(stocktake=count).count() == 30
    assert len(set(StocktakeScan.objects.values_list("scan_id", flat=True))) == 30


def test_a_scan_made_offline_is_netted_against_a_sale_made_after_it(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    mug = items["mug"]
    open_count(page, live_server, count)

    context.set_offline(True)
    for _ in range(3):
        scan(page, mug.barcode)
    banner_says(page, "3 scans waiting — you are offline")
    time.sleep(0.05)  # the sale comes after the scans, as on the shop floor
    apply_adjustment(  # sold through the API while the phone is offline: 10 → 8
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=shop.location.pk, item_id=mug.pk, quantity=-2)],
    )

    context.set_offline(False)
    banner_says(page, "All scans saved")
    line = count.lines.get(item=mug)
    assert line.counted_quantity == 3
    assert line.expected_quantity == 10  # on hand when the scans were made, before the sale
    assert line.counted_at < Adjustment.objects.filter(kind="relative").latest("pk").created_at

    stocktakes.submit_stocktake(stocktake=count, actor=shop.clerk)
    manager(username="boss")
    page.context.clear_cookies()
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/review/")
    row = page.locator("tr", has_text="Enamel mug")
    assert row.locator(".st-expected").inner_text() == "10"
    assert row.locator(".st-variance").inner_text().startswith("-7")
    assert row.locator(".st-moved").inner_text() == "-2"
    assert row.locator(".st-will-set").inner_text() == "1"  # 3 counted, 2 sold since


def test_scans_held_while_the_count_was_submitted_arrive_late_and_change_nothing(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    shirt = items["shirt"]
    open_count(page, live_server, count)
    scan(page, shirt.sku)
    banner_says(page, "All scans saved")
    page.wait_for_selector("#counted-lines >> text=SHIRT")

    context.set_offline(True)
    for _ in range(3):
        scan(page, shirt.barcode)
    banner_says(page, "3 scans waiting — you are offline")
    page.wait_for_selector("#counted-lines tr[data-sku=SHIRT] >> text=+3 waiting")
    stocktakes.submit_stocktake(stocktake=count, actor=shop.clerk)  # from another phone

    context.set_offline(False)
    page.wait_for_selector(
        "text=3 scans arrived after this count was submitted — a manager sees them on the review"
    )
    banner_says(page, "All scans saved")
    assert page.is_disabled("input.st-code")  # scanning on would only add late scans
    assert page.inner_text(".st-meta .st-status") == "Submitted"
    shot(page, "late")
    count.refresh_from_db()
    assert count.status == Stocktake.Status.SUBMITTED
    assert counted(count) == {"SHIRT": 1}
    outcomes = list(StocktakeScan.objects.filter(stocktake=count).values_list("outcome", flat=True))
    assert sorted(outcomes) == ["counted", "late", "late", "late"]
    time.sleep(1)
    assert page.url.endswith(f"/stocktakes/{count.pk}/")  # still here, saying so


def test_scans_made_after_the_session_ended_wait_for_a_sign_in(context, page, live_server, shop):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)

    context.clear_cookies()  # signed out (the session ended, or another tab logged out)
    scan(page, items["cap"].sku)
    scan(page, items["cap"].sku)
    banner_says(page, "Sign in again to send 2 waiting scans")
    link = page.get_attribute("#scan-banner [data-banner-login]", "href")
    assert link.endswith(f"?next=%2Fstocktakes%2F{count.pk}%2F")
    assert StocktakeScan.objects.count() == 0

    page.click("#scan-banner [data-banner-login]")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/stocktakes/{count.pk}/")  # where the scans waited
    banner_says(page, "All scans saved")
    assert counted(count) == {"CAP": 2}


def test_a_refused_scan_is_kept_and_shown_and_does_not_hold_the_others(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)
    posts = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    # A scan the server refuses (its code is too long), as an older page could have kept it.
    page.evaluate(
        """pk => new Promise((resolve, reject) => {
            const open = indexedDB.open("stockroom-counting", 1);
            open.onsuccess = () => {
                const tx = open.result.transaction("scans", "readwrite");
                tx.objectStore("scans").add({id: crypto.randomUUID(), stocktake: pk,
                    code: "X".repeat(300), at: new Date().toISOString(), quantity: 1, seq: 1});
                tx.oncomplete = resolve;
                tx.onerror = reject;
            };
        })""",
        count.pk,
    )
    scan(page, items["mug"].sku)

    page.wait_for_selector("#scan-banner >> text=1 scan could not be sent: Give the scanned code")
    banner_says(page, "All scans saved")  # the mug went on
    assert counted(count) == {"MUG": 1}
    assert StocktakeScan.objects.count() == 1
    time.sleep(2)
    assert len(posts) <= 3  # refused once, not again and again
    assert page.is_visible("#scan-banner [data-banner-retry]")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#scan-banner [data-banner-discard]")
    page.wait_for_selector("#scan-banner [data-banner-detail]", state="hidden")
    assert StocktakeScan.objects.count() == 1


def test_scans_left_in_a_closed_tab_are_sent_from_the_next_stocktake_page(
    context, page, live_server, shop
):
    items, count = shop.items, shop.count
    open_count(page, live_server, count)
    context.set_offline(True)
    for _ in range(3):
        scan(page, items["shirt"].barcode)
    banner_says(page, "3 scans waiting — you are offline")
    page.close()  # the tab closed, its scans on the device
    stocktakes.submit_stocktake(stocktake=count, actor=shop.clerk)
    context.set_offline(False)

    later = context.new_page()
    later.goto(f"{live_server.url}/stocktakes/")
    later.wait_for_selector(
        f"text=3 scans left on this device for {count} arrived after it was submitted"
    )
    assert list(StocktakeScan.objects.values_list("outcome", flat=True)) == ["late"] * 3
    assert counted(count) == {}
