"""Zettle's reads under /api/zettle: balances at a location, of a product, by location type,
and the locations listed by type. Zettle's documented examples (its "Fetch inventory balance"
guide) are replayed as written."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.api.zettle.ids import virtual_location_uuid
from inventory.models import Item
from locations.models import Location
from tests.api.zettle.test_views import LOCATIONS, assert_zettle_error
from tests.factories import ItemFactory, LocationFactory, set_stock

BALANCES = "/api/zettle/organizations/self/inventory/locations"
SOLD = str(virtual_location_uuid("SOLD"))

# The example of Zettle's "Fetch inventory balance for a given location", verbatim.
DOC_LOCATION = "6e5e8d52-5ce0-11ec-bf63-0242ac130002"
DOC_PRODUCTS = ["b9675342-5ce0-11ec-bf63-0242ac130002", "24977020-5ce1-11ec-bf63-0242ac130002"]
DOC_VARIANTS = ["d3b93e04-5ce0-11ec-bf63-0242ac130002", "f5c98ab2-5ce0-11ec-bf63-0242ac130002"]
DOC_RESPONSE = {
    "locationUuid": DOC_LOCATION,
    "trackedProducts": DOC_PRODUCTS,
    "variants": [
        {
            "locationUuid": DOC_LOCATION,
            "locationType": "STORE",
            "productUuid": DOC_PRODUCTS[0],
            "variantUuid": DOC_VARIANTS[0],
            "balance": "42",
        },
        {
            "locationUuid": DOC_LOCATION,
            "locationType": "STORE",
            "productUuid": DOC_PRODUCTS[1],
            "variantUuid": DOC_VARIANTS[1],
            "balance": "1337",
        },
    ],
    "latest": 0,
}


@pytest.fixture
def reader(bearer):
    return bearer(["store_inventory_read_only"])


@pytest.fixture
def documented(default_location):
    """The guide's organization: its STORE is our location 1; two products, one variant each."""
    Location.objects.filter(pk=default_location.pk).update(uuid=DOC_LOCATION)
    default_location.refresh_from_db()
    for n, (product, variant, quantity) in enumerate(
        zip(DOC_PRODUCTS, DOC_VARIANTS, [42, 1337], strict=True)
    ):
        item = ItemFactory(uuid=variant, product_uuid=uuid.UUID(product), product_id=n + 1)
        set_stock(item, default_location, quantity)
    return default_location


def test_the_documented_location_example_works_as_written(reader, documented):
    response = reader.get(f"{BALANCES}/{DOC_LOCATION}")

    assert response.status_code == 200, response.content
    assert response.json() == DOC_RESPONSE


@pytest.mark.parametrize("location_type", ["STORE", "store"])
def test_the_documented_type_example_works_as_written(reader, documented, location_type):
    # Zettle writes `…/locations/?type=STORE`; nopCommerce's client sends `…/locations?type=store`.
    for path in (f"{BALANCES}/?type={location_type}", f"{BALANCES}?type={location_type}"):
        response = reader.get(path)

        assert response.status_code == 200, response.content
        assert response.json() == DOC_RESPONSE


def test_the_documented_product_example_works_as_written(reader, documented):
    response = reader.get(f"{BALANCES}/{DOC_LOCATION}/products/{DOC_PRODUCTS[0]}")

    assert response.status_code == 200, response.content
    assert response.json() == {
        "locationUuid": DOC_LOCATION,
        "variants": [DOC_RESPONSE["variants"][0]],
    }


def test_a_trailing_slash_answers_the_same(reader, documented):
    # Shopware's PayPal POS client asks for `…/inventory/locations/{uuid}/`.
    assert reader.get(f"{BALANCES}/{DOC_LOCATION}/").json() == DOC_RESPONSE


def test_a_product_lists_all_its_variants_with_stock_and_only_them(reader, default_location):
    variants = ItemFactory.create_batch(3, product_id=77)
    other = ItemFactory(product_id=78)
    set_stock(variants[0], default_location, 5)
    set_stock(variants[2], default_location, 2)
    set_stock(other, default_location, 9)
    product = variants[0].product_uuid

    response = reader.get(f"{BALANCES}/{default_location.uuid}/products/{product}")

    assert [(v["variantUuid"], v["balance"]) for v in response.json()["variants"]] == [
        (str(variants[0].uuid), "5"),
        (str(variants[2].uuid), "2"),
    ]
    assert {v["productUuid"] for v in response.json()["variants"]} == {str(product)}


def test_balances_are_those_of_the_location_asked_for(reader, default_location):
    other = LocationFactory()
    item = ItemFactory()
    set_stock(item, default_location, 3)
    set_stock(item, other, 8)

    body = reader.get(f"{BALANCES}/{other.uuid}").json()

    assert body["locationUuid"] == str(other.uuid)
    assert [(v["locationUuid"], v["balance"]) for v in body["variants"]] == [(str(other.uuid), "8")]


def test_untracked_products_are_left_out_but_their_stock_is_kept(reader, default_location):
    tracked, untracked = ItemFactory(), ItemFactory(zettle_tracking=False)
    set_stock(tracked, default_location, 1)
    set_stock(untracked, default_location, 4)

    body = reader.get(f"{BALANCES}/{default_location.uuid}").json()

    assert body["trackedProducts"] == [str(tracked.product_uuid)]
    assert [v["variantUuid"] for v in body["variants"]] == [str(tracked.uuid)]
    product = reader.get(f"{BALANCES}/{default_location.uuid}/products/{untracked.product_uuid}")
    assert product.json()["variants"] == []
    assert untracked.balances.get().quantity == 4


@pytest.mark.parametrize("location_type", ["SOLD", "bin", "Supplier"])
def test_a_virtual_location_keeps_no_balances(reader, default_location, location_type):
    item = ItemFactory()
    set_stock(item, default_location, 6)
    virtual = str(virtual_location_uuid(location_type.upper()))

    for path in (f"{BALANCES}/{virtual}", f"{BALANCES}?type={location_type}"):
        body = reader.get(path).json()

        assert body == {
            "locationUuid": virtual,
            "trackedProducts": [str(item.product_uuid)],
            "variants": [],
            "latest": 0,
        }


@pytest.mark.parametrize("location", [str(uuid.uuid4()), "not-a-uuid"])
def test_an_unknown_location_is_404_in_zettles_shape(reader, default_location, location):
    for path in (f"{BALANCES}/{location}", f"{BALANCES}/{location}/products/{uuid.uuid4()}"):
        error = assert_zettle_error(reader.get(path), 404)

        assert error["fields"] == {"locationUuid"}
        assert error["errorType"] == "LOCATION_NOT_FOUND"


def test_a_disabled_location_is_unknown(reader, default_location):
    closed = LocationFactory(enabled=False)

    assert assert_zettle_error(reader.get(f"{BALANCES}/{closed.uuid}"), 404)["fields"] == {
        "locationUuid"
    }


def test_an_unknown_product_is_404_in_zettles_shape(reader, default_location):
    ItemFactory()

    response = reader.get(f"{BALANCES}/{default_location.uuid}/products/{uuid.uuid4()}")

    error = assert_zettle_error(response, 404)
    assert error["fields"] == {"productUuid"}
    assert error["errorType"] == "PRODUCT_NOT_FOUND"


@pytest.mark.parametrize("query", ["", "?type=", "?type=WAREHOUSE"])
def test_the_type_must_be_one_of_zettles(reader, default_location, query):
    error = assert_zettle_error(reader.get(f"{BALANCES}{query}"), 400)

    assert error["fields"] == {"type"}


def test_a_restricted_token_reads_only_its_stores(bearer, default_location):
    other = LocationFactory()
    session = bearer(["store_inventory_read_only"], [other])

    refused = session.get(f"{BALANCES}/{default_location.uuid}")

    assert assert_zettle_error(refused, 403)["fields"] == {"locationUuid"}
    assert session.get(f"{BALANCES}/{other.uuid}").status_code == 200
    # Its STORE is its first location, as in the movements' answer.
    assert session.get(f"{BALANCES}?type=STORE").json()["locationUuid"] == str(other.uuid)


def test_reads_need_a_token(api, default_location):
    response = api().get(f"{BALANCES}/{default_location.uuid}")

    assert_zettle_error(response, 401)


def test_reads_cost_the_same_queries_for_many_products(reader, default_location):
    def queries_per_read() -> list[int]:
        product = Item.objects.order_by("pk").first().product_uuid
        counts = []
        for path in (
            f"{BALANCES}/{default_location.uuid}",
            f"{BALANCES}?type=STORE",
            f"{BALANCES}/{default_location.uuid}/products/{product}",
        ):
            with CaptureQueriesContext(connection) as queries:
                assert reader.get(path).status_code == 200
            counts.append(len(queries))
        return counts

    for item in ItemFactory.create_batch(2, product_id=1):
        set_stock(item, default_location, 1)
    reader.get(LOCATIONS)  # the token's first use is recorded once
    few = queries_per_read()
    for item in ItemFactory.create_batch(60):
        set_stock(item, default_location, 1)
    many = queries_per_read()

    assert many == few
    assert max(few) <= 8  # token, rate limit, location, product, tracked products, balances
    assert len(reader.get(f"{BALANCES}/{default_location.uuid}").json()["variants"]) == 62


# --- the locations, by type --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location_type", "expected"),
    [
        ("STORE", ["STORE", "STORE"]),
        ("store", ["STORE", "STORE"]),
        ("SOLD", ["SOLD"]),
        ("BIN", ["BIN"]),
    ],
)
def test_locations_are_listed_by_type(reader, default_location, location_type, expected):
    LocationFactory()

    response = reader.get(f"{LOCATIONS}?type={location_type}")

    assert response.status_code == 200, response.content
    assert [row["type"] for row in response.json()] == expected


def test_an_unknown_location_type_is_400_naming_it(reader, default_location):
    error = assert_zettle_error(reader.get(f"{LOCATIONS}?type=WAREHOUSE"), 400)

    assert error["fields"] == {"type"}
    assert "STORE" in error["violations"][0]["developerMessage"]
