"""BigCommerce's own prefix, /stores/{store_hash}/v3/, which its client libraries build: the same
routes as /api/v3/, the same answers, the API's rules at the edges (body limits, NUL checks,
error answers), one operation each in the OpenAPI document, and BigCommerce's 404 for another
store's hash, with nothing changed."""

import uuid

import pytest
from django.conf import settings
from django.urls import reverse

from inventory.models import Adjustment, AdjustmentLine, Balance
from locations.models import Location
from tests.api.bigcommerce.schema import assert_matches
from tests.api.problems import assert_problem
from tests.factories import ItemFactory, LocationFactory, set_stock

API = "/api/v3/"
STORE = "/stores/stockroom/v3/"
BOTH = pytest.mark.parametrize("prefix", [API, STORE])
KIOSK = {
    "code": "KIOSK",
    "label": "Kiosk",
    "type_id": "VIRTUAL",
    "managed_by_external_source": False,
    "time_zone": "Europe/Berlin",
}


@pytest.fixture
def shop(db):
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    shirt, mug = ItemFactory(sku="SHIRT"), ItemFactory(sku="MUG")
    set_stock(shirt, north, 11)
    set_stock(mug, south, 4)
    return {"north": north, "south": south, "shirt": shirt, "mug": mug}


@pytest.fixture
def partner(api_client_factory, api):
    client, token = api_client_factory(["store_inventory", "store_locations"])
    session = api(token)
    session.api_client = client
    return session


def snapshot():
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        sorted(Location.objects.values_list("id", "code", "label")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def test_the_default_store_hash_is_stockroom():
    assert settings.STORE_HASH == "stockroom"


@pytest.mark.parametrize(
    "path",
    [
        "inventory/items?sku:in=SHIRT,MUG",
        "inventory/items?location_id:in={north}&limit=1&page=1",
        "inventory/locations",
        "inventory/locations/{north}/items",
        "inventory/adjustments",
        "items?sku:in=SHIRT",
        "ping",
    ],
)
def test_a_read_answers_the_same_under_both_prefixes(partner, shop, path):
    path = path.format(north=shop["north"].pk)

    ours, bigcommerce = partner.get(API + path), partner.get(STORE + path)

    assert ours.status_code == bigcommerce.status_code == 200, bigcommerce.content
    assert bigcommerce.json() == ours.json()
    assert bigcommerce["Content-Type"] == ours["Content-Type"]
    assert "X-Rate-Limit-Requests-Left" in bigcommerce


@BOTH
def test_both_adjustments_do_the_same_under_both_prefixes(partner, shop, prefix):
    shirt, north = shop["shirt"], shop["north"]
    line = {"location_id": north.pk, "sku": "SHIRT"}

    absolute = partner.put(
        prefix + "inventory/adjustments/absolute",
        {"reason": "Count", "items": [{**line, "quantity": 25}]},
        format="json",
    )
    relative = partner.post(
        prefix + "inventory/adjustments/relative",
        {"reason": "Sale", "items": [{**line, "quantity": -3}]},
        format="json",
    )

    for response in (absolute, relative):
        assert response.status_code == 200, response.content
        assert_matches(response.json(), "SimpleTransactionResponse")
    made = Adjustment.objects.filter(
        transaction_id__in=[absolute.json()["transaction_id"], relative.json()["transaction_id"]]
    ).order_by("created_at", "pk")
    assert [(a.kind, a.source, a.api_client) for a in made] == [
        (Adjustment.Kind.ABSOLUTE, Adjustment.Source.API, partner.api_client),
        (Adjustment.Kind.RELATIVE, Adjustment.Source.API, partner.api_client),
    ]
    lines = AdjustmentLine.objects.filter(item=shirt, location=north).order_by("pk")
    assert [(x.quantity_before, x.quantity_after) for x in lines] == [(0, 11), (11, 25), (25, 22)]
    read = partner.get(prefix + "inventory/items?sku:in=SHIRT").json()
    (at_north,) = [row for row in read["data"][0]["locations"] if row["location_id"] == north.pk]
    assert at_north["total_inventory_onhand"] == 22


@BOTH
def test_a_refused_adjustment_is_the_same_refusal_under_both_prefixes(partner, shop, prefix):
    before = snapshot()
    line = {"location_id": shop["north"].pk, "sku": "SHIRT", "quantity": -12}

    response = partner.post(
        prefix + "inventory/adjustments/relative", {"reason": "Sale", "items": [line]}, "json"
    )

    body = assert_problem(response, 422)
    assert list(body["errors"]) == ["items.0.quantity"]
    assert snapshot() == before


def request_body(path: str, shop: dict) -> object:
    """A body this store accepts for `path`."""
    line = {"location_id": shop["north"].pk, "sku": "SHIRT", "quantity": 1}
    return {
        "inventory/items": None,
        "inventory/adjustments/absolute": {"reason": "Count", "items": [line]},
        "inventory/adjustments/relative": {"reason": "Delivery", "items": [line]},
        "inventory/locations": [KIOSK],
    }[path]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "inventory/items"),
        ("put", "inventory/adjustments/absolute"),
        ("post", "inventory/adjustments/relative"),
        ("post", "inventory/locations"),
    ],
)
@pytest.mark.parametrize("store_hash", ["abc123", "STOCKROOM", "stockroom2"])
def test_another_store_hash_is_bigcommerce_404_and_changes_nothing(
    partner, shop, method, path, store_hash
):
    send = getattr(partner, method)
    before = snapshot()

    refused = send(f"/stores/{store_hash}/v3/{path}", request_body(path, shop), "json")

    assert assert_problem(refused, 404)["errors"] == {"store_hash": "No store with this hash."}
    assert snapshot() == before
    # The same request naming this store is answered: only the hash was wrong.
    assert send(STORE + path, request_body(path, shop), "json").status_code == 200


@pytest.mark.parametrize("path", ["/stores/stockroom/v2/inventory/items", STORE + "no-such"])
def test_an_unknown_path_under_this_store_is_a_plain_api_404(partner, path):
    body = assert_problem(partner.get(path), 404)
    assert body["errors"] == {}


def test_an_oversized_body_is_the_api_413(partner):
    response = partner.generic(
        "PUT",
        STORE + "inventory/adjustments/absolute",
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
    )

    assert "body" in assert_problem(response, 413)["errors"]


def test_a_body_larger_than_a_page_takes_passes_as_it_does_under_api(partner, shop):
    # 1.5 MB: pages take at most FORM_MAX_BODY_BYTES (1 MB), the API 5 MB.
    reason = "x" * (settings.FORM_MAX_BODY_BYTES + settings.FORM_MAX_BODY_BYTES // 2)
    line = {"location_id": shop["north"].pk, "sku": "SHIRT", "quantity": 1}

    response = partner.post(
        STORE + "inventory/adjustments/relative", {"reason": reason, "items": [line]}, "json"
    )

    # Read as the API reads it: the reason is too long for the ledger, a 422 naming it.
    assert list(assert_problem(response, 422)["errors"]) == ["reason"]


def test_nul_in_the_query_string_is_the_api_422_not_a_page(partner):
    body = assert_problem(partner.get(STORE + "inventory/items?sku:in=A%00"), 422)
    assert list(body["errors"]) == ["sku:in"]


def test_an_idempotency_key_is_one_request_whichever_prefix_it_came_through(partner):
    key = str(uuid.uuid4())
    locations = [KIOSK]
    headers = {"HTTP_IDEMPOTENCY_KEY": key}

    first = partner.post(STORE + "inventory/locations", locations, "json", **headers)
    retry = partner.post(API + "inventory/locations", locations, "json", **headers)

    assert first.status_code == retry.status_code == 200, first.content
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Location.objects.filter(code="KIOSK").count() == 1


def test_url_names_still_name_the_api_v3_routes():
    assert reverse("api-location-list") == "/api/v3/inventory/locations"
    assert reverse("store:api-location-list") == "/stores/stockroom/v3/inventory/locations"


def test_the_openapi_document_lists_each_operation_once_and_explains_the_prefix(client):
    document = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    paths = list(document["paths"])
    assert [path for path in paths if not path.startswith("/api/")] == []
    assert "/api/v3/inventory/adjustments/absolute" in paths
    assert "/api/v3/inventory/locations/{location_id}/items" in paths
    assert "/stores/{store_hash}/v3" in document["info"]["description"]
    assert "`stockroom`" in document["info"]["description"]
    operation_ids = [
        operation["operationId"]
        for path in document["paths"].values()
        for operation in path.values()
    ]
    assert len(operation_ids) == len(set(operation_ids))
