"""Zettle's start and stop tracking of a product, and the product UUID every movement must get
right: refused in Zettle's shape, with nothing changed."""

import uuid

import pytest

from inventory.models import Item
from locations.models import Location
from tests.api.zettle.test_views import (
    INVENTORY,
    SUPPLIER,
    assert_zettle_error,
    change,
    move,
    on_hand,
    snapshot,
)
from tests.factories import ItemFactory, LocationFactory, set_stock

BALANCES = "/api/zettle/organizations/self/inventory/locations"
TRACKING = "/api/zettle/organizations/self/inventory/products/{}"

# Zettle's "Enable tracking" and "Disable tracking" examples, verbatim.
DOC_PRODUCT = "d42260ae-423d-11ec-95a4-10307542d8a2"
DOC_STORE = "fd4a39a0-e2ef-11e6-ba64-85247ae2a737"


@pytest.fixture
def writer(bearer):
    return bearer()


@pytest.fixture
def product(default_location):
    """A product of two variants with stock at location 1, its tracking stopped."""
    variants = ItemFactory.create_batch(2, product_id=300, zettle_tracking=False)
    set_stock(variants[0], default_location, 12)
    return variants


def tracking(items) -> list[bool]:
    return [Item.objects.get(pk=item.pk).zettle_tracking for item in items]


def test_the_documented_enable_example_works_as_written(writer, default_location):
    Location.objects.filter(pk=default_location.pk).update(uuid=DOC_STORE)
    item = ItemFactory(product_uuid=uuid.UUID(DOC_PRODUCT), zettle_tracking=False)

    response = writer.post(INVENTORY, {"productUuid": DOC_PRODUCT}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"locationUuid": DOC_STORE, "variants": []}
    assert tracking([item]) == [True]


def test_the_documented_disable_example_works_as_written(writer, default_location):
    item = ItemFactory(product_uuid=uuid.UUID(DOC_PRODUCT))

    response = writer.delete(TRACKING.format(DOC_PRODUCT))

    assert response.status_code == 204
    assert response.content == b""
    assert tracking([item]) == [False]


def test_starting_answers_the_existing_balances_at_the_store(writer, default_location, product):
    response = writer.post(INVENTORY, {"productUuid": str(product[0].product_uuid)}, format="json")

    assert response.json() == {
        "locationUuid": str(default_location.uuid),
        "variants": [
            {
                "locationUuid": str(default_location.uuid),
                "locationType": "STORE",
                "productUuid": str(product[0].product_uuid),
                "variantUuid": str(product[0].uuid),
                "balance": "12",
            }
        ],
    }
    assert tracking(product) == [True, True]


def test_stopping_hides_the_balances_and_starting_brings_them_back(writer, default_location):
    item = ItemFactory()
    set_stock(item, default_location, 5)
    read = f"{BALANCES}/{default_location.uuid}/products/{item.product_uuid}"

    assert writer.delete(TRACKING.format(item.product_uuid)).status_code == 204
    assert writer.get(read).json()["variants"] == []
    assert on_hand(item, default_location) == 5

    writer.post(INVENTORY, {"productUuid": str(item.product_uuid)}, format="json")
    assert [v["balance"] for v in writer.get(read).json()["variants"]] == ["5"]


def test_stopping_and_starting_again_change_nothing_more(writer, default_location, product):
    path = TRACKING.format(product[0].product_uuid)
    assert writer.delete(path).status_code == 204
    before = snapshot(), list(Item.objects.values_list("zettle_tracking", "updated_at"))

    assert writer.delete(path).status_code == 204

    assert (snapshot(), list(Item.objects.values_list("zettle_tracking", "updated_at"))) == before


def test_tracking_touches_only_that_product(writer, default_location, product):
    other = ItemFactory(product_id=301, zettle_tracking=False)

    writer.post(INVENTORY, {"productUuid": str(product[0].product_uuid)}, format="json")

    assert tracking([*product, other]) == [True, True, False]


def test_tracking_an_unknown_product_is_refused_in_zettles_shape(writer, default_location):
    ItemFactory()
    unknown = str(uuid.uuid4())
    before = snapshot(), list(Item.objects.values_list("zettle_tracking", flat=True))

    started = writer.post(INVENTORY, {"productUuid": unknown}, format="json")
    stopped = writer.delete(TRACKING.format(unknown))
    malformed = writer.delete(TRACKING.format("nope"))

    assert assert_zettle_error(started, 422)["fields"] == {"productUuid"}
    assert assert_zettle_error(stopped, 404)["fields"] == {"productUuid"}
    assert assert_zettle_error(malformed, 404)["fields"] == {"productUuid"}
    assert (snapshot(), list(Item.objects.values_list("zettle_tracking", flat=True))) == before


@pytest.mark.parametrize("body", [{}, {"productUuid": "nope"}, [], {"productUuid": 5}])
def test_a_malformed_start_is_400(writer, default_location, body):
    response = writer.post(INVENTORY, body, format="json")

    assert_zettle_error(response, 400)


def test_a_read_only_token_tracks_nothing(bearer, default_location, product):
    reader = bearer(["store_inventory_read_only"])

    started = reader.post(INVENTORY, {"productUuid": str(product[0].product_uuid)}, format="json")
    stopped = reader.delete(TRACKING.format(product[0].product_uuid))

    assert_zettle_error(started, 403)
    assert_zettle_error(stopped, 403)
    assert tracking(product) == [False, False]


# --- movements: the product UUID and the tracking --------------------------------------------


def test_a_movement_naming_another_product_is_refused_and_changes_nothing(writer, default_location):
    item, stranger = ItemFactory(product_id=10), ItemFactory(product_id=11)
    set_stock(item, default_location, 3)
    before = snapshot()
    wrong = {
        **change(item, SUPPLIER, default_location, 1),
        "productUuid": str(stranger.product_uuid),
    }

    response = move(writer, change(item, SUPPLIER, default_location, 1), wrong)

    error = assert_zettle_error(response, 422)
    assert error["fields"] == {"changes[1].productUuid"}
    assert item.sku in error["violations"][0]["developerMessage"]
    assert snapshot() == before


def test_a_made_up_product_uuid_is_refused(writer, default_location):
    item = ItemFactory()
    before = snapshot()

    response = move(
        writer, {**change(item, SUPPLIER, default_location, 1), "productUuid": str(uuid.uuid4())}
    )

    assert assert_zettle_error(response, 422)["fields"] == {"changes[0].productUuid"}
    assert snapshot() == before


def test_a_movement_of_an_untracked_product_is_refused(writer, default_location, product):
    other = LocationFactory()
    before = snapshot()

    response = move(
        writer,
        change(product[0], default_location, other, 1),
        change(product[1], SUPPLIER, default_location, 1),
    )

    error = assert_zettle_error(response, 422)
    assert error["fields"] == {"changes[0].productUuid", "changes[1].productUuid"}
    assert "POST /organizations/self/inventory" in error["violations"][0]["developerMessage"]
    assert snapshot() == before


def test_variants_of_one_product_share_its_uuid(writer, default_location):
    first, second = ItemFactory.create_batch(2, product_id=44)

    response = move(
        writer,
        change(first, SUPPLIER, default_location, 1),
        change(second, SUPPLIER, default_location, 2),
    )

    assert response.status_code == 200, response.content
    assert first.product_uuid == second.product_uuid
    assert {v["productUuid"] for v in response.json()["variants"]} == {str(first.product_uuid)}


def test_a_start_whose_answer_cannot_be_given_changes_nothing(bearer, default_location, product):
    # The token's STORE is its one location, and that is closed: nothing to answer for.
    session = bearer(["store_inventory"], [LocationFactory(enabled=False)])

    response = session.post(INVENTORY, {"productUuid": str(product[0].product_uuid)}, format="json")

    assert assert_zettle_error(response, 404)["fields"] == {"locationUuid"}
    assert tracking(product) == [False, False]
