"""Refusals made before any view, in each API surface's own shape (inventory/api/surfaces.py):
a path that names no route (404, with DEBUG on too), a wrong method (405), a body too large
(413) or without a length (411). The OpenAPI pages are no surface and keep working."""

import pytest
from django.conf import settings
from django.http import Http404
from django.test import override_settings
from django.urls import include, path

from inventory.api.surfaces import BIGCOMMERCE, ECWID, ZETTLE, surface_of
from tests.api.ecwid.helpers import assert_ecwid_error
from tests.api.problems import assert_problem


def assert_zettle_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"developerMessage", "errorType", "violations"}
    return body


SHAPES = {"BigCommerce": assert_problem, "Ecwid": assert_ecwid_error, "Zettle": assert_zettle_error}

UNKNOWN_ROUTES = [
    ("BigCommerce", "/api/v3/no-such-route"),
    ("BigCommerce", "/api/v3/inventory/items/"),  # no route ends with a slash
    ("BigCommerce", "/api/v4/inventory/items"),
    ("Ecwid", "/api/ecwid/v3/1003/products"),  # Ecwid's product search: not served here
    ("Ecwid", "/api/ecwid/v3/1003/orders/7"),
    ("Zettle", "/api/zettle/organizations/self/nothing"),
    ("Zettle", "/api/zettle/organizations/self/nothing/"),
    ("BigCommerce", "/stores/stockroom/v3/no-such-route"),
]


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
def test_another_store_hash_is_told_so_with_debug_on_too(everything, debug):
    with override_settings(DEBUG=debug):
        refused = everything.get("/stores/another/v3/inventory/items")
    assert assert_problem(refused, 404)["errors"] == {"store_hash": "No store with this hash."}


@pytest.fixture
def everything(api_client_factory, api):
    """A token with every scope, as X-Auth-Token (which every surface takes)."""
    _, token = api_client_factory(["store_inventory", "store_locations"], name="every scope")
    return api(token)


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
@pytest.mark.parametrize(("surface", "path"), UNKNOWN_ROUTES)
def test_an_unknown_route_is_404_in_its_surfaces_shape(everything, surface, path, debug):
    with override_settings(DEBUG=debug):
        for method in ("get", "put", "delete"):
            SHAPES[surface](getattr(everything, method)(path), 404)


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
@pytest.mark.parametrize(
    ("surface", "method", "path"),
    [
        ("BigCommerce", "patch", "/api/v3/inventory/adjustments/absolute"),
        ("BigCommerce", "post", "/api/v3/ping"),
        ("Ecwid", "delete", "/api/ecwid/v3/1003/products/200/inventory"),
        ("Ecwid", "post", "/api/ecwid/v3/1003/profile"),
        ("Zettle", "delete", "/api/zettle/organizations/self/locations"),
    ],
)
def test_a_wrong_method_is_405_in_its_surfaces_shape(everything, surface, method, path, debug):
    with override_settings(DEBUG=debug):
        response = getattr(everything, method)(path, {}, format="json")

    SHAPES[surface](response, 405)
    assert response["Allow"]


@pytest.mark.parametrize(
    ("surface", "path"),
    [
        ("Ecwid", "/api/ecwid/v3/1003/products/200/inventory"),
        ("Zettle", "/api/zettle/organizations/self/inventory"),
        ("BigCommerce", "/api/v3/inventory/adjustments/absolute"),
    ],
)
def test_a_body_too_large_is_413_in_its_surfaces_shape(everything, surface, path):
    response = everything.generic(
        "PUT",
        path,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
    )

    body = SHAPES[surface](response, 413)
    assert str(settings.API_MAX_BODY_BYTES) in str(body)


@pytest.mark.parametrize(
    "path",
    [
        "/api/ecwid/v3/{store_id}/products/{product_id}/inventory",
        "/api/zettle/organizations/self/inventory",
    ],
)
def test_the_openapi_document_gives_413_the_vendors_shape(client, path):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert list(schema["paths"][path]["put"]["responses"]["413"]["content"]) == ["application/json"]


@pytest.mark.parametrize(
    ("surface", "path"),
    [
        ("Ecwid", "/api/ecwid/v3/1003/products/200/inventory"),
        ("Zettle", "/api/zettle/organizations/self/inventory"),
    ],
)
def test_a_body_without_length_is_411_in_its_surfaces_shape(everything, surface, path):
    response = everything.generic(
        "PUT", path, b"", content_type="application/json", HTTP_TRANSFER_ENCODING="chunked"
    )

    SHAPES[surface](response, 411)


@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
def test_the_openapi_pages_are_no_surface(client, debug):
    with override_settings(DEBUG=debug):
        schema = client.get("/api/schema/")
        docs = client.get("/api/docs/")
        without_slash = client.get("/api/schema")

    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/vnd.oai.openapi")
    assert docs.status_code == 200
    assert docs["Content-Type"].startswith("text/html")
    assert without_slash.status_code == 301
    assert without_slash["Location"] == "/api/schema/"


def missing(request, route):
    raise Http404(route)


# A plain Django view under each surface (not DRF, whose views answer their own 404s).
urlpatterns = [
    path("", include("inventory_project.urls")),
    path("api/v3/plain/<path:route>", missing),
    path("api/ecwid/v3/plain/<path:route>", missing),
    path("api/zettle/plain/<path:route>", missing),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("debug", [False, True], ids=["debug off", "debug on"])
@pytest.mark.parametrize(
    ("surface", "prefix"),
    [("BigCommerce", "/api/v3/"), ("Ecwid", "/api/ecwid/v3/"), ("Zettle", "/api/zettle/")],
)
def test_a_plain_views_404_is_in_its_surfaces_shape(client, surface, prefix, debug):
    with override_settings(DEBUG=debug):
        SHAPES[surface](client.get(f"{prefix}plain/thing"), 404)


def test_pages_outside_the_api_keep_their_html_404(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("path", "surface"),
    [
        ("/api/v3/inventory/items", BIGCOMMERCE),
        ("/api/anything", BIGCOMMERCE),
        ("/api/ecwid/v3/1/profile", ECWID),
        ("/api/zettle/organizations/self/locations", ZETTLE),
        ("/api/schema/", None),
        ("/api/schema", None),
        ("/api/docs/", None),
        ("/admin/", None),
        ("/apiary", None),
    ],
)
def test_which_surface_a_path_belongs_to(path, surface):
    assert surface_of(path) is surface
