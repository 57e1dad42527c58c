"""The list filters (inventory/api/bigcommerce/filters.py): what they select, and the 422
problem+json that names a refused parameter."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from inventory.api.bigcommerce import filters
from inventory.models import Item
from tests.api.problems import assert_problem
from tests.factories import ItemFactory, LocationFactory, set_stock

ITEMS = "/api/v3/inventory/items"
CATALOG = "/api/v3/items"
LOCATIONS = "/api/v3/inventory/locations"
HISTORY = "/api/v3/inventory/adjustments"


@pytest.fixture
def client(api, api_client_factory):
    _, token = api_client_factory(["store_inventory", "store_locations"])
    return api(token)


@pytest.fixture
def shop(db):
    north = LocationFactory(code="NORTH")
    shirt = ItemFactory(sku="SHIRT", variant_id=78, product_id=130)
    mug = ItemFactory(sku="MUG", variant_id=None, product_id=200, tracking=Item.Tracking.PRODUCT)
    set_stock(shirt, north, 11)
    set_stock(mug, north, 4)
    return {"north": north, "shirt": shirt, "mug": mug}


def skus(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [entry["identity"]["sku"] for entry in response.json()["data"]]


def refused(response) -> dict:
    body = assert_problem(response, 422)
    assert body["title"] == "Invalid query parameter"
    return body["errors"]


def test_item_filters_select_by_sku_variant_and_product(client, shop):
    assert skus(client.get(ITEMS, {"sku:in": "MUG,NOPE"})) == ["MUG"]
    assert skus(client.get(ITEMS, {"variant_id:in": "78"})) == ["SHIRT"]
    assert skus(client.get(ITEMS, {"product_id:in": "130,200"})) == ["SHIRT", "MUG"]


def test_a_list_of_nothing_matches_nothing_and_an_empty_one_is_no_filter(client, shop):
    assert skus(client.get(ITEMS, {"sku:in": ","})) == []
    assert skus(client.get(ITEMS, {"sku:in": ""})) == ["SHIRT", "MUG"]


def test_only_the_first_refused_parameter_is_named(client, shop):
    errors = refused(client.get(ITEMS, {"product_id:in": "x", "variant_id:in": "1;2"}))
    assert errors == {"variant_id:in": "Expected a comma-separated list."}


def test_location_filters_are_checked_before_item_filters(client, shop):
    errors = refused(client.get(ITEMS, {"sku:in": "A\x00", "location_id:in": "-1"}))
    assert errors == {"location_id:in": "Expected a comma-separated list."}


def test_stock_at_every_location_narrows_to_the_named_locations(client, shop):
    LocationFactory(code="SOUTH")
    response = client.get(ITEMS, {"location_code:in": "NORTH"})
    assert response.status_code == 200
    codes = {row["location_code"] for row in response.json()["data"][0]["locations"]}
    assert codes == {"NORTH"}


def test_catalog_filters_by_barcode(client, db):
    ItemFactory(sku="A", barcode="4006381333931")
    ItemFactory(sku="B", barcode="5012345678900")
    response = client.get(CATALOG, {"barcode:in": "5012345678900"})
    assert [item["sku"] for item in response.json()["data"]] == ["B"]


def test_location_flags_read_true_false_1_0_and_refuse_the_rest(client, shop):
    codes = [row["code"] for row in client.get(LOCATIONS, {"is_default": "FALSE"}).json()["data"]]
    assert codes == ["NORTH"]
    codes = [row["code"] for row in client.get(LOCATIONS, {"is_default": "1"}).json()["data"]]
    assert codes == ["DEFAULT"]
    assert refused(client.get(LOCATIONS, {"is_active": "maybe"})) == {
        "is_active": "Expected true or false."
    }


def test_deleting_locations_needs_a_list_of_ids(client, shop):
    body = assert_problem(client.delete(LOCATIONS), 422)
    assert body["errors"] == {"location_id:in": "Required: a comma-separated list of location ids."}
    assert refused(client.delete(f"{LOCATIONS}?location_id:in=a")) == {
        "location_id:in": "Expected a comma-separated list."
    }


def test_history_filters_by_sku_and_refuses_a_time_without_offset(client, shop):
    lines = client.get(HISTORY, {"sku:in": "MUG"}).json()["data"]
    assert [line["identity"]["sku"] for line in lines] == ["MUG"]
    assert client.get(HISTORY, {"sku:in": ","}).json()["data"] == []
    assert refused(client.get(HISTORY, {"created_at:min": "2026-01-01T00:00:00"})) == {
        "created_at:min": "Expected an ISO 8601 time with a UTC offset."
    }


def test_history_time_range_is_inclusive_below_and_exclusive_above(client, shop):
    newest = client.get(HISTORY).json()["data"][0]
    since = client.get(HISTORY, {"created_at:min": newest["created_at"]}).json()["data"]
    until = client.get(HISTORY, {"created_at:max": newest["created_at"]}).json()["data"]
    assert newest["id"] in [line["id"] for line in since]
    assert newest["id"] not in [line["id"] for line in until]


@pytest.mark.parametrize(
    ("path", "filter_sets", "others"),
    [
        (ITEMS, [filters.ItemFilters, filters.StockLocationFilters], {"page", "limit"}),
        (
            "/api/v3/inventory/locations/{location_id}/items",
            [filters.ItemFilters],
            {"page", "limit"},
        ),
        (CATALOG, [filters.CatalogFilters], {"page", "limit"}),
        (LOCATIONS, [filters.LocationFilters], {"page", "limit"}),
        (HISTORY, [filters.HistoryFilters], {"after", "limit"}),
    ],
)
def test_the_document_lists_what_the_filter_sets_read(path, filter_sets, others):
    operation = SchemaGenerator().get_schema(request=None, public=True)["paths"][path]["get"]
    documented = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
    declared = {
        name: f for filter_set in filter_sets for name, f in filter_set.base_filters.items()
    }

    assert set(documented) == set(declared) | others
    for name, query_filter in declared.items():
        assert documented[name]["schema"] == query_filter.openapi_schema, name
        assert documented[name]["description"] == query_filter.label, name
