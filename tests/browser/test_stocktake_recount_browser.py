"""A count's doubtful line sent back and recounted in the browser, and the stock count pages on a
phone: every key number on screen, nothing scrolling sideways, boxes a finger can tick."""

import pytest
from django.contrib.auth import get_user_model

from inventory.models import Balance, Stocktake
from inventory.stocktakes import recounts
from inventory.stocktakes import services as stocktakes
from tests.browser.conftest import (
    assert_no_sideways_scroll,
    assert_on_screen,
    assert_tappable,
    log_in,
)
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

User = get_user_model()
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def store():
    """Downtown, a clerk and a manager, and a count of three items: the tee counted 5 against
    31 on the shelf (doubtful), the others right."""
    location = LocationFactory(code="DT", label="Downtown store")
    tee = ItemFactory(sku="TEE-BLA-M", name="Tee black M", barcode="4006381333931")
    mug = ItemFactory(sku="MUG", name="Enamel camp mug with a rather long name, blue")
    cap = ItemFactory(sku="CAP-RED", name="Red cap")
    for item, quantity in ((tee, 31), (mug, 12), (cap, 4)):
        set_stock(item, location, quantity)
    clerk = store_staff(location, username="sam")
    manager(username="boss")
    count = stocktakes.start_stocktake(location=location, actor=clerk)
    for item, counted in ((tee, 5), (mug, 12), (cap, 3)):
        stocktakes.count_item(stocktake=count, code=item.sku, quantity=counted, actor=clerk)
    stocktakes.submit_stocktake(stocktake=count, actor=clerk)
    return {"location": location, "tee": tee, "mug": mug, "cap": cap, "count": count}


def test_the_review_on_a_phone_shows_every_key_number(phone_page, live_server, store):
    page = phone_page
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/stocktakes/{store['count'].pk}/review/")

    assert_no_sideways_scroll(page)
    for cell in ("st-item", "st-expected", "st-counted", "st-variance", "st-now", "st-will-set"):
        assert_on_screen(page, f".st-review tbody .{cell}")
    assert_tappable(page, ".st-review .st-pick-box")
    assert_tappable(page, ".st-chosen-bar button")
    tee_card = page.locator(".st-review tbody tr", has_text="TEE-BLA-M")
    assert tee_card.locator(".st-expected").inner_text() == "31"
    assert tee_card.locator(".st-will-set").inner_text() == "5"

    tee_card.locator(".st-pick-box").click()
    assert page.is_checked(".st-review tbody tr:has-text('TEE-BLA-M') input[name=lines]")
    bar = page.locator(".st-chosen-bar").bounding_box()
    assert bar["y"] + bar["height"] <= 844  # the ticked item's actions stay in reach
    assert "1 item ticked" in page.inner_text(".st-chosen-bar")


def test_the_count_list_and_upload_pages_fit_a_phone(phone_page, live_server, store, tmp_path):
    page = phone_page
    count = store["count"]
    recounts.send_back_for_recount(
        stocktake=count,
        lines=[count.lines.get(item=store["tee"]).pk],
        actor=User.objects.get(username="boss"),
        note="Check the back room, behind the winter stock on the top shelf",
    )
    log_in(page, live_server, "sam")

    page.goto(f"{live_server.url}/stocktakes/")
    assert_no_sideways_scroll(page)
    assert_tappable(page, ".st-open-link")
    assert_tappable(page, "#start-form button[type=submit]")

    page.goto(f"{live_server.url}/stocktakes/{count.pk}/")
    assert_no_sideways_scroll(page)
    assert_on_screen(page, "#recount-box li")
    for cell in ("th[scope=row]", ".st-counted"):
        assert_on_screen(page, f".st-lines tbody {cell}")
    assert_tappable(page, ".st-count-button")

    upload = tmp_path / "counts.csv"
    upload.write_text("sku,counted\nTEE-BLA-M,7\nNO-SUCH,2\n")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/upload/")
    page.set_input_files("input[type=file]", str(upload))
    page.click("button:has-text('Preview')")
    page.wait_for_selector(".st-preview")
    assert_no_sideways_scroll(page)
    for cell in ("st-code", "st-item", "st-new"):
        assert_on_screen(page, f".st-preview tbody .{cell}")
    assert "No item has SKU “NO-SUCH”" in page.inner_text(".st-preview")


def test_a_line_sent_back_is_recounted_and_the_rest_applied(page, live_server, store):
    count, location, tee = store["count"], store["location"], store["tee"]

    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/review/")
    page.locator(".st-review tbody tr", has_text="TEE-BLA-M").locator(".st-pick-box").click()
    page.fill("textarea[name=note]", "Check the back room")
    page.click("button:has-text('Send back for a recount')")
    page.wait_for_selector("text=Sent back for a recount: TEE-BLA-M · Tee black M.")
    count.refresh_from_db()
    assert count.status == Stocktake.Status.COUNTING

    page.context.clear_cookies()
    log_in(page, live_server, "sam")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/")
    recount = page.inner_text("#recount-box")
    assert "Recount this item" in recount
    assert "TEE-BLA-M · Tee black M (counted 5)" in recount
    assert "“Check the back room”" in recount
    page.fill("input.st-code", tee.barcode)
    page.fill("input[name=quantity]", "30")
    page.press("input[name=quantity]", "Enter")
    page.wait_for_selector("#recount-box >> text=Every item sent back has been recounted")
    page.click("form.st-submit-form button[type=submit]")
    page.wait_for_url(f"**/stocktakes/{count.pk}/review/")

    page.context.clear_cookies()
    log_in(page, live_server, "boss")
    page.goto(f"{live_server.url}/stocktakes/{count.pk}/review/")
    history = page.inner_text(".st-review tbody tr:has-text('TEE-BLA-M') .st-history")
    assert "Counted 5 (expected 31) by sam" in history
    assert "sent back by boss" in history
    page.click("button:has-text('Apply count to stock')")
    page.wait_for_selector("text=Applied: stock was set from this count.")

    assert Balance.objects.get(item=tee, location=location).quantity == 30
    assert Balance.objects.get(item=store["cap"], location=location).quantity == 3
    count.refresh_from_db()
    assert count.status == Stocktake.Status.APPLIED
    assert list(count.events.values_list("action", flat=True)) == [
        "started",
        "submitted",
        "sent back",
        "submitted",
        "applied",
    ]


def test_the_others_applied_from_a_phone(phone_page, live_server, store):
    page, count, location = phone_page, store["count"], store["location"]
    log_in(page, live_server, "boss")

    page.goto(f"{live_server.url}/stocktakes/{count.pk}/review/")
    page.locator(".st-review tbody tr", has_text="TEE-BLA-M").locator(".st-pick-box").click()
    page.click("button:has-text('Apply the others')")
    page.wait_for_selector("text=Applied, except TEE-BLA-M · Tee black M")

    assert_no_sideways_scroll(page)
    assert "Not applied" in page.inner_text(".st-result-left-out")
    assert Balance.objects.get(item=store["tee"], location=location).quantity == 31
    assert Balance.objects.get(item=store["cap"], location=location).quantity == 3
