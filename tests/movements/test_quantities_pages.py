"""Stock on its way in the back office: the balance list, the balance page, the item page and
the dashboards show on-hand, available, incoming and in transit out as they stand after each
step of a transfer or a supplier receipt, explain them per document, link the documents only
for those who may open them, and cost the same queries whatever the number of balances."""

import json
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import Balance, SupplierReceipt
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)
from inventory.reports.moving_stock import short_date
from inventory.stocktakes import services as stocktakes
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:inventory_balance_changelist")


@pytest.fixture
def boss():
    return manager(username="boss")


@pytest.fixture
def shop(boss):
    """The warehouse holds 50 shirts, downtown 4: 12 are shipped from the warehouse to
    downtown (T), and 8 are expected downtown from Acme Textiles (R, PO-1001)."""
    warehouse = LocationFactory(code="WH", label="Warehouse")
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Crew shirt")
    set_stock(shirt, warehouse, 50)
    set_stock(shirt, downtown, 4)
    who = Who(actor=boss)
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(shirt, 12)], who=who
    )
    transfer = ship_transfer(transfer=transfer, who=who)
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        expected_on=timezone.localdate() + timedelta(days=5),
        lines=[Planned(shirt, 8)],
        who=who,
    )
    return {
        "warehouse": warehouse,
        "downtown": downtown,
        "shirt": shirt,
        "transfer": transfer,
        "receipt": receipt,
        "who": who,
    }


def balance(shop, code: str) -> Balance:
    location = shop["warehouse" if code == "WH" else "downtown"]
    return Balance.objects.get(item=shop["shirt"], location=location)


def cells(page: str, balance_pk: int) -> dict[str, str]:
    """The balance list's row of one balance: its cells' text by column."""
    link = reverse("admin:inventory_balance_change", args=[balance_pk])
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)
    row = next(row for row in rows if f'href="{link}"' in row)
    found = re.findall(r'<t[dh][^>]*class="field-(\w+)[^"]*"[^>]*>(.*?)</t[dh]>', row, re.S)
    return {name: re.sub(r"<[^>]+>", "", text).strip() for name, text in found}


def figures(page: str) -> dict[str, str]:
    """The balance page's summary: its figures by their labels."""
    pairs = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page, re.S)
    return {label: re.sub(r"<[^>]+>", "", value).split()[0] for label, value in pairs}


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def viewer(*locations):
    """Sees the stock at its locations, but not the transfer and receipt pages."""
    user = UserFactory()
    for codename in ("view_balance", "view_item"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    for location in locations:
        location.staff.add(user)
    return user


# The balance list


def test_the_list_shows_each_balance_named_quantities_after_shipping(client, boss, shop):
    client.force_login(boss)
    page = client.get(LIST_URL).content.decode()

    warehouse = cells(page, balance(shop, "WH").pk)
    downtown = cells(page, balance(shop, "DT").pk)
    assert (warehouse["on_hand"], warehouse["incoming"], warehouse["in_transit_out"]) == (
        "38",
        "0",
        "12",
    )
    assert (downtown["on_hand"], downtown["incoming"], downtown["in_transit_out"]) == (
        "4",
        "20",
        "0",
    )


def test_the_list_follows_a_partial_receiving_and_a_receipt(client, boss, shop):
    shirt, who = shop["shirt"], shop["who"]
    receive_transfer(
        transfer=shop["transfer"], arrivals=[Arrival(shirt, received=5, damaged=1)], who=who
    )
    receive_receipt(receipt=shop["receipt"], arrivals=[Arrival(shirt, received=8)], who=who)
    client.force_login(boss)
    page = client.get(LIST_URL).content.decode()

    warehouse = cells(page, balance(shop, "WH").pk)
    downtown = cells(page, balance(shop, "DT").pk)
    # Downtown: 4 + 5 received + 8 delivered; 6 still in transit (one was damaged).
    assert (downtown["on_hand"], downtown["available"], downtown["incoming"]) == ("17", "17", "6")
    assert (warehouse["on_hand"], warehouse["in_transit_out"]) == ("38", "6")


def test_a_figure_links_to_the_balance_page_that_explains_it(client, boss, shop):
    client.force_login(boss)
    page = client.get(LIST_URL).content.decode()

    url = reverse("admin:inventory_balance_change", args=[balance(shop, "DT").pk])
    assert f'href="{url}#moving-stock">20</a>' in page


def test_the_list_costs_the_same_queries_for_2_and_20_balances_on_their_way(
    client, boss, shop, django_assert_max_num_queries
):
    client.force_login(boss)
    client.get(LIST_URL)  # caches warmed
    with CaptureQueriesContext(connection) as few:
        client.get(LIST_URL)
    who, warehouse, downtown = shop["who"], shop["warehouse"], shop["downtown"]
    items = [ItemFactory() for _ in range(9)]
    for item in items:
        set_stock(item, warehouse, 10)
        set_stock(item, downtown, 1)
    transfer = create_transfer(
        origin=warehouse,
        destination=downtown,
        lines=[Planned(item, 3) for item in items],
        who=who,
    )
    ship_transfer(transfer=transfer, who=who)
    create_receipt(
        location=downtown, supplier="Acme", lines=[Planned(item, 2) for item in items], who=who
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(LIST_URL).content.decode()

    row = cells(page, Balance.objects.get(item=items[0], location=downtown).pk)
    assert row["incoming"] == "5"


# The balance page


def test_the_balance_page_explains_incoming_per_document(client, boss, shop):
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_balance_change", args=[balance(shop, "DT").pk])
    ).content.decode()

    transfer, receipt = shop["transfer"], shop["receipt"]
    shipped = short_date(timezone.localdate(transfer.shipped_at))
    assert figures(page)["Incoming"] == "20"
    assert figures(page)["In transit out"] == "0"
    text = text_of(page)
    assert "Incoming at Downtown: 20" in text
    assert f"12 from Warehouse, shipped {shipped} ({transfer.number})" in text
    expected = short_date(receipt.expected_on)
    assert f"8 expected from Acme Textiles on {expected} ({receipt.number}, PO-1001)" in text
    assert f'<a href="{reverse("movements:transfer", args=[transfer.pk])}">' in page
    assert f'<a href="{reverse("movements:receipt", args=[receipt.pk])}">' in page


def test_the_origins_balance_page_explains_what_is_in_transit_out(client, boss, shop):
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_balance_change", args=[balance(shop, "WH").pk])
    ).content.decode()

    assert figures(page)["On hand"] == "38"
    assert figures(page)["In transit out"] == "12"
    assert "In transit from Warehouse: 12" in text_of(page)
    assert "12 to Downtown, shipped" in text_of(page)


def test_after_a_partial_receiving_the_page_shows_what_is_still_coming(client, boss, shop):
    shirt, who = shop["shirt"], shop["who"]
    receive_transfer(
        transfer=shop["transfer"], arrivals=[Arrival(shirt, received=5, damaged=1)], who=who
    )
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_balance_change", args=[balance(shop, "DT").pk])
    ).content.decode()

    assert figures(page)["On hand"] == "9"
    assert figures(page)["Incoming"] == "14"
    assert "6 from Warehouse, shipped" in text_of(page)


def test_a_late_delivery_says_so(client, boss, shop):
    SupplierReceipt.objects.filter(pk=shop["receipt"].pk).update(
        expected_on=timezone.localdate() - timedelta(days=2)
    )
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_balance_change", args=[balance(shop, "DT").pk])
    ).content.decode()

    due = short_date(timezone.localdate() - timedelta(days=2))
    assert f"8 expected from Acme Textiles, due {due} (late)" in text_of(page)


def test_a_balance_with_nothing_on_its_way_has_no_explanation(client, boss, shop):
    other = ItemFactory()
    set_stock(other, shop["downtown"], 3)
    client.force_login(boss)
    page = client.get(
        reverse(
            "admin:inventory_balance_change",
            args=[Balance.objects.get(item=other, location=shop["downtown"]).pk],
        )
    ).content.decode()

    assert figures(page)["Incoming"] == "0"
    assert 'id="moving-stock"' not in page


def test_documents_are_not_linked_for_who_may_not_open_them(client, shop):
    client.force_login(viewer(shop["downtown"]))
    page = client.get(
        reverse("admin:inventory_balance_change", args=[balance(shop, "DT").pk])
    ).content.decode()

    transfer, receipt = shop["transfer"], shop["receipt"]
    assert f"({transfer.number})" in text_of(page)
    assert f"({receipt.number}, PO-1001)" in text_of(page)
    assert "/transfers/" not in page
    assert "/receipts/" not in page


# The item page


def test_the_item_page_shows_the_quantities_per_location_and_their_documents(client, boss, shop):
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_item_change", args=[shop["shirt"].pk])
    ).content.decode()

    rows = {
        re.sub(r"<[^>]+>", "", location).strip(): (available, incoming, out)
        for location, available, incoming, out in re.findall(
            r'field-location">(.*?)</td>.*?field-available">\s*<p>(.*?)</p>'
            r'.*?field-incoming">\s*<p>(.*?)</p>.*?field-in_transit_out">\s*<p>(.*?)</p>',
            page,
            re.S,
        )
    }
    assert rows["Downtown"] == ("4", "20", "0")
    assert rows["Warehouse"] == ("38", "0", "12")
    text = text_of(page)
    assert "Incoming at Downtown: 20" in text
    assert "In transit from Warehouse: 12" in text
    assert f'href="{reverse("movements:transfer", args=[shop["transfer"].pk])}"' in page


def test_the_item_page_links_no_document_for_who_may_not_open_them(client, shop):
    client.force_login(viewer(shop["downtown"], shop["warehouse"]))
    page = client.get(
        reverse("admin:inventory_item_change", args=[shop["shirt"].pk])
    ).content.decode()

    assert "Incoming at Downtown: 20" in text_of(page)
    assert "/transfers/" not in page
    assert "/receipts/" not in page


# The dashboards


def test_the_dashboards_show_units_on_their_way(client, boss, shop):
    shirt, who = shop["shirt"], shop["who"]
    receive_transfer(
        transfer=shop["transfer"], arrivals=[Arrival(shirt, received=5, damaged=1)], who=who
    )
    client.force_login(boss)
    index = text_of(client.get(reverse("admin:inventory_dashboard")).content.decode())
    downtown = client.get(
        reverse("admin:inventory_dashboard_location", args=[shop["downtown"].pk])
    ).content.decode()
    warehouse = client.get(
        reverse("admin:inventory_dashboard_location", args=[shop["warehouse"].pk])
    ).content.decode()

    # Location, its code, below warning, out of stock, incoming, in transit out.
    assert re.search(r"Downtown DT \d+ \d+ 14 0", index)
    assert re.search(r"Warehouse WH \d+ \d+ 0 6", index)
    assert "On its way (1 item)" in downtown
    assert re.search(r"SHIRT.*?Crew shirt.*?>14<.*?>0<", downtown, re.S)
    assert re.search(r"SHIRT.*?Crew shirt.*?>0<.*?>6<", warehouse, re.S)


def test_a_location_with_nothing_on_its_way_says_so(client, boss, shop):
    quiet = LocationFactory(label="Kiosk")
    client.force_login(boss)
    page = client.get(reverse("admin:inventory_dashboard_location", args=[quiet.pk]))

    assert "Nothing is in transit to or from Kiosk" in page.content.decode()


def test_the_dashboards_cost_the_same_queries_for_more_items_on_their_way(
    client, boss, shop, django_assert_max_num_queries
):
    url = reverse("admin:inventory_dashboard_location", args=[shop["downtown"].pk])
    client.force_login(boss)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    who = shop["who"]
    create_receipt(
        location=shop["downtown"],
        supplier="Acme",
        lines=[Planned(ItemFactory(), 2) for _ in range(15)],
        who=who,
    )

    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "On its way (16 items)" in page


def test_the_item_page_explains_a_first_delivery_where_it_has_no_stock_yet(client, boss, shop):
    kiosk = LocationFactory(label="Kiosk")
    create_receipt(
        location=kiosk,
        supplier="Acme Textiles",
        lines=[Planned(shop["shirt"], 5)],
        who=shop["who"],
    )
    client.force_login(boss)
    page = client.get(
        reverse("admin:inventory_item_change", args=[shop["shirt"].pk])
    ).content.decode()

    assert "Incoming at Kiosk: 5" in text_of(page)
    assert "5 expected from Acme Textiles (R-" in text_of(page)


def test_the_item_page_explains_nothing_a_blind_count_hides(client, shop):
    clerk = store_staff(shop["downtown"])
    client.force_login(clerk)
    url = reverse("admin:inventory_item_change", args=[shop["shirt"].pk])
    before = client.get(url).content.decode()
    stocktakes.start_stocktake(
        location=shop["downtown"], actor=manager(), items=[shop["shirt"]], blind=True
    )

    response = client.get(url)

    assert "Incoming at Downtown: 20" in text_of(before)
    assert response.status_code == 200
    assert "Incoming at Downtown" not in text_of(response.content.decode())


# At 390 px

# The phone's page, measured by Chromium in a process of its own: Playwright's synchronous API
# runs one instance per thread, and the browser tests' session-wide instance may be running.
MEASURE_PHONE = """
import json, sys
from playwright.sync_api import sync_playwright

url, chromium, args, viewport = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
boxes = "els => els.map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.top, r.width, r.height]; })"
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=args)
    page = browser.new_context(viewport=viewport).new_page()
    page.goto(url + "/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw")
    page.click("input[type=submit]")
    page.wait_for_url(url + "/admin/")
    page.goto(url + sys.argv[5])
    found = {"width": page.evaluate("[document.documentElement.scrollWidth, innerWidth]")}
    for name in ("on_hand", "available", "incoming", "in_transit_out"):
        found[name] = page.locator(f"#result_list tbody td.field-{name}").evaluate_all(boxes)
    found["labels"] = page.locator("#result_list tbody td.field-incoming").evaluate_all(
        "els => els.map(e => { const s = getComputedStyle(e, '::before');"
        " return [s.content, s.display, e.innerText]; })"
    )
    found["links"] = page.locator("#result_list tbody a").evaluate_all(boxes)
    page.click("#result_list tbody td.field-incoming a")
    page.wait_for_url("**/change/#moving-stock")
    found["explained"] = [page.url, page.locator("#moving-stock").inner_text()]
    found["explained_width"] = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    browser.close()
print(json.dumps(found))
"""


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_each_figure_reads_as_a_labelled_fact(live_server, boss, shop):
    arguments = [json.dumps(CHROMIUM_ARGS), json.dumps(PHONE)]
    path = f"{LIST_URL}?location={shop['downtown'].pk}"
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE_PHONE, live_server.url, CHROMIUM, *arguments, path],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(measured.stdout)

    width = PHONE["width"]
    assert found["width"][0] <= found["width"][1]  # no sideways scrolling
    for name in ("on_hand", "available", "incoming", "in_transit_out"):
        for left, right, _, box_width, _ in found[name]:
            assert left >= 0
            assert right <= width
            assert box_width > 0
    assert found["labels"] == [['"Incoming"', "block", "20"]]  # the label above its figure
    ((_, _, incoming_top, _, _),) = found["incoming"]
    ((_, _, out_top, out_width, _),) = found["in_transit_out"]
    # Side by side on a line of their own, each wide enough for its label on one line.
    assert out_top == incoming_top
    assert out_width >= 120
    assert all(box_width >= 44 and height >= 44 for *_, box_width, height in found["links"])
    url, explained = found["explained"]
    assert url.endswith("#moving-stock")
    assert "Incoming at Downtown: 20" in explained
    assert found["explained_width"][0] <= found["explained_width"][1]
