"""The balance list and the balance page: totals of what the filters list, lows flagged in words,
numbers readable, every cell named for the phone's cards (the layout itself: tests/browser)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.admin.paging import CappedCountPaginator
from inventory.admin.stock import BalanceAdmin
from inventory.models import Adjustment, Balance
from inventory.reports.balance_totals import balance_totals
from inventory.stock import LineInput, apply_adjustment, update_balance_settings
from inventory.stocktakes import services as stocktakes
from inventory.templatetags.admin_lists import labelled_cells
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

LIST_URL = reverse("admin:inventory_balance_changelist")


@pytest.fixture
def shop(db):
    """Two stores: NORTH holds 10 shirts (warn at 5), 3 socks (low: warn at 5), 0 caps (out);
    SOUTH holds 12,000 shirts and -2 socks (out, negative stock allowed there)."""
    north = LocationFactory(code="NORTH", label="North store")
    south = LocationFactory(code="SOUTH", label="South store", allow_negative_stock=True)
    shirt = ItemFactory(sku="SHIRT", name="Crew shirt")
    socks = ItemFactory(sku="SOCKS", name="Wool socks")
    cap = ItemFactory(sku="CAP", name="Baseball cap")
    for item, location, quantity in [
        (shirt, north, 10),
        (socks, north, 3),
        (cap, north, 0),
        (shirt, south, 12_000),
        (socks, south, 0),
    ]:
        set_stock(item, location, quantity)
        balance = Balance.objects.get(item=item, location=location)
        update_balance_settings(
            balance=balance, changes={"warning_level": 5}, source=Adjustment.Source.ADMIN
        )
    apply_adjustment(  # a past oversell
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=south.pk, item_id=socks.pk, quantity=-2)],
    )
    return {"north": north, "south": south, "shirt": shirt, "socks": socks, "cap": cap}


@pytest.fixture
def boss_client(client, shop):
    client.force_login(manager(username="boss"))
    return client


def totals_of(response) -> dict:
    totals = response.context["totals"]
    return {
        "all": (totals.units, totals.balances, totals.low, totals.out),
        "per_location": [
            (row.location_label, row.units, row.balances, row.low, row.out)
            for row in totals.per_location
        ],
    }


def cell(page: str, sku: str, location: str, field: str) -> str:
    """The HTML inside one cell of the row for (sku, location)."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f">{sku}</a>" in row and f">{location}</td>" in row:
            return re.search(rf'<td data-label="[^"]*" class="field-{field}">(.*?)</td>', row)[1]
    raise AssertionError(f"no row for {sku} at {location}")


# --- totals ----------------------------------------------------------------------------------


def test_totals_count_every_balance_listed_in_all_and_per_location(boss_client, shop):
    response = boss_client.get(LIST_URL)

    assert totals_of(response) == {
        "all": (10 + 3 + 0 + 12_000 - 2, 5, 1, 2),
        "per_location": [("North store", 13, 3, 1, 1), ("South store", 11_998, 2, 0, 1)],
    }
    page = response.content.decode()
    assert "<strong>12,011</strong> units on hand" in page
    assert "in 5 balances" in page


def test_totals_follow_the_filters_and_the_search(boss_client, shop):
    north = boss_client.get(f"{LIST_URL}?location={shop['north'].pk}")
    socks = boss_client.get(f"{LIST_URL}?q=socks")
    low = boss_client.get(f"{LIST_URL}?stock=below_warning")

    assert totals_of(north) == {
        "all": (13, 3, 1, 1),
        "per_location": [("North store", 13, 3, 1, 1)],
    }
    assert totals_of(socks)["all"] == (3 - 2, 2, 1, 1)
    assert totals_of(low)["all"] == (3, 1, 1, 0)
    assert "Totals of the balances found" in north.content.decode()


def test_totals_cover_every_page_not_only_the_one_shown(boss_client, shop, monkeypatch):
    monkeypatch.setattr(BalanceAdmin, "list_per_page", 2)

    response = boss_client.get(LIST_URL)

    assert len(response.context["cl"].result_list) == 2
    assert totals_of(response)["all"] == (12_011, 5, 1, 2)


def test_past_the_cap_the_list_counts_no_further_and_says_how_to_narrow_it(
    boss_client, shop, monkeypatch
):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 4)

    with CaptureQueriesContext(connection) as queries:
        response = boss_client.get(LIST_URL)

    page = response.content.decode()
    assert response.context["cl"].paginator.capped
    assert "totals" not in response.context
    assert "More than 4 stock levels: narrow them with the search or the filters." in page
    assert "Totals of units on hand, low and out of stock show once the list holds 4" in page
    counts = [q["sql"] for q in queries.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the list counts its rows"
    assert all("LIMIT 5" in sql for sql in counts), counts  # nothing counted past CAP + 1


def test_the_search_looks_the_items_up_once_for_the_page_its_count_and_totals(boss_client, shop):
    with CaptureQueriesContext(connection) as queries:
        response = boss_client.get(LIST_URL, {"q": "wool SOC"})

    assert [(row.item.sku, row.location.label) for row in response.context["cl"].result_list] == [
        ("SOCKS", "North store"),
        ("SOCKS", "South store"),
    ]
    assert totals_of(response)["all"] == (3 - 2, 2, 1, 1)
    item_lookups = [q["sql"] for q in queries.captured_queries if "LIKE" in q["sql"].upper()]
    assert len(item_lookups) == 1, item_lookups


def test_the_search_finds_an_item_by_its_whole_barcode_and_nothing_by_part_of_it(boss_client, shop):
    shop["cap"].barcode = "4006381333931"
    shop["cap"].save()

    whole = boss_client.get(LIST_URL, {"q": "4006381333931"})
    part = boss_client.get(LIST_URL, {"q": "400638"})

    assert [row.item.sku for row in whole.context["cl"].result_list] == ["CAP"]
    assert list(part.context["cl"].result_list) == []


def test_within_the_cap_the_list_counts_and_adds_up_everything(boss_client, shop, monkeypatch):
    monkeypatch.setattr(CappedCountPaginator, "CAP", 5)

    response = boss_client.get(LIST_URL)

    assert not response.context["cl"].paginator.capped
    assert totals_of(response)["all"] == (12_011, 5, 1, 2)
    assert "5 stock levels" in response.content.decode()


def test_staff_totals_cover_only_their_store(client, shop):
    client.force_login(store_staff(shop["south"]))

    response = client.get(LIST_URL)

    assert totals_of(response) == {
        "all": (11_998, 2, 0, 1),
        "per_location": [("South store", 11_998, 2, 0, 1)],
    }


def test_totals_leave_out_what_a_blind_count_hides(client, shop):
    clerk = store_staff(shop["north"], shop["south"])
    stocktakes.start_stocktake(location=shop["south"], actor=manager(), blind=True)
    client.force_login(clerk)

    response = client.get(LIST_URL)

    assert totals_of(response)["per_location"] == [("North store", 13, 3, 1, 1)]
    assert "11,998" not in response.content.decode()


def test_the_list_costs_the_same_queries_for_3_and_30_balances(
    client, db, django_assert_max_num_queries
):
    small, large = LocationFactory(), LocationFactory()
    for location, count in [(small, 3), (large, 30)]:
        for _ in range(count):
            set_stock(ItemFactory(), location, 4)
    client.force_login(manager())
    client.get(f"{LIST_URL}?location={small.pk}")  # caches warmed (content types, permissions)

    with CaptureQueriesContext(connection) as small_list:
        client.get(f"{LIST_URL}?location={small.pk}")
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        response = client.get(f"{LIST_URL}?location={large.pk}")

    assert totals_of(response)["all"] == (120, 30, 0, 0)
    sums = [q["sql"] for q in small_list.captured_queries if "SUM(" in q["sql"].upper()]
    # The totals: one aggregate query (the others sum the page's stock on its way).
    totals = [sql for sql in sums if "line" not in sql.split(" FROM ")[1].split()[0]]
    assert len(totals) == 1


def test_balance_totals_on_their_own(shop):
    totals = balance_totals(Balance.objects.filter(item__sku__in=["SOCKS", "CAP"]))

    assert [(row.location_label, row.units, row.low, row.out) for row in totals.per_location] == [
        ("North store", 3, 1, 1),
        ("South store", -2, 0, 1),
    ]
    assert (totals.units, totals.balances) == (1, 3)
    assert balance_totals(Balance.objects.none()).per_location == []


# --- the rows --------------------------------------------------------------------------------


def test_lows_and_outs_say_so_in_words_by_the_alerts_rule(boss_client, shop):
    Balance.objects.filter(item=shop["shirt"], location=shop["north"]).update(quantity=5)

    page = boss_client.get(LIST_URL).content.decode()

    assert cell(page, "SOCKS", "North store", "on_hand") == (
        '<span class="stock-flag low">Low</span> <strong>3</strong>'
    )
    assert cell(page, "CAP", "North store", "on_hand") == (
        '<span class="stock-flag out">Out<span> of stock</span></span> <strong>0</strong>'
    )
    assert "stock-flag" in cell(page, "SOCKS", "South store", "on_hand")  # negative: out
    # At the warning level is not low: an alert opens only below it (README, inventory.alerts).
    assert cell(page, "SHIRT", "North store", "on_hand") == "5"


def test_numbers_have_thousands_separators_and_locations_their_names(boss_client, shop):
    page = boss_client.get(LIST_URL).content.decode()

    assert cell(page, "SHIRT", "South store", "on_hand") == "12,000"
    assert cell(page, "SHIRT", "South store", "available") == "12,000"
    assert ">SOUTH<" not in page.split('id="result_list"')[1]


def test_the_low_filter_lists_what_the_dashboard_counts_as_low(boss_client, shop):
    """Out-of-stock balances are "out", not also "low": the dashboard's "below warning level"
    count links here and must match the rows listed."""
    low = boss_client.get(f"{LIST_URL}?stock=below_warning")
    out = boss_client.get(f"{LIST_URL}?stock=out")
    dashboard = boss_client.get(
        reverse("admin:inventory_dashboard_location", args=[shop["north"].pk])
    )

    assert [(b.item.sku, b.location.code) for b in low.context["cl"].result_list] == [
        ("SOCKS", "NORTH")
    ]
    assert {(b.item.sku, b.location.code) for b in out.context["cl"].result_list} == {
        ("CAP", "NORTH"),
        ("SOCKS", "SOUTH"),
    }
    assert dashboard.context["dashboard"].below_warning_count == 1


def test_every_cell_names_its_column_for_the_phone_cards(boss_client, shop):
    page = boss_client.get(LIST_URL).content.decode()

    row = re.search(r'id="result_list">.*?<tbody>.*?<tr>(.*?)</tr>', page, re.S)[1]
    labels = re.findall(r'<t[dh] data-label="([^"]*)" class="([^"]+)"', row)
    assert labels == [
        ("", "action-checkbox"),
        ("SKU", "field-sku"),
        ("Name", "field-item_name"),
        ("Location", "field-location_name"),
        ("On-hand", "field-on_hand"),
        ("Available", "field-available"),
        ("Incoming", "field-incoming"),
        ("In transit out", "field-in_transit_out"),
        ("Safety", "field-safety"),
        ("Warn at", "field-warn_at"),
        ("Bin", "field-bin"),
        ("History", "field-history_link"),
    ]
    assert '<label for="action-toggle" class="select-all-label">' in page


def test_other_lists_name_their_cells_too(boss_client, shop):
    page = boss_client.get(reverse("admin:inventory_item_changelist")).content.decode()

    assert 'data-label="Name" class="field-name">Crew shirt</td>' in page


def test_a_column_name_with_markup_is_escaped_in_its_label():
    header = {"text": 'Say "hi" <b>now</b>', "class_attrib": ' class="column-x"'}

    (labelled,) = labelled_cells(['<td class="field-x">1</td>'], [header])

    assert labelled == '<td data-label="Say &quot;hi&quot; now" class="field-x">1</td>'


# --- the balance page ------------------------------------------------------------------------


def test_the_balance_page_opens_with_its_numbers(boss_client, shop):
    socks = Balance.objects.get(item=shop["socks"], location=shop["north"])

    page = boss_client.get(reverse("admin:inventory_balance_change", args=[socks.pk]))

    summary = re.search(r'<dl class="balance-summary">(.*?)</dl>', page.content.decode(), re.S)[1]
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary)).strip()
    assert text == (
        "On hand 3 Low Available to sell 3 Incoming 0 In transit out 0 Safety stock 0"
        " Warning level 5 Bin —"
    )
    # One history, the stock history (settings changes included), not also the admin's own.
    assert "Stock history</a>" in page.content.decode()
    assert reverse("admin:inventory_balance_history", args=[socks.pk]) not in (
        page.content.decode()
    )


def test_the_list_sorts_by_what_is_available_to_sell(boss_client, shop):
    Balance.objects.filter(item=shop["shirt"], location=shop["north"]).update(safety_stock=9)

    response = boss_client.get(f"{LIST_URL}?o=-5&location={shop['north'].pk}")  # most first

    assert [b.available_to_sell for b in response.context["cl"].result_list] == [3, 1, 0]


def test_a_bad_filter_is_sent_back_to_the_whole_list_with_its_totals(boss_client, shop):
    refused = boss_client.get(f"{LIST_URL}?no_such_field=1")
    response = boss_client.get(refused.url)

    assert refused.status_code == 302  # the admin's own answer: no totals to add to it
    assert totals_of(response)["all"] == (12_011, 5, 1, 2)
