"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against
pytest-django's live_server."""

import os
import shutil

import pytest
from playwright.sync_api import sync_playwright

# Playwright's sync API runs an event loop in this thread; the ORM calls that set up and check
# each test are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM):
        return
    skip = pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def page(request, browser):
    context = browser.new_context(viewport=request.param)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def log_in(page, live_server, username: str, password: str = "pw") -> None:
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


@pytest.fixture
def phone_page(browser):
    """One page at 390 x 844, for tests that are about the phone layout alone."""
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def assert_no_sideways_scroll(page) -> None:
    """The page is no wider than its viewport: nothing makes a phone scroll sideways."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px viewport"


def assert_on_screen(page, selector: str) -> None:
    """Every element `selector` matches (at least one) lies within the viewport's width, so a
    reader sees it without scrolling sideways, and is not hidden."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left, r.right, r.width, r.height]; })"
    )
    assert boxes, f"nothing matches {selector!r}"
    width = page.viewport_size["width"]
    for left, right, box_width, height in boxes:
        assert box_width > 0, f"{selector!r} is hidden"
        assert height > 0, f"{selector!r} is hidden"
        assert left >= 0, f"{selector!r} starts {left} px off the left edge"
        assert right <= width, f"{selector!r} ends at {right} px in a {width} px viewport"


def assert_tappable(page, selector: str, minimum: int = 44) -> None:
    """Every element `selector` matches is at least `minimum` px tall and wide: a finger's tap
    target (Apple's and Google's guidelines)."""
    boxes = page.locator(selector).evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.width, r.height]; })"
    )
    assert boxes, f"nothing matches {selector!r}"
    for box_width, height in boxes:
        assert box_width >= minimum, f"{selector!r} is {box_width} px wide"
        assert height >= minimum, f"{selector!r} is {height} px tall"
