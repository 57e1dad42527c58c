"""Helpers of the location metafield tests."""

import pytest

from inventory.models import LocationMetafield
from tests.api.bigcommerce.schema import assert_matches

BATCH = "/api/v3/inventory/locations/metafields"
WRITE = "store_locations"
READ_ONLY = "store_locations_read_only"


def at(location_id: int, metafield_id: int | None = None) -> str:
    url = f"/api/v3/inventory/locations/{location_id}/metafields"
    return url if metafield_id is None else f"{url}/{metafield_id}"


def field(**overrides) -> dict:
    """BigCommerce's own example of a location metafield."""
    return {
        "permission_set": "app_only",
        "namespace": "Sales Department",
        "key": "Staff Name",
        "value": "Ronaldo",
        "description": "Name of Staff Member",
        **overrides,
    }


def assert_metafield(data: dict) -> dict:
    assert_matches(data, "Metafield", "locations")
    assert data["resource_type"] == "location"
    return data


def stored() -> list[tuple]:
    """Every metafield as stored: what a refused request must leave as it was."""
    return list(
        LocationMetafield.objects.order_by("pk").values_list(
            "pk",
            "location_id",
            "owner_id",
            "namespace",
            "key",
            "value",
            "permission_set",
            "description",
            "updated_at",
        )
    )


@pytest.fixture
def client_of(api_client_factory, api):
    """`client_of([scopes], locations, name)` → an APIClient with `.api_client`."""

    def make(scopes=(WRITE,), locations=None, name="partner"):
        client, token = api_client_factory(list(scopes), locations, name=name)
        session = api(token)
        session.api_client = client
        return session

    return make
