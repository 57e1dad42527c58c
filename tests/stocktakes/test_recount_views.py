"""The review's chosen lines through the pages: a manager ticks lines and sends them back or
applies the others; the counter sees what to recount; double posts, staff and other locations
change nothing."""

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from inventory.models import Adjustment, Stocktake, StocktakeEvent, StocktakeRecount
from inventory.stocktakes import services as stocktakes
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff
from tests.stocktakes.test_views import logged_in, on_hand, scan_json, token, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(location):
    return logged_in(Client(), store_staff(location, username="sam"))


@pytest.fixture
def boss():
    return logged_in(Client(), manager(username="boss"))


@pytest.fixture
def tee(location):
    item = ItemFactory(sku="TEE-BLA-M", name="Tee black M")
    set_stock(item, location, 31)
    return item


@pytest.fixture
def mug(location):
    item = ItemFactory(sku="MUG", name="Enamel mug")
    set_stock(item, location, 12)
    return item


@pytest.fixture
def submitted(location, clerk, tee, mug):
    count = stocktakes.start_stocktake(location=location, actor=clerk.user)
    scan_json(clerk, count, tee.sku, quantity="5")
    scan_json(clerk, count, mug.sku, quantity="10")
    clerk.post(url("submit", count), {"token": token()})
    return count


def line_id(count, item) -> int:
    return count.lines.get(item=item).pk


def state(count):
    count = Stocktake.objects.get(pk=count.pk)
    return (
        count.status,
        list(count.lines.order_by("pk").values_list("counted_quantity", "left_out")),
        StocktakeRecount.objects.count(),
        StocktakeEvent.objects.count(),
        Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).count(),
    )


def test_managers_get_a_box_per_line_and_the_two_actions_staff_do_not(submitted, boss, clerk):
    managers = boss.get(url("review", submitted)).content.decode()
    staffs = clerk.get(url("review", submitted)).content.decode()

    for line in submitted.lines.all():
        assert f'name="lines" value="{line.pk}"' in managers
        assert f'name="lines" value="{line.pk}"' not in staffs
    assert f'formaction="{url("send_back", submitted)}"' in managers
    assert f'formaction="{url("apply_rest", submitted)}"' in managers
    assert url("send_back", submitted) not in staffs
    assert 'aria-label="Choose TEE-BLA-M · Tee black M"' in managers


def test_a_line_sent_back_reaches_the_counter_who_recounts_it(submitted, boss, clerk, tee, mug):
    sent = boss.post(
        url("send_back", submitted),
        {"token": token(), "lines": [line_id(submitted, tee)], "note": "Back room, top shelf"},
        follow=True,
    )
    count_page = clerk.get(url("count", submitted)).content.decode()
    refused = clerk.post(url("submit", submitted), {"token": token()}, follow=True)
    _, scanned = scan_json(clerk, submitted, tee.barcode)

    assert sent.redirect_chain[-1][0] == url("count", submitted)
    assert "Sent back for a recount: TEE-BLA-M · Tee black M." in sent.content.decode()
    assert "Recount this item" in count_page
    assert "TEE-BLA-M</span> · Tee black M <span" in count_page
    assert "(counted 5)" in count_page
    assert "“Back room, top shelf”" in count_page
    assert "Recount TEE-BLA-M · Tee black M before submitting" in refused.content.decode()
    assert "Recount this item" not in scanned["recount_html"]
    assert "Every item sent back has been recounted" in scanned["recount_html"]

    clerk.post(url("submit", submitted), {"token": token()})
    review = boss.get(url("review", submitted))
    rows = {row["sku"]: row for row in review.context["rows"]}
    page = review.content.decode()

    assert rows["TEE-BLA-M"]["counted"] == 1
    (earlier,) = rows["TEE-BLA-M"]["recounts"]
    assert (earlier["counted"], earlier["expected"], earlier["note"]) == (
        5,
        31,
        "Back room, top shelf",
    )
    assert rows["MUG"]["recounts"] == []
    assert "Counted <strong>5</strong>" in page
    assert "sent back by boss" in page


def test_the_others_are_applied_and_the_outcome_names_what_was_left_out(
    submitted, boss, location, tee, mug
):
    applied = boss.post(
        url("apply_rest", submitted),
        {"token": token(), "lines": [line_id(submitted, tee)]},
        follow=True,
    )
    page = applied.content.decode()

    assert (on_hand(tee, location), on_hand(mug, location)) == (31, 10)
    assert "Applied, except TEE-BLA-M · Tee black M: their stock was left as it was." in page
    assert 'Not applied:</strong> <span class="st-sku">TEE-BLA-M</span> · Tee black M' in page
    again = applied.context["count_again_url"]
    start_page = boss.get(again).content.decode()
    assert f'<option value="{location.pk}" selected>' in start_page
    assert 'value="subset" required id="id_scope_1" checked>' in start_page
    assert ">\nTEE-BLA-M</textarea>" in start_page


def test_the_same_form_sent_twice_sends_back_once(submitted, boss, tee):
    form = {"token": token(), "lines": [line_id(submitted, tee)], "note": ""}

    boss.post(url("send_back", submitted), form)
    second = boss.post(url("send_back", submitted), form, follow=True)
    changed = boss.post(
        url("send_back", submitted), {**form, "lines": [line_id(submitted, tee), 1]}, follow=True
    )

    assert "nothing was sent twice" in second.content.decode()
    assert "already used for something else" in changed.content.decode()
    assert list(submitted.events.values_list("action", flat=True)) == [
        "started",
        "submitted",
        "sent back",
    ]
    assert StocktakeRecount.objects.count() == 1


def test_the_same_apply_the_others_form_sent_twice_applies_once(submitted, boss, tee):
    form = {"token": token(), "lines": [line_id(submitted, tee)]}

    boss.post(url("apply_rest", submitted), form)
    second = boss.post(url("apply_rest", submitted), form, follow=True)

    assert "not applied twice" in second.content.decode()
    assert Adjustment.objects.filter(kind=Adjustment.Kind.STOCKTAKE).count() == 1


@pytest.mark.parametrize("name", ["send_back", "apply_rest"])
def test_staff_are_refused_and_nothing_changes(name, submitted, clerk, tee):
    before = state(submitted)

    response = clerk.post(url(name, submitted), {"token": token(), "lines": [1]})

    assert response.status_code == 403
    assert state(submitted) == before


@pytest.mark.parametrize("name", ["send_back", "apply_rest"])
def test_another_locations_count_is_not_found_and_nothing_changes(name, submitted, tee):
    elsewhere = logged_in(Client(), store_staff(LocationFactory()))
    elsewhere.user.user_permissions.add(Permission.objects.get(codename="approve_stocktake"))
    before = state(submitted)

    response = elsewhere.post(
        url(name, submitted), {"token": token(), "lines": [line_id(submitted, tee)]}
    )

    assert response.status_code == 404
    assert state(submitted) == before


@pytest.mark.parametrize("name", ["send_back", "apply_rest"])
@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"token": token()}, "Choose the items first: tick the box by each."),
        ({"lines": ["1"]}, "This form has expired. Please try again."),
        ({"token": token(), "lines": ["x"]}, "not in this count: reload the page"),
    ],
)
def test_a_form_without_lines_or_token_says_why_and_changes_nothing(
    name, form, message, submitted, boss
):
    before = state(submitted)

    response = boss.post(url(name, submitted), form, follow=True)

    assert response.redirect_chain[0][0] == url("review", submitted)
    assert message in response.content.decode()
    assert state(submitted) == before


def test_a_refusal_by_the_service_is_shown_on_the_review(submitted, boss, mug, tee):
    everything = [line_id(submitted, tee), line_id(submitted, mug)]

    response = boss.post(
        url("apply_rest", submitted), {"token": token(), "lines": everything}, follow=True
    )

    assert "Every counted item is chosen" in response.content.decode()
    assert on_hand(tee, submitted.location) == 31


def review_queries(client, count) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url("review", count))
    assert response.status_code == 200
    return len(captured)


def test_the_review_costs_the_same_for_3_or_30_lines_with_recounts(boss, location):
    clerk = store_staff(location)
    costs = []
    for size in (3, 30):
        items = ItemFactory.create_batch(size)
        for item in items:
            set_stock(item, location, 9)
        count = stocktakes.start_stocktake(location=location, actor=clerk, items=items)
        for item in items:
            stocktakes.count_item(stocktake=count, code=item.sku, quantity=4, actor=clerk)
        stocktakes.submit_stocktake(stocktake=count, actor=clerk)
        boss.post(
            url("send_back", count),
            {"token": token(), "lines": list(count.lines.values_list("pk", flat=True)[:2])},
        )
        for item in items[:2]:
            stocktakes.count_item(stocktake=count, code=item.sku, quantity=5, actor=clerk)
        stocktakes.submit_stocktake(stocktake=count, actor=clerk)
        review_queries(boss, count)  # the session and the user's permissions, once
        costs.append(review_queries(boss, count))
        stocktakes.cancel_stocktake(stocktake=count, actor=clerk)

    assert costs[0] == costs[1]
