"""CSV exports: balances per location with their settings (/exports/balances.csv, linked from the
admin's balance list) and the stock history (the history list's "Export CSV"). Both stream in
chunks of values, with a number of queries that grows by one per chunk and not per row; both
show a user only their locations and defuse cells a spreadsheet would run as formulas."""

import csv
import io
import math
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.http import urlencode

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.reports import exports
from inventory.reports.exports import BALANCE_HEADER, HISTORY_HEADER
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stocktakes.services import start_stocktake
from tests.factories import (
    ItemFactory,
    LocationFactory,
    UserFactory,
    manager,
    set_stock,
    store_staff,
)

BALANCES_URL = reverse("exports:balances")
BALANCE_LIST_URL = reverse("admin:inventory_balance_changelist")
HISTORY_URL = reverse("admin:inventory_adjustmentline_export")


def read_csv(response) -> list[list[str]]:
    """Header and rows of a streamed CSV response."""
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def as_dicts(table: list[list[str]]) -> list[dict[str, str]]:
    header, *rows = table
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def stores(db):
    """SOUTH is created first: export order follows the codes, not the ids."""
    south, north = LocationFactory(code="SOUTH"), LocationFactory(code="NORTH")
    shirt = ItemFactory(sku="SHIRT", name="Shirt, blue", product_id=77, variant_id=701)
    socks = ItemFactory(sku="SOCKS", name="Socks", product_id=78, variant_id=801)
    set_stock(shirt, north, 10)
    set_stock(socks, north, 3)
    set_stock(shirt, south, 5)
    update_settings(
        lines=[
            SettingsInput(
                location_id=north.pk,
                item_id=shirt.pk,
                safety_stock=2,
                warning_level=4,
                is_in_stock=False,
                bin_picking_number="A-1-3",
            )
        ],
        source=Adjustment.Source.ADMIN,
    )
    return {"north": north, "south": south, "shirt": shirt, "socks": socks}


@pytest.fixture
def boss_client(client, stores):
    client.force_login(manager(username="boss"))
    return client


def test_balances_of_one_location_with_their_settings(boss_client, stores):
    north = stores["north"]
    shirt_balance = Balance.objects.get(item=stores["shirt"], location=north)

    response = boss_client.get(BALANCES_URL, {"location": north.pk})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="balances-north-')
    header, *rows = read_csv(response)
    assert header == BALANCE_HEADER
    assert rows[0] == [
        "SHIRT",
        "Shirt, blue",
        "77",
        "701",
        str(north.pk),
        "NORTH",
        "10",  # on hand
        "2",  # safety stock
        "8",  # available to sell: on hand - safety stock
        "4",
        "false",
        "A-1-3",
        shirt_balance.updated_at.isoformat(),
    ]
    assert [(row[0], row[6], row[8], row[10]) for row in rows[1:]] == [("SOCKS", "3", "3", "true")]


def test_without_a_location_every_location_is_exported_by_code_then_sku(boss_client, stores):
    rows = as_dicts(read_csv(boss_client.get(BALANCES_URL)))

    assert response_keys(rows) == [("NORTH", "SHIRT"), ("NORTH", "SOCKS"), ("SOUTH", "SHIRT")]
    assert boss_client.get(BALANCES_URL)["Content-Disposition"].startswith(
        'attachment; filename="balances-all-locations-'
    )


def response_keys(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(row["location_code"], row["sku"]) for row in rows]


@pytest.mark.parametrize(
    "query",
    ["stock=below_warning", "q=SHIRT", "is_in_stock__exact=0", "location={north}&stock=in", ""],
)
def test_export_holds_what_the_balance_list_shows(boss_client, stores, query):
    Balance.objects.filter(item=stores["socks"]).update(warning_level=5)  # settings only
    query = query.format(north=stores["north"].pk)

    shown = boss_client.get(f"{BALANCE_LIST_URL}?{query}").context["cl"].result_list
    exported = as_dicts(read_csv(boss_client.get(f"{BALANCES_URL}?{query}")))

    assert exported, "each query selects some balances"
    assert set(response_keys(exported)) == {(b.location.code, b.item.sku) for b in shown}


def test_the_balance_list_links_to_the_export_of_its_query(boss_client, stores):
    query = urlencode({"location": stores["north"].pk, "stock": "in"})

    page = boss_client.get(f"{BALANCE_LIST_URL}?{query}").content.decode()

    assert f'href="{BALANCES_URL}?{query.replace("&", "&amp;")}"' in page


def test_cells_a_spreadsheet_would_run_are_defused(boss_client, stores):
    item = ItemFactory(sku="-DASH", name='=HYPERLINK("http://evil")')
    set_stock(item, stores["north"], 1)
    update_settings(
        lines=[
            SettingsInput(
                location_id=stores["north"].pk,
                item_id=item.pk,
                safety_stock=3,
                bin_picking_number="@SUM(A1)",
            )
        ],
        source=Adjustment.Source.ADMIN,
    )

    rows = as_dicts(read_csv(boss_client.get(BALANCES_URL, {"location": stores["north"].pk})))

    [row] = [row for row in rows if row["bin_picking_number"].endswith("@SUM(A1)")]
    assert row["sku"] == "'-DASH"
    assert row["name"] == '\'=HYPERLINK("http://evil")'
    assert row["bin_picking_number"] == "'@SUM(A1)"
    assert row["available_to_sell"] == "-2"  # numbers are numbers, never prefixed


@pytest.fixture
def south_staff_client(client, stores):
    client.force_login(store_staff(stores["south"]))
    return client


def test_store_staff_export_only_their_locations(south_staff_client, stores):
    other = south_staff_client.get(BALANCES_URL, {"location": stores["north"].pk})
    everything = as_dicts(read_csv(south_staff_client.get(BALANCES_URL)))
    own = as_dicts(read_csv(south_staff_client.get(BALANCES_URL, {"location": stores["south"].pk})))

    assert other.status_code == 404
    assert response_keys(everything) == [("SOUTH", "SHIRT")]
    assert response_keys(own) == [("SOUTH", "SHIRT")]


def test_store_staff_history_export_holds_only_their_lines(south_staff_client, stores):
    rows = as_dicts(read_csv(south_staff_client.get(HISTORY_URL)))

    assert {row["location"] for row in rows} == {"SOUTH"}
    assert len(rows) == AdjustmentLine.objects.filter(location=stores["south"]).count()


def test_a_location_under_blind_count_exports_no_on_hand_to_counters(client, stores):
    counter = store_staff(stores["south"])
    start_stocktake(location=stores["south"], actor=manager(), blind=True)
    client.force_login(counter)

    table = read_csv(client.get(BALANCES_URL, {"location": stores["south"].pk}))

    assert table == [BALANCE_HEADER]


def test_anonymous_users_are_sent_to_the_login(client, stores):
    response = client.get(BALANCES_URL, {"location": stores["north"].pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_balance_view_permission_are_refused(client, stores):
    client.force_login(UserFactory())  # staff, in no group

    assert client.get(BALANCES_URL).status_code == 403


@pytest.mark.parametrize(("query", "field"), [("location=north", "location"), ("bogus=1", "bogus")])
def test_a_bad_query_is_a_400_naming_it(boss_client, stores, query, field):
    response = boss_client.get(f"{BALANCES_URL}?{query}")

    assert response.status_code == 400
    assert field in response.content.decode()


# Chunks and query counts -----------------------------------------------------------------------


def test_chunk_boundaries_lose_and_repeat_nothing(boss_client, stores, monkeypatch):
    for n in range(5):
        set_stock(ItemFactory(sku=f"MORE-{n}"), stores["south"], n + 1)
    expected_balances = list(
        Balance.objects.order_by("location__code", "item__sku").values_list(
            "location__code", "item__sku"
        )
    )
    expected_lines = list(AdjustmentLine.objects.order_by("-id").values_list("id", flat=True))
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)

    balances = as_dicts(read_csv(boss_client.get(BALANCES_URL)))
    history = as_dicts(read_csv(boss_client.get(HISTORY_URL)))

    assert response_keys(balances) == expected_balances
    assert len(history) == len(expected_lines) == 9
    assert [row["delta"] for row in history] == [
        str(delta)
        for delta in AdjustmentLine.objects.order_by("-id").values_list("delta", flat=True)
    ]


def stock_many(location, count: int) -> None:
    """`count` balances at `location` and as many ledger lines, through the write path."""
    start = Item.objects.count()
    Item.objects.bulk_create(
        Item(
            sku=f"{location.code}-{n:05d}",
            product_id=500_000 + start + n,
            tracking=Item.Tracking.PRODUCT,
        )
        for n in range(count)
    )
    item_ids = list(
        Item.objects.filter(sku__startswith=f"{location.code}-").values_list("pk", flat=True)
    )
    for first in range(0, count, 2000):
        apply_adjustment(
            kind=Adjustment.Kind.ABSOLUTE,
            source=Adjustment.Source.IMPORT,
            lines=[
                LineInput(location_id=location.pk, item_id=pk, quantity=7)
                for pk in item_ids[first : first + 2000]
            ],
        )


def queries_to_export(client, url: str) -> tuple[int, int]:
    """Queries run by the request and the whole streaming of its body; rows streamed."""
    with CaptureQueriesContext(connection) as queries:
        rows = len(read_csv(client.get(url))) - 1
    return len(queries), rows


CHUNK = 1000


@pytest.mark.parametrize("url", [BALANCES_URL, HISTORY_URL])
def test_queries_grow_by_one_per_chunk_not_per_row(
    db, client, monkeypatch, django_assert_max_num_queries, url
):
    small, large = LocationFactory(code="SMALL"), LocationFactory(code="LARGE")
    # Both lists span more than one admin page: the changelist the export filters through
    # reads its page's ids once, whatever the list's length.
    stock_many(small, 150)
    stock_many(large, 3000)
    client.force_login(manager())
    monkeypatch.setattr(exports, "CHUNK_SIZE", CHUNK)
    few, few_rows = queries_to_export(client, f"{url}?location={small.pk}")

    with django_assert_max_num_queries(few + math.ceil(3000 / CHUNK)):
        many_rows = len(read_csv(client.get(f"{url}?location={large.pk}"))) - 1

    assert (few_rows, many_rows) == (150, 3000)


def test_history_export_has_the_documented_header(boss_client, stores):
    header, *rows = read_csv(boss_client.get(HISTORY_URL))

    assert header == HISTORY_HEADER
    assert len(rows) == AdjustmentLine.objects.count()


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC),
        datetime(2024, 5, 1, 10, 0, 0, 123, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_timestamps_are_written_as_python_writes_them_in_utc(boss_client, stores, moment):
    # The database formats them (UtcIsoText): the same text on SQLite and PostgreSQL.
    Balance.objects.filter(location=stores["south"]).update(updated_at=moment)

    [row] = as_dicts(read_csv(boss_client.get(BALANCES_URL, {"location": stores["south"].pk})))

    assert row["updated_at"] == moment.isoformat()


@pytest.mark.parametrize("value", ["", "99999999999999999999999", "²"])
def test_odd_location_values_never_fail_the_export(boss_client, stores, value):
    response = boss_client.get(BALANCES_URL, {"location": value})

    # Empty is "all locations", as in the list's filter; an id nobody has is 404; not a number 400.
    assert response.status_code == {"": 200, "²": 400}.get(value, 404)
