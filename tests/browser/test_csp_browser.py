"""Every kind of page works under the Content-Security-Policy: the admin (lists, filters, forms
with their widgets, the SVG charts, the dashboards), the stocktake pages (scanning through
count.js) and Swagger UI. A page that needed an inline script, an inline event handler or a
resource from elsewhere would raise a `securitypolicyviolation` event or a console error; none
may. A control shows that an inline script is indeed refused and reported."""

import pytest
from django.urls import reverse

from inventory.models import Adjustment, Balance, Stocktake
from inventory.stock import LineInput, apply_adjustment
from tests.browser.conftest import DESKTOP, log_in
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Runs before any script of each page: collects what the policy refused.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (event) => {
    window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture
def watched_page(browser):
    """A desktop page that records policy violations and console errors."""
    context = browser.new_context(viewport=DESKTOP)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.console_errors = []
    page.on(
        "console",
        lambda message: message.type == "error" and page.console_errors.append(message.text),
    )
    yield page
    context.close()


def assert_no_violation(page, what: str) -> None:
    violations = page.evaluate("window.__cspViolations")
    refusals = [text for text in page.console_errors if "Content Security Policy" in text]
    assert violations == [], f"{what}: {violations}"
    assert refusals == [], f"{what}: {refusals}"


def visit(page, url: str, what: str) -> None:
    response = page.goto(url)
    assert response.status == 200, what
    assert "script-src 'self'" in response.headers["content-security-policy"], what
    page.wait_for_load_state("networkidle")
    assert_no_violation(page, what)


@pytest.fixture
def shop(db):
    location = LocationFactory(code="DT", label="Downtown")
    item = ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")
    set_stock(item, location, 12, reason="Opening stock")
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        reason="Order 1001",
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=-9)],
    )
    manager(username="boss", is_superuser=True)
    return Balance.objects.get(item=item, location=location)


def test_the_back_office_works_under_the_policy(watched_page, live_server, shop):
    page, base = watched_page, live_server.url
    log_in(page, live_server, "boss")
    assert_no_violation(page, "login")
    pages = {
        "admin index": reverse("admin:index"),
        "history, filtered": reverse("admin:inventory_adjustmentline_changelist")
        + f"?location={shop.location_id}",
        "balance list": reverse("admin:inventory_balance_changelist"),
        "balance chart": reverse("admin:inventory_balance_change", args=[shop.pk]),
        "item chart": reverse("admin:inventory_item_change", args=[shop.item_id]),
        "dashboard": reverse("admin:inventory_dashboard_location", args=[shop.location_id]),
        "adjust stock": reverse("admin:inventory_balance_adjust"),
        "new API client (two-list widget)": reverse("admin:inventory_apiclient_add"),
        "location (collapsible sections)": reverse(
            "admin:locations_location_change", args=[shop.location_id]
        ),
        "login locks": reverse("admin:axes_accessattempt_changelist"),
    }
    for what, url in pages.items():
        visit(page, base + url, what)
    # The widgets' scripts ran: the two-list location chooser was built by SelectFilter2.js.
    page.goto(base + pages["new API client (two-list widget)"])
    page.wait_for_selector(".selector-available")
    assert_no_violation(page, "two-list widget")


def test_the_stocktake_pages_work_under_the_policy(watched_page, live_server, shop):
    page, base = watched_page, live_server.url
    log_in(page, live_server, "boss")

    visit(page, f"{base}/stocktakes/", "stocktake list")
    page.select_option("#start-form select[name=location]", str(shop.location_id))
    page.click("#start-form button[type=submit]")
    page.wait_for_selector("input.st-code")
    page.focus("input.st-code")
    page.keyboard.type(shop.item.barcode, delay=5)
    page.keyboard.press("Enter")
    page.wait_for_selector("#last-scanned >> text=SHIRT")  # count.js posted the scan

    assert_no_violation(page, "counting")
    stocktake = Stocktake.objects.get()
    assert stocktake.lines.get().counted_quantity == 1
    visit(page, f"{base}/stocktakes/{stocktake.pk}/sheet/", "count sheet")


def test_swagger_ui_works_under_the_policy(watched_page, live_server, db):
    page = watched_page

    visit(page, f"{live_server.url}/api/docs/", "Swagger UI")

    page.wait_for_selector(".opblock-tag")  # the operations, drawn from /api/schema/
    assert page.locator(".opblock").count() > 10
    assert_no_violation(page, "Swagger UI")


def test_an_inline_script_is_refused_and_reported(watched_page, live_server, db):
    # The control: the checks above can fail.
    page = watched_page
    page.goto(f"{live_server.url}/admin/login/")

    with pytest.raises(Exception, match="Content Security Policy"):
        page.add_script_tag(content="window.__ran = true")

    assert page.evaluate("window.__ran") is None
    assert page.evaluate("window.__cspViolations")
