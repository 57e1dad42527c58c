"""The OpenAPI document as Swagger UI and a person's browser use it: every operation offers both
token headers (and the API takes both), operations are grouped by surface in a fixed order, and
/api/schema/ is served in a type a browser shows while other clients negotiate as before."""

import json
from functools import cache

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from inventory.api.schema import GROUPS, group_of, group_operations
from inventory.models import SupplierReceipt, TransferOrder

CHROME_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
EITHER_HEADER = [{"X-Auth-Token": []}, {"Bearer": []}]


@cache
def generated() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture
def document():
    return generated()


def operations(document):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def test_every_operation_offers_either_header(document):
    schemes = document["components"]["securitySchemes"]

    assert schemes["X-Auth-Token"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Auth-Token",
        "description": schemes["X-Auth-Token"]["description"],
    }
    assert schemes["Bearer"]["type"] == "http"
    assert schemes["Bearer"]["scheme"] == "bearer"
    for path, method, operation in operations(document):
        offered = operation["security"]
        assert all(alternative in offered for alternative in EITHER_HEADER), (method, path)


def requires_nothing(path: str, operation: dict) -> bool:
    """No path parameter and no required query parameter (Zettle's balances need `type`)."""
    return "{" not in path and not any(p.get("required") for p in operation.get("parameters", []))


READS_WITHOUT_PARAMETERS = sorted(
    path
    for path, method, operation in operations(generated())
    if method == "get" and requires_nothing(path, operation)
)


@pytest.mark.parametrize("path", READS_WITHOUT_PARAMETERS)
@pytest.mark.parametrize("header", ["X-Auth-Token", "Bearer"])
def test_every_read_answers_either_header(path, header, api_client_factory, api):
    # What the document offers is what the API takes, on every surface.
    _, token = api_client_factory(["store_inventory_read_only", "store_locations_read_only"])
    credentials = (
        {"HTTP_X_AUTH_TOKEN": token}
        if header == "X-Auth-Token"
        else {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    )

    assert api(None).get(path, **credentials).status_code == 200
    assert api(None).get(path).status_code == 401


def test_the_groups_come_in_a_fixed_order_and_take_every_operation(document):
    assert [tag["name"] for tag in document["tags"]] == [
        "BigCommerce inventory",
        "BigCommerce locations",
        "Ecwid",
        "Zettle",
        "Stockroom",
    ]
    assert all(tag["description"] for tag in document["tags"])
    grouped = {}
    for path, method, operation in operations(document):
        (tag,) = operation["tags"]
        grouped.setdefault(tag, set()).add(f"{method.upper()} {path}")
    assert set(grouped) == {group.name for group in GROUPS}
    assert grouped["BigCommerce inventory"] == {
        "PUT /api/v3/inventory/adjustments/absolute",
        "POST /api/v3/inventory/adjustments/relative",
        "GET /api/v3/inventory/items",
        "GET /api/v3/inventory/locations/{location_id}/items",
        "PUT /api/v3/inventory/locations/{location_id}/items",
    }
    assert {"GET /api/v3/inventory/adjustments", "POST /api/v3/inventory/transfers"} <= grouped[
        "Stockroom"
    ]
    assert {
        "GET /api/v3/inventory/transfer-orders",
        "POST /api/v3/inventory/transfer-orders",
        "GET /api/v3/inventory/transfer-orders/{transfer_id}",
        "POST /api/v3/inventory/transfer-orders/{transfer_id}/ship",
        "POST /api/v3/inventory/transfer-orders/{transfer_id}/receive",
        "POST /api/v3/inventory/transfer-orders/{transfer_id}/cancel",
        "POST /api/v3/inventory/transfer-orders/{transfer_id}/close",
        "GET /api/v3/inventory/receipts",
        "POST /api/v3/inventory/receipts",
        "GET /api/v3/inventory/receipts/{receipt_id}",
        "POST /api/v3/inventory/receipts/{receipt_id}/receive",
        "POST /api/v3/inventory/receipts/{receipt_id}/close",
    } <= grouped["Stockroom"]


@pytest.mark.parametrize(
    ("path", "group"),
    [
        # Routes other surfaces add later land in their group by their path alone.
        ("/stores/{store_hash}/v3/inventory/items", "BigCommerce inventory"),
        (
            "/stores/{store_hash}/v3/inventory/locations/{location_id}/items",
            "BigCommerce inventory",
        ),
        ("/api/v3/inventory/locations/{location_id}/metafields", "BigCommerce locations"),
        ("/api/v3/inventory/locations/metafields", "BigCommerce locations"),
        ("/stores/{store_hash}/v3/inventory/adjustments", "Stockroom"),
        ("/api/v3/inventory/transfer-orders", "Stockroom"),
        ("/api/v3/inventory/items-export", "Stockroom"),
        ("/api/ecwid/v3/{store_id}/products/{product_id}", "Ecwid"),
        ("/api/ecwid/v3/{store_id}/profile", "Ecwid"),
        ("/api/zettle/organizations/self/inventory/locations/{location_uuid}", "Zettle"),
    ],
)
def test_a_path_belongs_to_its_surfaces_group(path, group):
    assert group_of(path).name == group


def test_an_operation_of_no_surface_is_reported_and_left_as_declared():
    document = {"paths": {"/elsewhere/thing": {"get": {"tags": ["Mine"]}}}}
    GENERATOR_STATS.reset()

    with GENERATOR_STATS.silence():
        grouped = group_operations(document, generator=None, request=None, public=True)

    assert grouped["paths"]["/elsewhere/thing"]["get"]["tags"] == ["Mine"]
    assert any("/elsewhere/thing" in warning for warning in GENERATOR_STATS._warn_cache)
    GENERATOR_STATS.reset()


@pytest.mark.parametrize(
    ("query", "content_type"),
    [("", "text/plain"), ("?format=json", "application/json"), ("?format=yaml", "text/plain")],
)
def test_a_browser_is_shown_the_document(client, query, content_type):
    response = client.get(f"/api/schema/{query}", HTTP_ACCEPT=CHROME_ACCEPT)

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    assert response["Content-Disposition"].startswith("inline")
    parse = json.loads if content_type == "application/json" else yaml.safe_load
    assert parse(response.content)["info"]["title"] == "Stockroom API"


@pytest.mark.parametrize(
    ("accept", "query", "content_type"),
    [
        (None, "", "application/vnd.oai.openapi"),
        ("application/vnd.oai.openapi", "", "application/vnd.oai.openapi"),
        ("application/vnd.oai.openapi+json", "", "application/vnd.oai.openapi+json"),
        ("application/json", "", "application/json"),
        ("application/yaml", "", "application/yaml"),
        (None, "?format=json", "application/vnd.oai.openapi+json"),
        ("*/*", "?format=json", "application/vnd.oai.openapi+json"),
        ("application/json", "?format=json", "application/json"),
        (None, "?format=xml", "application/vnd.oai.openapi"),
    ],
)
def test_other_clients_get_the_type_they_ask_for(client, accept, query, content_type):
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}

    response = client.get(f"/api/schema/{query}", **headers)

    assert response.status_code == 200
    assert response["Content-Type"].split(";")[0] == content_type
    parse = json.loads if content_type.endswith("json") else yaml.safe_load
    assert parse(response.content)["openapi"] == "3.1.0"


def test_each_document_answers_with_its_own_statuses(document):
    schemas = document["components"]["schemas"]
    transfer = schemas["TransferOrderOut"]["properties"]["status"]["$ref"].rsplit("/", 1)[-1]
    receipt = schemas["ReceiptOut"]["properties"]["status"]["$ref"].rsplit("/", 1)[-1]

    assert schemas[transfer]["enum"] == list(TransferOrder.Status.values)
    assert schemas[receipt]["enum"] == list(SupplierReceipt.Status.values)
