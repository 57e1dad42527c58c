"""Scanning with a phone's camera (scanning/camera.js), in Debian's Chromium: its fake camera
plays a video the test renders (tests/browser/fake_camera.py): a printed EAN-13, then a Code 128,
each held in view for a couple of seconds. Chromium on Linux has no BarcodeDetector, so ZXing
(vendored) decodes them. Each barcode counts once however many frames show it, on the count page
and on the receiving page; where the camera cannot work the page says why and typing still
works. Every page runs under the real Content-Security-Policy and must raise no violation."""

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.urls import reverse

from inventory.models import ReceivingEvent, Stocktake
from inventory.movements.services import Planned, Who, create_receipt
from inventory.stocktakes.services import start_stocktake
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    PHONE,
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.browser.fake_camera import barcode_label, write_video
from tests.browser.test_csp_browser import RECORD_VIOLATIONS
from tests.factories import ItemFactory, LocationFactory, set_stock, store_staff

# serialized_rollback, like the other browser modules around it: a plain transactional test
# flushes the tables and lets migrations recreate the content types under new ids, and on
# PostgreSQL the serialized_rollback modules that run after it then fail to restore theirs.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

SHIRT_EAN = "4006381333931"
MUG_SKU = "MUG-12"
INSECURE_HOST = "stockroom.test"  # resolves to 127.0.0.1, yet is no secure context: not localhost
# Screenshots of the camera view for a person to look at, when this names a folder.
SHOTS = os.environ.get("CAMERA_SHOTS")

# Runs before the page's scripts: what the camera handed to the page, and every note it showed
# under the picture (the proof that a barcode was read again while it stayed in view).
RECORD_SCANS = """
window.__scans = [];
window.__notes = [];
document.addEventListener('stockroom:scan', (event) => window.__scans.push(event.detail.code), true);
document.addEventListener('DOMContentLoaded', () => {
    const last = document.querySelector('[data-camera-last]');
    if (!last) return;
    new MutationObserver(() => window.__notes.push(last.textContent.trim()))
        .observe(last, {subtree: true, childList: true, characterData: true});
});
"""

# Chrome on Android has a BarcodeDetector that reads every format asked for; Chromium on Linux
# has none. This stand-in sees the shirt's EAN-13 in every frame, as if it were held in view.
FAKE_DETECTOR = """
window.__detects = 0;
window.BarcodeDetector = class {
    static getSupportedFormats() {
        return Promise.resolve(['aztec', 'code_128', 'code_39', 'ean_13', 'ean_8', 'itf',
                                'qr_code', 'upc_a', 'upc_e']);
    }
    constructor(options) { window.__detectorFormats = options.formats; }
    detect(source) {
        window.__detects += 1;
        return Promise.resolve([{
            rawValue: '__CODE__', format: 'ean_13',
            cornerPoints: [{x: 100, y: 150}, {x: 380, y: 150}, {x: 380, y: 210}, {x: 100, y: 210}],
        }]);
    }
};
""".replace("__CODE__", SHIRT_EAN)


@pytest.fixture(scope="module")
def video(tmp_path_factory) -> Iterator[Path]:
    """Nothing, the EAN-13 for 2 s, nothing, the Code 128 for 2 s, then nothing for long
    enough that each test is over before Chromium plays the file again from its start."""
    path = tmp_path_factory.mktemp("camera") / "barcodes.y4m"
    ean = barcode_label("ean13", SHIRT_EAN[:12])
    code128 = barcode_label("code128", MUG_SKU)
    yield write_video(path, [(None, 1.0), (ean, 2.0), (None, 1.4), (code128, 2.0), (None, 20)])
    path.unlink()  # raw frames: tens of megabytes


@pytest.fixture
def camera_browser(browser, video):
    """A Chromium of its own whose camera plays `video` from its first frame, for each test."""
    chromium = browser.browser_type.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
        ],
    )
    yield chromium
    chromium.close()


def open_page(chromium, viewport, *, camera_allowed=True, detector=False):
    context = chromium.new_context(
        viewport=viewport, permissions=["camera"] if camera_allowed else []
    )
    context.add_init_script(RECORD_VIOLATIONS)
    context.add_init_script(RECORD_SCANS)
    if detector:
        context.add_init_script(FAKE_DETECTOR)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    return page


def assert_no_violation(page) -> None:
    assert page.evaluate("window.__cspViolations") == []
    assert [text for text in page.console_errors if "Content Security Policy" in text] == []


def wait_until(page, expression: str, seconds: float = 10) -> None:
    """Poll `expression` from here: Playwright's wait_for_function evaluates its predicate with
    eval(), which the page's policy rightly refuses."""
    deadline = time.monotonic() + seconds
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"still false after {seconds} s: {expression}"
        page.wait_for_timeout(100)


def shoot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=False)


def scan_with_camera(page, name: str) -> None:
    """Press the button, then let the whole video's barcodes pass in front of the camera: both
    handed to the page, and the Code 128 read again while it stayed in view."""
    assert page.evaluate("'BarcodeDetector' in window") is False  # so ZXing decodes here
    page.click("text=Scan with camera")
    page.wait_for_selector("[data-camera-status] >> text=Hold a barcode across")
    page.wait_for_selector(f"[data-camera-code] >> text={SHIRT_EAN}")
    page.wait_for_selector(".cam-outline.cam-seen")
    shoot(page, name)
    page.wait_for_selector(f"[data-camera-code] >> text={MUG_SKU}")
    wait_until(page, "window.__notes.some(note => note.includes('still in view'))")
    # Until the Code 128 is out of view, and a little longer.
    wait_until(page, "document.querySelector('.cam-outline.cam-seen') === null")
    page.wait_for_timeout(1000)
    assert page.evaluate("window.ZXing !== undefined")
    assert page.evaluate("window.__scans") == [SHIRT_EAN, MUG_SKU]


def test_the_camera_counts_each_barcode_once_on_a_phone(camera_browser, live_server):
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode=SHIRT_EAN)
    mug = ItemFactory(sku=MUG_SKU, name="Enamel mug", barcode="4006381333948")
    hat = ItemFactory(sku="HAT", name="Wool hat", barcode="4006381333955")
    for item in (shirt, mug, hat):
        set_stock(item, downtown, 5)
    clerk = store_staff(downtown, username="sam")
    stocktake = start_stocktake(location=downtown, actor=clerk)
    page = open_page(camera_browser, PHONE)
    log_in(page, live_server, "sam")
    page.goto(live_server.url + reverse("stocktakes:count", args=[stocktake.pk]))
    assert_tappable(page, ".cam-start")

    scan_with_camera(page, "count-phone")
    page.wait_for_selector("#counted-lines >> text=SHIRT")
    page.wait_for_selector(f"#counted-lines >> text={MUG_SKU}")
    assert_on_screen(page, "video[data-camera-video]")
    assert_tappable(page, ".cam-stop")
    assert_no_sideways_scroll(page)
    page.click("text=Stop camera")

    assert page.locator("[data-camera-panel]").is_hidden()
    assert page.evaluate("document.querySelector('[data-camera-video]').srcObject") is None
    page.wait_for_load_state("networkidle")
    counts = dict(stocktake.lines.values_list("item__sku", "counted_quantity"))
    assert counts == {"SHIRT": 1, MUG_SKU: 1}  # many frames each, one count each
    assert Stocktake.objects.get().status == Stocktake.Status.COUNTING
    assert_no_violation(page)


def test_the_camera_adds_one_unit_on_the_receiving_page(camera_browser, live_server):
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode=SHIRT_EAN)
    mug = ItemFactory(sku=MUG_SKU, name="Enamel mug", barcode="4006381333948")
    clerk = store_staff(downtown, username="clerk")
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        lines=[Planned(shirt, 6), Planned(mug, 4)],
        who=Who(actor=clerk),
    )
    line = {line.item.sku: line for line in receipt.lines.select_related("item")}
    page = open_page(camera_browser, DESKTOP)
    log_in(page, live_server, "clerk")
    page.goto(live_server.url + reverse("movements:receipt_receive", args=[receipt.pk]))

    scan_with_camera(page, "receive-desktop")
    page.click("text=Stop camera")

    assert page.input_value(f"#id_received_{line['SHIRT'].pk}") == "1"
    assert page.input_value(f"#id_received_{line[MUG_SKU].pk}") == "1"
    assert page.inner_text("#rc-total") == "2"
    assert "Enamel mug" in page.inner_text("#rc-feedback")
    assert not ReceivingEvent.objects.exists()  # the camera's scans wait for "Receive" too
    page.click("button[value=receive]")
    page.wait_for_url(live_server.url + reverse("movements:receipt", args=[receipt.pk]))
    received = dict(receipt.lines.values_list("item__sku", "received"))
    assert received == {"SHIRT": 1, MUG_SKU: 1}
    assert_no_violation(page)


def test_the_browsers_own_detector_is_used_where_it_reads_every_format(camera_browser, live_server):
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode=SHIRT_EAN)
    set_stock(shirt, downtown, 5)
    clerk = store_staff(downtown, username="sam")
    stocktake = start_stocktake(location=downtown, actor=clerk)
    page = open_page(camera_browser, PHONE, detector=True)
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    log_in(page, live_server, "sam")
    page.goto(live_server.url + reverse("stocktakes:count", args=[stocktake.pk]))

    page.click("text=Scan with camera")
    page.wait_for_selector("#counted-lines >> text=SHIRT")
    wait_until(page, "window.__detects >= 10")  # the same code in every frame since
    page.click("text=Stop camera")

    page.wait_for_load_state("networkidle")
    assert stocktake.lines.get(item=shirt).counted_quantity == 1
    assert page.evaluate("window.__scans") == [SHIRT_EAN]
    assert sorted(page.evaluate("window.__detectorFormats")) == [
        "code_128",
        "ean_13",
        "ean_8",
        "qr_code",
        "upc_a",
        "upc_e",
    ]
    assert page.evaluate("window.ZXing === undefined")
    assert not [url for url in requested if "zxing" in url]  # the vendored file was not needed
    assert_no_violation(page)


def test_a_refused_camera_says_how_to_allow_it(camera_browser, live_server):
    downtown = LocationFactory(code="DT", label="Downtown")
    clerk = store_staff(downtown, username="sam")
    stocktake = start_stocktake(location=downtown, actor=clerk)
    page = open_page(camera_browser, PHONE, camera_allowed=False)
    log_in(page, live_server, "sam")
    page.goto(live_server.url + reverse("stocktakes:count", args=[stocktake.pk]))

    page.click("text=Scan with camera")

    problem = page.locator("[data-camera-problem]")
    problem.wait_for()
    assert "blocked" in problem.inner_text()
    assert "allow" in problem.inner_text()
    assert page.locator("[data-camera-panel]").is_hidden()
    assert_no_sideways_scroll(page)
    assert_no_violation(page)


def test_without_a_secure_address_the_page_says_why_and_typing_still_works(
    camera_browser, live_server, settings
):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, INSECURE_HOST]
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode=SHIRT_EAN)
    set_stock(shirt, downtown, 5)
    clerk = store_staff(downtown, username="sam")
    stocktake = start_stocktake(location=downtown, actor=clerk)
    page = open_page(camera_browser, PHONE)
    base = live_server.url.replace("localhost", INSECURE_HOST).replace("127.0.0.1", INSECURE_HOST)
    assert INSECURE_HOST in base
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "sam")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")
    page.goto(f"{base}{reverse('stocktakes:count', args=[stocktake.pk])}")
    assert page.evaluate("window.isSecureContext") is False

    page.click("text=Scan with camera")

    problem = page.locator("[data-camera-problem]")
    problem.wait_for()
    assert "https://" in problem.inner_text()
    assert "Type the code or use a scanner" in problem.inner_text()
    assert page.locator("[data-camera-panel]").is_hidden()
    shoot(page, "insecure-phone")
    assert_no_sideways_scroll(page)
    page.fill("input.st-code", SHIRT_EAN)
    page.press("input.st-code", "Enter")
    page.wait_for_selector("#counted-lines >> text=SHIRT")
    assert stocktake.lines.get(item=shirt).counted_quantity == 1
    assert_no_violation(page)
