"""A count of a whole warehouse: the count page, and every scan's answer, list the latest counted
lines and the first items still to count, so they cost the same at 60 lines as at 100,000."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory.models import StocktakeLine
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.views.counting import LINES_SHOWN
from tests.factories import ItemFactory, store_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter(client, location):
    client.user = store_staff(location)
    client.force_login(client.user)
    return client


def counted(stocktake, items, user):
    """`items` counted one a minute, in order: the last is the latest."""
    start = timezone.now() - timedelta(minutes=len(items))
    StocktakeLine.objects.bulk_create(
        StocktakeLine(
            stocktake=stocktake,
            item=item,
            counted_quantity=n + 1,
            counted_at=start + timedelta(minutes=n),
            counted_by=user,
            expected_quantity=0,
        )
        for n, item in enumerate(items)
    )


def listed_skus(html: str) -> list[str]:
    return re.findall(r'<tr data-item="\d+" data-sku="([^"]+)"', html)


def scan_answer(client, stocktake, code):
    url = reverse("stocktakes:scan", args=[stocktake.pk])
    return json.loads(client.post(url, {"code": code}, HTTP_ACCEPT="application/json").content)


def test_the_count_page_lists_the_latest_counted_lines_and_counts_them_all(counter, location):
    items = [ItemFactory(sku=f"LONG-{n:03d}") for n in range(LINES_SHOWN + 10)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    counted(stocktake, items, counter.user)

    html = counter.get(reverse("stocktakes:count", args=[stocktake.pk])).content.decode()

    shown = listed_skus(html)
    assert shown == [item.sku for item in reversed(items[-LINES_SHOWN:])]
    assert "LONG-000" not in shown
    assert f"<strong>{len(items)}</strong> items counted" in html
    assert f"The {LINES_SHOWN} latest of {len(items)} counted items." in html
    assert "data-partial" in html  # the page's script knows it has not every running total


def test_a_short_count_lists_every_line_and_says_nothing_of_more(counter, location):
    items = [ItemFactory() for _ in range(3)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    counted(stocktake, items, counter.user)

    html = counter.get(reverse("stocktakes:count", args=[stocktake.pk])).content.decode()

    assert len(listed_skus(html)) == 3
    assert "latest of" not in html
    assert "data-partial" not in html


def test_a_scan_answers_with_the_latest_lines_whatever_the_count_has_already(counter, location):
    items = [ItemFactory(sku=f"LONG-{n:03d}") for n in range(LINES_SHOWN + 10)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    counted(stocktake, items, counter.user)

    answer = scan_answer(counter, stocktake, "LONG-000")  # counted first, now the latest

    assert answer["counted"] == 2
    shown = listed_skus(answer["lines_html"])
    assert len(shown) == LINES_SHOWN
    assert shown[0] == "LONG-000"
    assert f"<strong>{len(items)}</strong> items counted" in answer["progress_html"]


def test_a_scan_costs_no_more_queries_at_three_pages_of_counted_lines_than_at_one(
    counter, location, django_assert_max_num_queries
):
    def open_count(lines: int):
        items = [ItemFactory() for _ in range(lines)]
        stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
        counted(stocktake, items, counter.user)
        return stocktake, items[0]

    stocktake, item = open_count(LINES_SHOWN + 1)
    with CaptureQueriesContext(connection) as few:
        assert scan_answer(counter, stocktake, item.sku)["ok"]
    stocktakes.cancel_stocktake(stocktake=stocktake, actor=counter.user)

    stocktake, item = open_count(3 * LINES_SHOWN)
    with django_assert_max_num_queries(len(few)):
        assert scan_answer(counter, stocktake, item.sku)["ok"]


def test_a_count_of_chosen_items_lists_the_first_to_count_and_how_many_more(counter, location):
    items = [ItemFactory(sku=f"PICK-{n:03d}") for n in range(LINES_SHOWN + 7)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user, items=items)

    html = counter.get(reverse("stocktakes:count", args=[stocktake.pk])).content.decode()

    assert "PICK-000" in html
    assert f"PICK-{LINES_SHOWN - 1:03d}" in html
    assert f"PICK-{LINES_SHOWN:03d}" not in html
    assert "And 7 more items to count." in html
    assert f"<strong>0</strong> of <strong>{len(items)}</strong> items counted" in html
