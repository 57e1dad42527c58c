"""Reading stock and updating one location's settings, in BigCommerce's shapes."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.movements.services import (
    Planned,
    Who,
    create_receipt,
    create_transfer,
    ship_transfer,
)
from tests.api.bigcommerce.schema import assert_matches
from tests.api.documented import assert_documented
from tests.factories import ItemFactory, LocationFactory, set_stock

# A query count must not catch the first request of a new rate-limit window, which clears
# the windows that are over in the database.
RATE_COUNTED_IN_THE_CACHE = override_settings(API_RATE_LIMIT_STORE="cache")

ITEMS = "/api/v3/inventory/items"


def location_items(location_id) -> str:
    return f"/api/v3/inventory/locations/{location_id}/items"


@pytest.fixture
def shop(db):
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    shirt = ItemFactory(sku="SHIRT", variant_id=78, product_id=130)
    mug = ItemFactory(sku="MUG", variant_id=None, product_id=200, tracking=Item.Tracking.PRODUCT)
    set_stock(shirt, north, 11)
    set_stock(mug, south, 4)
    Balance.objects.filter(item=shirt, location=north).update(
        safety_stock=1, warning_level=3, bin_picking_number="A-1"
    )
    return {"north": north, "south": south, "shirt": shirt, "mug": mug}


@pytest.fixture
def reader(api, api_client_factory):
    _, token = api_client_factory(["store_inventory_read_only"])
    return api(token)


def test_items_at_every_location_in_bigcommerce_shape(reader, shop):
    response = reader.get(ITEMS)

    assert response.status_code == 200
    body = response.json()
    for entry in body["data"]:
        assert_matches(entry, "ItemResponse")
    assert_matches(body["meta"], "Meta")
    shirt = next(entry for entry in body["data"] if entry["identity"]["sku"] == "SHIRT")
    assert shirt["identity"] == {
        "sku": "SHIRT",
        "variant_id": 78,
        "product_id": 130,
        "sku_id": shop["shirt"].pk,
    }
    north = next(row for row in shirt["locations"] if row["location_code"] == "NORTH")
    assert north == {
        "location_id": shop["north"].pk,
        "location_code": "NORTH",
        "location_name": shop["north"].label,
        "location_enabled": True,
        "available_to_sell": 10,
        "total_inventory_onhand": 11,
        "settings": {
            "safety_stock": 1,
            "is_in_stock": True,
            "warning_level": 3,
            "bin_picking_number": "A-1",
        },
        # Ours, beside BigCommerce's fields: nothing moving here.
        "in_transit_out": 0,
        "in_transit_in": 0,
        "expected": 0,
        "incoming": 0,
    }
    south = next(row for row in shirt["locations"] if row["location_code"] == "SOUTH")
    assert (south["total_inventory_onhand"], south["available_to_sell"]) == (0, 0)


def test_sku_id_names_a_variants_record_and_is_null_for_a_product_tracked_whole(reader, shop):
    base = ItemFactory(sku="BASE", variant_id=501, product_id=500, tracking=Item.Tracking.PRODUCT)

    body = reader.get(f"{ITEMS}?sku:in=SHIRT,MUG,BASE").json()

    identities = {entry["identity"]["sku"]: entry["identity"] for entry in body["data"]}
    assert identities["SHIRT"]["sku_id"] == shop["shirt"].pk
    # BigCommerce: "`null` if the item is a base variant": the key is there, with null.
    assert identities["MUG"] == {"sku": "MUG", "product_id": 200, "sku_id": None}
    assert identities["BASE"] == {
        "sku": "BASE",
        "product_id": 500,
        "variant_id": 501,
        "sku_id": None,
    }
    assert base.pk != shop["shirt"].pk
    for entry in body["data"]:
        assert_matches(entry, "ItemResponse")
    # Only inventory items carry it: BigCommerce's LocationItemsResponse has no sku_id.
    at_north = reader.get(location_items(shop["north"].pk)).json()["data"]
    assert {"sku_id"} & {key for entry in at_north for key in entry["identity"]} == set()


@pytest.mark.parametrize(
    ("query", "skus"),
    [
        ("sku:in=SHIRT", {"SHIRT"}),
        ("variant_id:in=78", {"SHIRT"}),
        ("product_id:in=200,130", {"SHIRT", "MUG"}),
        ("sku:in=NONE", set()),
    ],
)
def test_item_filters(reader, shop, query, skus):
    body = reader.get(f"{ITEMS}?{query}").json()

    assert {entry["identity"]["sku"] for entry in body["data"]} == skus


def test_location_filters(reader, shop):
    by_id = reader.get(f"{ITEMS}?sku:in=SHIRT&location_id:in={shop['south'].pk}").json()
    by_code = reader.get(f"{ITEMS}?sku:in=SHIRT&location_code:in=NORTH").json()

    assert [row["location_code"] for row in by_id["data"][0]["locations"]] == ["SOUTH"]
    assert [row["location_code"] for row in by_code["data"][0]["locations"]] == ["NORTH"]


def test_pagination_meta_and_links(reader, shop):
    ItemFactory.create_batch(3)

    body = reader.get(f"{ITEMS}?limit=2&page=2").json()

    assert body["meta"]["pagination"] == {
        "total": 5,
        "count": 2,
        "per_page": 2,
        "current_page": 2,
        "total_pages": 3,
        "links": {
            "current": "?limit=2&page=2",
            "previous": "?limit=2&page=1",
            "next": "?limit=2&page=3",
        },
    }


@pytest.mark.parametrize("query", ["limit=0", "limit=1001", "page=0", "limit=x", "variant_id:in=a"])
def test_bad_query_parameters_are_422(reader, shop, query):
    response = reader.get(f"{ITEMS}?{query}")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


def test_restricted_client_sees_only_its_locations(api, api_client_factory, shop):
    _, token = api_client_factory(["store_inventory"], [shop["north"]])

    body = api(token).get(ITEMS).json()
    hidden = api(token).get(location_items(shop["south"].pk))

    assert {row["location_code"] for entry in body["data"] for row in entry["locations"]} == {
        "NORTH"
    }
    assert hidden.status_code == 404


def test_one_locations_items(reader, shop):
    response = reader.get(location_items(shop["north"].pk))

    assert response.status_code == 200
    body = response.json()
    for entry in body["data"]:
        assert_matches(entry, "LocationItemsResponse")
    shirt = next(entry for entry in body["data"] if entry["identity"]["sku"] == "SHIRT")
    assert (shirt["total_inventory_onhand"], shirt["available_to_sell"]) == (11, 10)
    mug = next(entry for entry in body["data"] if entry["identity"]["sku"] == "MUG")
    assert mug["identity"] == {"sku": "MUG", "product_id": 200}


def test_unknown_location_is_404(reader, shop):
    response = reader.get(location_items(9999))

    assert response.status_code == 404
    assert response.json()["title"] == "Location 9999 not found."


@pytest.fixture
def writer(api, api_client_factory):
    _, token = api_client_factory(["store_inventory"])
    return api(token)


def snapshot():
    return (
        sorted(
            Balance.objects.values_list(
                "item_id",
                "location_id",
                "quantity",
                "safety_stock",
                "warning_level",
                "is_in_stock",
                "bin_picking_number",
            )
        ),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def test_settings_update_changes_only_the_given_settings(writer, shop):
    response = writer.put(
        location_items(shop["north"].pk),
        {
            "settings": [
                {"identity": {"sku": "SHIRT"}, "safety_stock": 5, "is_in_stock": False},
                {"identity": {"product_id": 200}, "bin_picking_number": "Z-9"},
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    assert_matches(response.json(), "SimpleTransactionResponse")
    shirt = Balance.objects.get(item=shop["shirt"], location=shop["north"])
    assert (
        shirt.quantity,
        shirt.safety_stock,
        shirt.is_in_stock,
        shirt.warning_level,
        shirt.bin_picking_number,
    ) == (11, 5, False, 3, "A-1")
    mug = Balance.objects.get(item=shop["mug"], location=shop["north"])
    assert (mug.quantity, mug.bin_picking_number, mug.is_in_stock) == (0, "Z-9", True)
    adjustment = Adjustment.objects.get(transaction_id=response.json()["transaction_id"])
    assert adjustment.kind == Adjustment.Kind.SETTINGS
    assert sorted(adjustment.lines.values_list("delta", flat=True)) == [0, 0]


def test_settings_update_without_any_setting_gives_bigcommerces_error(writer, shop):
    before = snapshot()

    response = writer.put(
        location_items(shop["north"].pk),
        {"settings": [{"identity": {"sku": "SHIRT"}}]},
        format="json",
    )

    assert response.status_code == 422
    assert response.json() == {
        "status": 422,
        "title": "Payload contains invalid fields",
        "type": "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes",
        "errors": {
            "setting.0.settings": "At least one setting must be specified: warning_level, is_in_stock or safety_stock"
        },
    }
    assert snapshot() == before


def test_settings_update_refusals_change_nothing(writer, api, api_client_factory, shop):
    _, read_only = api_client_factory(["store_inventory_read_only"])
    before = snapshot()
    body = {
        "settings": [
            {"identity": {"sku": "SHIRT"}, "safety_stock": 2},
            {"identity": {"sku": "NOPE"}, "safety_stock": 1},
        ]
    }

    unknown = writer.put(location_items(shop["north"].pk), body, format="json")
    forbidden = api(read_only).put(location_items(shop["north"].pk), body, format="json")
    negative = writer.put(
        location_items(shop["north"].pk),
        {"settings": [{"identity": {"sku": "SHIRT"}, "safety_stock": -1}]},
        format="json",
    )

    assert unknown.status_code == 422
    assert set(unknown.json()["errors"]) == {"settings.1.identity.sku"}
    assert forbidden.status_code == 403
    assert negative.status_code == 422
    assert set(negative.json()["errors"]) == {"settings.0.safety_stock"}
    assert snapshot() == before


def test_a_settings_retry_with_its_key_replays_whatever_the_key_order_of_its_json(writer, shop):
    url, key = location_items(shop["north"].pk), {"Idempotency-Key": "settings-1"}
    first = writer.put(
        url,
        {"settings": [{"identity": {"sku": "SHIRT"}, "safety_stock": 5, "warning_level": 6}]},
        format="json",
        headers=key,
    )
    after_first = snapshot()

    retry = writer.put(
        url,
        {"settings": [{"warning_level": 6, "safety_stock": 5, "identity": {"sku": "SHIRT"}}]},
        format="json",
        headers=key,
    )
    other = writer.put(
        url,
        {"settings": [{"identity": {"sku": "SHIRT"}, "safety_stock": 4}]},
        format="json",
        headers=key,
    )

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert other.status_code == 422
    assert set(other.json()["errors"]) == {"Idempotency-Key"}
    assert snapshot() == after_first
    shirt = Balance.objects.get(item=shop["shirt"], location=shop["north"])
    assert (shirt.safety_stock, shirt.warning_level) == (5, 6)


def test_quantities_transfers_and_receipts_hold_beside_bigcommerces(reader, shop):
    north, south, shirt = shop["north"], shop["south"], shop["shirt"]
    transfer = create_transfer(
        origin=north, destination=south, lines=[Planned(shirt, 4)], who=Who()
    )
    ship_transfer(transfer=transfer, who=Who())
    create_receipt(location=south, supplier="Acme", lines=[Planned(shirt, 6)], who=Who())

    body = reader.get(f"{ITEMS}?sku:in=SHIRT").json()
    at_south = reader.get(f"{location_items(south.pk)}?sku:in=SHIRT").json()

    locations = {row["location_code"]: row for row in body["data"][0]["locations"]}
    moving = ("in_transit_out", "in_transit_in", "expected", "incoming")
    assert [locations["NORTH"][name] for name in moving] == [4, 0, 0, 0]
    assert [locations["SOUTH"][name] for name in moving] == [0, 4, 6, 10]
    assert locations["NORTH"]["total_inventory_onhand"] == 7  # shipped: no longer on hand
    assert [at_south["data"][0][name] for name in moving] == [0, 4, 6, 10]
    for entry in body["data"]:
        assert_matches(entry, "ItemResponse")
    for entry in at_south["data"]:
        assert_matches(entry, "LocationItemsResponse")
    # Our fields are in our own document, as BigCommerce's are in its.
    assert_documented(body, "InventoryItemsResponse")
    assert_documented(at_south, "LocationItemsResponse")


@RATE_COUNTED_IN_THE_CACHE
def test_stock_reads_cost_the_same_queries_for_a_page_of_one_or_many(
    reader, shop, django_assert_max_num_queries
):
    north, south = shop["north"], shop["south"]

    def one_page() -> int:
        connection.queries_log.clear()
        with CaptureQueriesContext(connection) as captured:
            reader.get(ITEMS)
            reader.get(location_items(south.pk))
        return len(captured)

    few = one_page()
    for item in ItemFactory.create_batch(8):
        set_stock(item, north, 5)
        transfer = create_transfer(
            origin=north, destination=south, lines=[Planned(item, 2)], who=Who()
        )
        ship_transfer(transfer=transfer, who=Who())
        create_receipt(location=north, supplier="Acme", lines=[Planned(item, 3)], who=Who())
    LocationFactory.create_batch(3)

    with django_assert_max_num_queries(few):
        reader.get(ITEMS)
        reader.get(location_items(south.pk))
