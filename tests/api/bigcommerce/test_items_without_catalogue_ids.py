"""An item made with a SKU and a name only (no BigCommerce product or variant id): BigCommerce's
reads leave the ids out, as they leave out a missing variant_id, and still match BigCommerce's
own schemas; writes name it by SKU; our catalog answers null."""

import pytest

from inventory.models import Balance, Item
from tests.api.bigcommerce.schema import assert_matches
from tests.factories import LocationFactory, set_stock

ITEMS = "/api/v3/inventory/items"
RELATIVE = "/api/v3/inventory/adjustments/relative"


@pytest.fixture
def mug(db):
    location = LocationFactory(code="DT")
    item = Item.objects.create(sku="MUG-BLUE", name="Blue mug")
    set_stock(item, location, 5)
    return item, location


@pytest.fixture
def partner(api, api_client_factory):
    _, token = api_client_factory(["store_inventory"])
    return api(token)


def test_inventory_reads_leave_the_missing_ids_out(partner, mug):
    _, location = mug

    everywhere = partner.get(ITEMS, {"sku:in": "MUG-BLUE"}).json()["data"]
    here = partner.get(f"/api/v3/inventory/locations/{location.pk}/items").json()["data"]

    [entry] = everywhere
    assert entry["identity"] == {"sku": "MUG-BLUE", "sku_id": None}
    assert_matches(entry, "ItemResponse")
    [at_location] = here
    assert at_location["identity"] == {"sku": "MUG-BLUE"}
    assert_matches(at_location, "LocationItemsResponse")


def test_a_partner_adjusts_it_by_sku(partner, mug):
    item, location = mug

    response = partner.post(
        RELATIVE,
        {
            "reason": "Sale",
            "items": [{"location_id": location.pk, "sku": "MUG-BLUE", "quantity": -2}],
        },
        format="json",
    )

    assert response.status_code == 200, response.content
    assert Balance.objects.get(item=item, location=location).quantity == 3


def test_the_catalog_answers_null_for_the_missing_ids(partner, mug):
    [entry] = partner.get("/api/v3/items").json()["data"]

    assert entry["sku"] == "MUG-BLUE"
    assert entry["product_id"] is None
    assert entry["variant_id"] is None
    assert entry["tracking"] == "product"
