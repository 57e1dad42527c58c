"""Ecwid's reads under /api/ecwid/v3: a product's stock (inventory/api/ecwid/products.py) and
the store profile (inventory/api/ecwid/profile.py)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Item
from locations.models import Location
from tests.api.ecwid.helpers import (
    assert_ecwid_error,
    inventory_url,
    product_url,
    profile_url,
    snapshot,
)
from tests.factories import ItemFactory, LocationFactory, set_stock


@pytest.fixture
def reader(bearer):
    return bearer(["store_inventory_read_only"])


@pytest.fixture
def tee(db):
    """Product 130, tracked by combination: sizes S, M and L."""
    return [
        ItemFactory(sku=f"TEE-{size}", product_id=130, variant_id=variant_id)
        for size, variant_id in (("L", 80), ("S", 78), ("M", 79))
    ]


# --- a product's stock ------------------------------------------------------------------------


def test_a_product_tracked_as_a_whole_answers_its_stock_at_the_default_location(
    reader, product, default_location
):
    set_stock(product, default_location, 12)
    set_stock(product, LocationFactory(), 500)  # not where Ecwid's adjustments go

    response = reader.get(product_url(200))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "id": 200,
        "sku": "MUG",
        "quantity": 12,
        "inStock": True,
        "unlimited": False,
        "combinations": [],
    }


def test_a_product_tracked_by_combination_answers_each_combination(reader, tee, default_location):
    large, small, medium = tee
    set_stock(small, default_location, 4)
    set_stock(medium, default_location, 0)
    set_stock(large, default_location, 3)
    set_stock(large, LocationFactory(), 40)

    body = reader.get(product_url(130)).json()

    # No `sku`: the product has no stock of its own, only its combinations.
    assert body == {
        "id": 130,
        "quantity": 7,
        "inStock": True,
        "unlimited": False,
        "combinations": [
            {"id": 78, "sku": "TEE-S", "quantity": 4, "inStock": True, "unlimited": False},
            {"id": 79, "sku": "TEE-M", "quantity": 0, "inStock": False, "unlimited": False},
            {"id": 80, "sku": "TEE-L", "quantity": 3, "inStock": True, "unlimited": False},
        ],
    }


def test_without_stock_anywhere_a_product_is_out_of_stock(reader, tee, default_location):
    body = reader.get(product_url(130)).json()

    assert body["quantity"] == 0
    assert body["inStock"] is False
    assert [combination["quantity"] for combination in body["combinations"]] == [0, 0, 0]


def test_negative_stock_is_answered_as_it_is_and_out_of_stock(writer, product, default_location):
    Location.objects.filter(pk=default_location.pk).update(allow_negative_stock=True)
    set_stock(product, default_location, 2)
    writer.put(inventory_url(200), {"quantityDelta": -5}, format="json")

    body = writer.get(product_url(200)).json()

    assert (body["quantity"], body["inStock"], body["unlimited"]) == (-3, False, False)


def test_a_client_reads_what_it_adjusts(writer, product, combination, default_location):
    set_stock(product, default_location, 10)
    set_stock(combination, default_location, 5)

    writer.put(inventory_url(200), {"quantityDelta": -4}, format="json")
    writer.put(f"{product_url(130)}/combinations/78/inventory", {"quantityDelta": 3}, format="json")

    assert writer.get(product_url(200)).json()["quantity"] == 6
    assert writer.get(product_url(130)).json()["combinations"][0]["quantity"] == 8


@pytest.mark.parametrize("product_id", [999, -1, "abc", 99_999_999_999])
def test_an_unknown_product_is_404(reader, product, product_id):
    body = assert_ecwid_error(reader.get(product_url(product_id)), 404)

    assert body["errorMessage"] == "Product not found"


def test_query_count_does_not_grow_with_combinations(reader, default_location):
    def queries_for(product_id: int, combinations: int) -> int:
        for number in range(combinations):
            item = ItemFactory(product_id=product_id, tracking=Item.Tracking.VARIANT)
            set_stock(item, default_location, number)
        with CaptureQueriesContext(connection) as captured:
            response = reader.get(product_url(product_id))
        assert len(response.json()["combinations"]) == combinations
        return len(captured)

    reader.get(profile_url())  # the token's first request of a window costs more: not this
    one = queries_for(400, 1)
    many = queries_for(401, 60)

    assert many == one


def test_a_token_without_inventory_scope_is_403(bearer, product):
    assert_ecwid_error(bearer(["store_locations"]).get(product_url(200)), 403)


def test_a_token_restricted_to_other_locations_may_not_read(bearer, product, default_location):
    set_stock(product, default_location, 12)

    refused = bearer(["store_inventory_read_only"], locations=[LocationFactory()])
    allowed = bearer(["store_inventory_read_only"], locations=[default_location])

    body = assert_ecwid_error(refused.get(product_url(200)), 403)
    assert "default location" in body["errorMessage"]
    assert allowed.get(product_url(200)).json()["quantity"] == 12


def test_no_token_is_401_in_ecwids_shape(api, product):
    response = api(None).get(product_url(200))

    assert_ecwid_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("method", ["put", "post", "delete", "patch"])
def test_the_product_route_only_reads(writer, product, method):
    before = snapshot()

    response = getattr(writer, method)(product_url(200), {"quantity": 1}, format="json")

    assert_ecwid_error(response, 405)
    assert snapshot() == before


# --- the store profile ------------------------------------------------------------------------


def test_the_profile_names_the_store_of_the_path(writer, settings):
    settings.STORE_NAME = "Corner Shop"
    settings.TIME_ZONE = "Europe/Berlin"

    response = writer.get(profile_url(1003))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "generalInfo": {"storeId": 1003},
        "settings": {"storeName": "Corner Shop"},
        "formatsAndUnits": {"timezone": "Europe/Berlin"},
    }


def test_any_store_id_is_this_store(writer):
    # storeId is accepted and ignored everywhere (inventory/api/ecwid/base.py): the profile
    # answers the one asked for, as a number when it is one.
    assert writer.get(profile_url(42)).json()["generalInfo"]["storeId"] == 42
    assert writer.get(profile_url("shop")).json()["generalInfo"]["storeId"] == "shop"


def test_the_profile_takes_any_valid_token(bearer, api):
    assert bearer(["store_locations_read_only"]).get(profile_url()).status_code == 200
    assert_ecwid_error(api(None).get(profile_url()), 401)
    assert_ecwid_error(api("sr_bad.token").get(profile_url()), 401)


def test_the_profile_is_read_only(writer):
    assert_ecwid_error(writer.put(profile_url(), {"settings": {}}, format="json"), 405)


def test_the_default_store_name_is_stockroom(writer):
    assert writer.get(profile_url()).json()["settings"]["storeName"] == "Stockroom"
