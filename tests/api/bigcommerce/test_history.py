"""Stock history through the API: newest first, filters, cursor pages, one transaction."""

import pytest

from inventory.models import Adjustment
from inventory.stock import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory

HISTORY = "/api/v3/inventory/adjustments"


@pytest.fixture
def history(db):
    north, south = LocationFactory(), LocationFactory()
    shirt, socks = ItemFactory(sku="SHIRT"), ItemFactory(sku="SOCKS")
    opening = apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[
            LineInput(location_id=north.pk, item_id=shirt.pk, quantity=10),
            LineInput(location_id=south.pk, item_id=socks.pk, quantity=5),
        ],
        reason="Opening",
    )
    sale = apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=north.pk, item_id=shirt.pk, quantity=-2)],
        reason="Order 7",
    )
    return {"north": north, "south": south, "opening": opening, "sale": sale}


@pytest.fixture
def reader(api, api_client_factory):
    _, token = api_client_factory(["store_inventory_read_only"])
    return api(token)


def test_lists_changes_newest_first(reader, history):
    body = reader.get(HISTORY).json()

    assert [(row["identity"]["sku"], row["delta"], row["kind"]) for row in body["data"]] == [
        ("SHIRT", -2, "relative"),
        ("SOCKS", 5, "absolute"),
        ("SHIRT", 10, "absolute"),
    ]
    first = body["data"][0]
    assert first["transaction_id"] == str(history["sale"].transaction_id)
    assert (first["quantity_before"], first["quantity_after"], first["reason"]) == (
        10,
        8,
        "Order 7",
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sku:in=SOCKS", [("SOCKS", 5)]),
        ("kind:in=relative", [("SHIRT", -2)]),
        ("source:in=system", [("SOCKS", 5), ("SHIRT", 10)]),
        ("location_id:in={south}", [("SOCKS", 5)]),
        ("created_at:min=2999-01-01T00:00:00%2B00:00", []),
    ],
)
def test_filters(reader, history, query, expected):
    body = reader.get(f"{HISTORY}?{query.format(south=history['south'].pk)}").json()

    assert [(row["identity"]["sku"], row["delta"]) for row in body["data"]] == expected


def test_cursor_pages_cover_everything_once(reader, history):
    seen, url = [], f"{HISTORY}?limit=2"
    while url:
        body = reader.get(url).json()
        seen += [row["id"] for row in body["data"]]
        next_link = body["meta"]["cursor_pagination"]["links"].get("next")
        url = f"{HISTORY}{next_link}" if next_link else None

    assert len(seen) == len(set(seen)) == 3
    assert seen == sorted(seen, reverse=True)


@pytest.mark.parametrize("query", ["after=%%%", "created_at:min=yesterday", "limit=5000"])
def test_bad_parameters_are_422(reader, history, query):
    assert reader.get(f"{HISTORY}?{query}").status_code == 422


def test_one_transaction_with_its_lines(reader, history):
    response = reader.get(f"{HISTORY}/{history['opening'].transaction_id}")

    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["kind"], data["source"], data["reason"]) == ("absolute", "system", "Opening")
    assert sorted((line["identity"]["sku"], line["quantity_after"]) for line in data["lines"]) == [
        ("SHIRT", 10),
        ("SOCKS", 5),
    ]


def test_unknown_transaction_is_404(reader, history):
    assert reader.get(f"{HISTORY}/00000000-0000-0000-0000-000000000000").status_code == 404


def test_restricted_client_sees_only_its_locations_history(api, api_client_factory, history):
    _, token = api_client_factory(["store_inventory_read_only"], [history["south"]])

    body = api(token).get(HISTORY).json()
    sale = api(token).get(f"{HISTORY}/{history['sale'].transaction_id}")
    opening = api(token).get(f"{HISTORY}/{history['opening'].transaction_id}").json()

    assert [row["identity"]["sku"] for row in body["data"]] == ["SOCKS"]
    assert sale.status_code == 404
    assert [line["identity"]["sku"] for line in opening["data"]["lines"]] == ["SOCKS"]


@pytest.mark.parametrize(
    "value", ["9999-12-31T23:00:00-16:00", "0001-01-01T00:00:00+01:00", "2026-13-01T00:00:00Z"]
)
def test_times_postgresql_cannot_take_are_422_not_500(reader, history, value):
    response = reader.get(HISTORY, {"created_at:max": value})

    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"created_at:max"}


def test_any_utc_offset_is_understood(reader, history):
    since = reader.get(HISTORY, {"created_at:min": "2000-01-01T00:00:00-16:00"}).json()
    until = reader.get(HISTORY, {"created_at:max": "7207-09-01T12:52:07-16:00"}).json()

    assert len(since["data"]) == len(until["data"]) == 3
