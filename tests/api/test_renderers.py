"""Reads answer with their response models, written by pydantic (inventory/api/renderers.py):
the bytes are those DRF's renderer wrote before, and a model our own data does not fit is our
bug (500), not the client's (422)."""

import json

import pytest
from rest_framework.renderers import JSONRenderer

from inventory.api.bigcommerce import stock
from inventory.api.renderers import ModelJSONRenderer
from inventory.api.schemas import ResponseInvalid
from inventory.models import Item
from locations.models import Location
from tests.factories import ItemFactory, LocationFactory

ITEMS = "/api/v3/inventory/items"
LOCATIONS = "/api/v3/inventory/locations"


@pytest.fixture
def session(api, api_client_factory):
    _, token = api_client_factory(["store_inventory_read_only", "store_locations_read_only"])
    return api(token)


def drf_bytes(body: bytes, **dumps) -> bytes:
    """What DRF's own renderer writes for the same data."""
    return JSONRenderer().render(json.loads(body), **dumps)


def test_a_page_is_written_as_drf_would_write_it(session, default_location):
    ItemFactory(sku="LINE\u2028SEP\u2029", name="Caf\u00e9 \U0001f600", variant_id=7)
    ItemFactory(sku="WHOLE", variant_id=None, tracking=Item.Tracking.PRODUCT)

    body = session.get(f"{ITEMS}?sku:in=LINE\u2028SEP\u2029,WHOLE").content

    assert b"\\u2028SEP\\u2029" in body  # escaped for JavaScript, as DRF does
    assert body == drf_bytes(body)
    first, second = json.loads(body)["data"]
    # The order the keys have always had; variant_id left out when the item has none.
    assert list(first["identity"]) == ["sku", "product_id", "variant_id", "sku_id"]
    assert list(second["identity"]) == ["sku", "product_id", "sku_id"]
    assert list(first["locations"][0]) == [
        "location_id",
        "location_code",
        "location_name",
        "location_enabled",
        "available_to_sell",
        "total_inventory_onhand",
        "settings",
        # Ours, after BigCommerce's.
        "in_transit_out",
        "in_transit_in",
        "expected",
        "incoming",
    ]
    assert list(json.loads(body)["meta"]["pagination"]["links"]) == ["current"]


def test_coordinates_keep_pythons_float_notation(session, default_location):
    LocationFactory(code="EQUATOR", latitude=0.00001, longitude=-1e-7)

    body = session.get(f"{LOCATIONS}?location_code:in=EQUATOR").content

    assert b'"geo_coordinates":{"latitude":1e-05,"longitude":-1e-07}' in body
    assert body == drf_bytes(body)


def test_location_times_are_whole_seconds_in_utc(session, default_location):
    location = session.get(f"{LOCATIONS}?location_id:in=1").json()["data"][0]

    stored = Location.objects.get(pk=1)
    assert location["created_at"] == stored.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_indented_answer_is_indented_as_drf_indents(session, default_location):
    ItemFactory()

    body = session.get(ITEMS, HTTP_ACCEPT="application/json; indent=2").content

    assert body.startswith(b'{\n  "data": [')
    assert body == drf_bytes(body, renderer_context={"indent": 2})


def test_data_that_does_not_fit_its_response_model_is_our_error_not_the_clients(
    session, default_location, monkeypatch
):
    ItemFactory()
    monkeypatch.setattr(stock, "uuids", lambda item: {"uuid": None, "product_uuid": None})

    with pytest.raises(ResponseInvalid):  # a 500: never "Payload contains invalid fields"
        session.get(ITEMS)


def test_plain_data_is_rendered_as_drf_renders_it():
    data = {"a": [1, 2.5e-06, "\u2028"]}

    assert ModelJSONRenderer().render(data) == JSONRenderer().render(data)
