"""BigCommerce scopes: reads need the read-only scope or the modify one, writes the modify one;
a valid token without the scope is 403, no token 401; every route is denied by default."""

import pytest
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope, LocationsScope
from inventory.api.errors import PROBLEM_CONTENT_TYPE


class InventoryProbe(APIView):
    permission_classes = [InventoryScope]

    def get(self, request):
        return Response({"read": True})

    def post(self, request):
        return Response({"wrote": True})


class LocationsProbe(InventoryProbe):
    permission_classes = [LocationsScope]


class DefaultProbe(InventoryProbe):
    """Declares no permission: the settings' default must still ask for a scope."""

    permission_classes = APIView.permission_classes


# This module is the URLconf of its tests (pytest.mark.urls below).
urlpatterns = [
    path("api/v3/", include("inventory.api.bigcommerce.urls")),
    path("api/v3/test/inventory", InventoryProbe.as_view()),
    path("api/v3/test/locations", LocationsProbe.as_view()),
    path("api/v3/test/default", DefaultProbe.as_view()),
]
pytestmark = pytest.mark.urls(__name__)

INVENTORY = "/api/v3/test/inventory"
LOCATIONS = "/api/v3/test/locations"


@pytest.mark.parametrize(
    ("scopes", "path", "can_read", "can_write"),
    [
        (["store_inventory"], INVENTORY, True, True),
        (["store_inventory_read_only"], INVENTORY, True, False),
        (["store_locations"], INVENTORY, False, False),
        (["store_locations_read_only"], INVENTORY, False, False),
        ([], INVENTORY, False, False),
        (["store_locations"], LOCATIONS, True, True),
        (["store_locations_read_only"], LOCATIONS, True, False),
        (["store_inventory"], LOCATIONS, False, False),
        (["store_inventory_read_only", "store_locations_read_only"], LOCATIONS, True, False),
        (["store_inventory", "store_locations"], LOCATIONS, True, True),
    ],
)
def test_scope_grants(api_client_factory, api, scopes, path, can_read, can_write):
    _, token = api_client_factory(scopes)
    client = api(token)

    read = client.get(path)
    write = client.post(path, {}, format="json")

    assert read.status_code == (200 if can_read else 403)
    assert write.status_code == (200 if can_write else 403)


def test_missing_scope_is_403_problem(api_client_factory, api):
    _, token = api_client_factory(["store_inventory_read_only"])

    response = api(token).post(INVENTORY, {}, format="json")

    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert body["status"] == 403
    assert set(body) == {"status", "title", "type", "errors"}


def test_no_token_on_a_scoped_route_is_401_not_403(db, api):
    assert api(None).get(INVENTORY).status_code == 401
    assert api(None).post(INVENTORY, {}, format="json").status_code == 401


def test_routes_without_permission_classes_need_the_inventory_scope(api_client_factory, api):
    _, without = api_client_factory(["store_locations"], name="no inventory")
    _, reader = api_client_factory(["store_inventory_read_only"], name="reader")

    assert api(without).get("/api/v3/test/default").status_code == 403
    assert api(reader).get("/api/v3/test/default").status_code == 200
    assert api(reader).post("/api/v3/test/default", {}, format="json").status_code == 403


def test_ping_needs_a_token_but_no_scope(api_client_factory, api):
    _, token = api_client_factory([])

    assert api(token).get("/api/v3/ping").status_code == 200
    assert api(token).get(INVENTORY).status_code == 403
