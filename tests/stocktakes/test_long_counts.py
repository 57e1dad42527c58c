"""A count of a whole warehouse: the count page, and every scan's answer, list the latest counted
lines and the first items still to count, so they cost the same at 60 lines as at 100,000; the
review shows a page of lines at a time, with the totals of every line."""

import importlib
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
from tests.factories import ItemFactory, manager, set_stock, store_staff

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


# --- the review, a page at a time -----------------------------------------------------------------

PAGE = 3  # lines per review page in these tests
# The module: the package `views` exports its view function under the same name.
review_views = importlib.import_module("inventory.stocktakes.views.review")


@pytest.fixture
def reviewer(client, monkeypatch):
    monkeypatch.setattr(review_views, "REVIEW_PAGE_SIZE", PAGE)
    client.user = manager()
    client.force_login(client.user)
    return client


def submitted(location, user, items, **start):
    """A count of `items`, each counted one more than its on-hand of 5, then submitted."""
    for item in items:
        set_stock(item, location, 5)
    stocktake = stocktakes.start_stocktake(location=location, actor=user, **start)
    now = timezone.now()
    StocktakeLine.objects.filter(stocktake=stocktake).delete()
    StocktakeLine.objects.bulk_create(
        StocktakeLine(
            stocktake=stocktake,
            item=item,
            counted_quantity=6,
            counted_at=now,
            counted_by=user,
            expected_quantity=5,
        )
        for item in items
    )
    return stocktakes.submit_stocktake(stocktake=stocktake, actor=user)


def review_page(client, stocktake, number=None):
    url = reverse("stocktakes:review", args=[stocktake.pk])
    return client.get(url, {"page": number} if number else {})


def test_the_review_shows_a_page_of_lines_in_sku_order_and_the_totals_of_all(reviewer, location):
    items = [ItemFactory(sku=f"REV-{n}") for n in (4, 2, 7, 1, 5)]
    stocktake = submitted(location, reviewer.user, items)

    first, second = review_page(reviewer, stocktake), review_page(reviewer, stocktake, 2)

    assert [row["sku"] for row in first.context["rows"]] == ["REV-1", "REV-2", "REV-4"]
    assert [row["sku"] for row in second.context["rows"]] == ["REV-5", "REV-7"]
    for response in (first, second):
        totals = response.context["totals"]
        assert (totals.counted, totals.variance, totals.not_counted) == (5, 5, 0)
    assert "Items 1\u20133 of 5, in SKU order · page 1 of 2" in first.content.decode()
    assert "Next page" in first.content.decode()
    assert "Items 4\u20135 of 5" in second.content.decode()
    assert "Previous page" in second.content.decode()


def test_a_review_page_past_the_last_shows_the_last(reviewer, location):
    stocktake = submitted(location, reviewer.user, [ItemFactory() for _ in range(4)])

    response = review_page(reviewer, stocktake, 99)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 1


def test_a_short_review_has_no_pages(reviewer, location):
    stocktake = submitted(location, reviewer.user, [ItemFactory() for _ in range(PAGE)])

    html = review_page(reviewer, stocktake).content.decode()

    assert "Pages of counted items" not in html


def test_the_review_costs_no_more_queries_at_three_pages_than_at_one(
    reviewer, location, other_location, django_assert_max_num_queries
):
    one = submitted(location, reviewer.user, [ItemFactory() for _ in range(PAGE)])
    with CaptureQueriesContext(connection) as at_one:
        review_page(reviewer, one)
    three = submitted(other_location, reviewer.user, [ItemFactory() for _ in range(3 * PAGE)])

    with django_assert_max_num_queries(len(at_one)):
        review_page(reviewer, three, 2)


def test_the_review_lists_the_first_items_nobody_counted_and_says_how_many(reviewer, location):
    counted = [ItemFactory(sku="REV-COUNTED")]
    for n in range(PAGE + 2):
        set_stock(ItemFactory(sku=f"REV-LEFT-{n}"), location, 3)
    stocktake = submitted(location, reviewer.user, counted, zero_uncounted=True)

    response = review_page(reviewer, stocktake)

    assert response.context["totals"].not_counted == PAGE + 2
    assert [row["sku"] for row in response.context["uncounted"]] == [
        f"REV-LEFT-{n}" for n in range(PAGE)
    ]
    assert f"Applying sets these {PAGE + 2} items to 0: show the first {PAGE}, in SKU order" in (
        response.content.decode()
    )


# --- a whole store's count from one file --------------------------------------------------------


def upload(client, stocktake, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("stocktakes:upload", args=[stocktake.pk])
    return client.post(url, {"file": SimpleUploadedFile("c.csv", content), "mode": "replace"})


def counts_file(skus, bad=()):
    return (
        "sku,counted\n" + "".join(f"{sku},{'x' if sku in bad else 3}\n" for sku in skus)
    ).encode()


def test_a_long_file_is_previewed_by_its_totals_and_first_rows_in_as_many_queries(
    counter, location, django_assert_max_num_queries
):
    from inventory.stocktakes.views.upload import PREVIEW_ROWS

    skus = [ItemFactory(sku=f"FILE-{n:04d}").sku for n in range(3 * PREVIEW_ROWS)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    with CaptureQueriesContext(connection) as short:
        upload(counter, stocktake, counts_file(skus[:3]))

    with django_assert_max_num_queries(len(short)):
        response = upload(counter, stocktake, counts_file(skus))

    html = response.content.decode()
    assert [row["code"] for row in response.context["rows"]] == skus[:PREVIEW_ROWS]
    assert f"300 rows of counts in the file. The first {PREVIEW_ROWS} rows:" in html
    assert skus[PREVIEW_ROWS] not in html
    assert 'name="confirm"' in html
    assert len(html) < 100_000  # the file is kept, not sent back in the page


def test_a_long_file_with_problems_lists_the_first_of_them(counter, location):
    skus = [ItemFactory(sku=f"FILE-{n:04d}").sku for n in range(150)]
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)

    response = upload(counter, stocktake, counts_file(skus, bad={skus[120], skus[140]}))

    assert [row["code"] for row in response.context["rows"]] == [skus[120], skus[140]]
    assert "2 rows have problems" in response.content.decode()
    assert 'name="confirm"' not in response.content.decode()


def test_the_confirm_saves_the_file_previewed_last_and_only_once(counter, location):
    first, second = ItemFactory(), ItemFactory()
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    url = reverse("stocktakes:upload", args=[stocktake.pk])
    earlier = upload(counter, stocktake, counts_file([first.sku]))
    later = upload(counter, stocktake, counts_file([second.sku]))

    def confirm(preview):
        form = preview.context["confirm_form"]
        fields = {name: form[name].value() for name in ("token", "upload")}
        return counter.post(url, {**fields, "confirm": "1"}, follow=True)

    stale = confirm(earlier)
    saved = confirm(later)
    again = confirm(later)

    assert "another file was previewed since" in stale.content.decode()
    assert "Counts uploaded: 1 rows." in saved.content.decode()
    assert "already applied; it was not applied twice" in again.content.decode()
    assert list(stocktake.lines.values_list("item__sku", "counted_quantity")) == [(second.sku, 3)]


def test_nobody_else_can_confirm_a_file_someone_previewed(counter, client, location, item):
    stocktake = stocktakes.start_stocktake(location=location, actor=counter.user)
    preview = upload(counter, stocktake, counts_file([item.sku]))
    other = store_staff(location)
    client.force_login(other)

    form = preview.context["confirm_form"]
    response = client.post(
        reverse("stocktakes:upload", args=[stocktake.pk]),
        {"token": form["token"].value(), "upload": form["upload"].value(), "confirm": "1"},
        follow=True,
    )

    assert "Choose the file again" in response.content.decode()
    assert not stocktake.lines.exists()
