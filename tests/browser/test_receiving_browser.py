"""Receiving in the browser, end to end: a clerk scans a supplier delivery with a keyboard-wedge
scanner on a phone (each code typed, then Enter: one unit each, nothing sent until "Receive"),
a manager ships a transfer on its page and its destination receives it with one damaged unit; and
without JavaScript, the scanner's Enter adds a unit through the server and never receives."""

import pytest
from django.urls import reverse

from inventory.models import Balance, ReceivingEvent, SupplierReceipt, TransferOrder
from inventory.movements.services import (
    Planned,
    Who,
    create_receipt,
    create_transfer,
)
from tests.browser.conftest import (
    PHONE,
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def scan(page, code: str) -> None:
    """What a keyboard-wedge scanner does: type the code into the focused field, then Enter."""
    page.keyboard.type(code, delay=5)
    page.keyboard.press("Enter")


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def test_a_clerk_scans_a_supplier_delivery_on_a_phone(phone_page, live_server):
    page = phone_page
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")
    mug = ItemFactory(sku="MUG", name="Enamel mug", barcode="4006381333948")
    ItemFactory(sku="HAT", name="Wool hat", barcode="4006381333955")
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        lines=[Planned(shirt, 6), Planned(mug, 4)],
        who=Who(actor=manager()),
    )
    store_staff(downtown, username="clerk")

    log_in(page, live_server, "clerk")
    page.goto(live_server.url + reverse("movements:receipt_receive", args=[receipt.pk]))
    assert page.evaluate("document.activeElement.id") == "rc-code"
    assert_no_sideways_scroll(page)
    assert_on_screen(page, "#rc-code")
    assert_on_screen(page, "input.rc-qty")
    assert_tappable(page, "input.rc-qty")
    assert_tappable(page, ".rc-add")

    for code in (shirt.barcode, shirt.barcode, "SHIRT", mug.barcode):
        scan(page, code)
    page.wait_for_selector("#rc-feedback >> text=Enamel mug")
    scan(page, "0000000000017")  # no item has it
    scan(page, "4006381333955")  # an item, not on this delivery
    page.wait_for_selector("#rc-strays >> text=0000000000017")
    page.wait_for_selector("#rc-strays >> text=HAT · Wool hat")
    scan(page, "2*MUG")

    line = {line.item.sku: line for line in receipt.lines.select_related("item")}
    assert page.input_value(f"#id_received_{line['SHIRT'].pk}") == "3"
    assert page.input_value(f"#id_received_{line['MUG'].pk}") == "3"
    assert page.inner_text("#rc-total") == "6"
    assert page.evaluate("document.activeElement.id") == "rc-code"  # ready for the next scan
    assert not ReceivingEvent.objects.exists()  # scans stay on the page until "Receive"
    assert_no_sideways_scroll(page)

    page.click("button[value=receive]")
    page.wait_for_url(live_server.url + reverse("movements:receipt", args=[receipt.pk]))
    assert on_hand(shirt, downtown) == 3
    assert on_hand(mug, downtown) == 3
    receipt.refresh_from_db()
    assert receipt.status == SupplierReceipt.Status.PARTIALLY_RECEIVED
    assert {line.item.sku: (line.received, line.damaged) for line in receipt.lines.all()} == {
        "SHIRT": (3, 0),
        "MUG": (3, 0),
    }
    assert ReceivingEvent.objects.count() == 1


def test_a_manager_ships_and_the_destination_receives_one_damaged(page, browser, live_server):
    warehouse = LocationFactory(code="WH", label="Warehouse")
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")
    set_stock(shirt, warehouse, 10)
    boss = manager(username="boss")
    transfer = create_transfer(
        origin=warehouse, destination=downtown, lines=[Planned(shirt, 3)], who=Who(actor=boss)
    )
    store_staff(downtown, username="clerk")

    log_in(page, live_server, "boss")
    page.goto(live_server.url + reverse("movements:transfer", args=[transfer.pk]))
    page.click("form[action$='/ship/'] button")
    page.wait_for_load_state()
    assert "In transit" in page.inner_text("#content")
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.SHIPPED
    assert (on_hand(shirt, warehouse), on_hand(shirt, downtown)) == (7, 0)

    clerk = browser.new_context(viewport=page.viewport_size).new_page()
    log_in(clerk, live_server, "clerk")
    clerk.goto(live_server.url + reverse("movements:transfer_receive", args=[transfer.pk]))
    assert "from Warehouse to Downtown" in clerk.inner_text(".rc-what")
    scan(clerk, shirt.barcode)
    scan(clerk, shirt.barcode)
    line = transfer.lines.get()
    clerk.fill(f"#id_damaged_{line.pk}", "1")
    assert clerk.input_value(f"#id_received_{line.pk}") == "2"
    assert_no_sideways_scroll(clerk)
    clerk.click("button[value=receive]")
    clerk.wait_for_url(live_server.url + reverse("movements:transfer", args=[transfer.pk]))
    assert "Received" in clerk.inner_text("#content")

    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.RECEIVED
    line.refresh_from_db()
    assert (line.received, line.damaged, line.missing) == (2, 1, 0)
    assert on_hand(shirt, downtown) == 2  # the damaged unit never enters on-hand
    assert on_hand(shirt, warehouse) == 7
    clerk.context.close()


def test_without_javascript_a_scanner_adds_and_receive_receives(browser, live_server):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    downtown = LocationFactory(code="DT", label="Downtown")
    shirt = ItemFactory(sku="SHIRT", name="Linen shirt", barcode="4006381333931")
    receipt = create_receipt(
        location=downtown, supplier="Acme", lines=[Planned(shirt, 5)], who=Who(actor=manager())
    )
    store_staff(downtown, username="clerk")
    url = live_server.url + reverse("movements:receipt_receive", args=[receipt.pk])
    line = receipt.lines.get()

    log_in(page, live_server, "clerk")
    page.goto(url)
    page.focus("#rc-code")
    scan(page, shirt.barcode)  # Enter posts "Add": the page comes back with one more
    page.wait_for_selector(f"#id_received_{line.pk}[value='1']")
    page.focus("#rc-code")
    scan(page, "NOPE")
    page.wait_for_selector("#rc-strays >> text=NOPE")
    assert page.input_value(f"#id_received_{line.pk}") == "1"
    assert not ReceivingEvent.objects.exists()
    page.fill(f"#id_damaged_{line.pk}", "1")
    page.click("button[value=receive]")
    page.wait_for_url(live_server.url + reverse("movements:receipt", args=[receipt.pk]))
    line.refresh_from_db()
    assert (line.received, line.damaged) == (1, 1)
    assert on_hand(shirt, downtown) == 1
    context.close()
