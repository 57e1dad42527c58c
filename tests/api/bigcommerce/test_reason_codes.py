"""Reason codes and references through the API: optional fields of ours on BigCommerce's
adjustment payloads and our transfers, stored, returned by the history, filterable; a code we
do not know is refused and nothing is written."""

import pytest

from inventory.models import Adjustment, AdjustmentLine, Balance
from tests.api.bigcommerce.schema import assert_matches
from tests.api.problems import assert_problem
from tests.factories import ItemFactory, LocationFactory, set_stock

ABSOLUTE = "/api/v3/inventory/adjustments/absolute"
RELATIVE = "/api/v3/inventory/adjustments/relative"
TRANSFERS = "/api/v3/inventory/transfers"
HISTORY = "/api/v3/inventory/adjustments"


@pytest.fixture
def shop(db):
    north, south = LocationFactory(), LocationFactory()
    item = ItemFactory(sku="TEE-BLA-L")
    set_stock(item, north, 10)
    return {"north": north, "south": south, "item": item}


@pytest.fixture
def writer(api_client_factory, api):
    _, token = api_client_factory(["store_inventory"])
    return api(token)


def payload(shop, **why) -> dict:
    return {
        "reason": "Sale, order #10741",
        **why,
        "items": [{"location_id": shop["north"].pk, "sku": "TEE-BLA-L", "quantity": 1}],
    }


def transfer(shop, **why) -> dict:
    line = {
        "from_location_id": shop["north"].pk,
        "to_location_id": shop["south"].pk,
        "sku": "TEE-BLA-L",
        "quantity": 1,
    }
    return {"reason": "Top-up", **why, "items": [line]}


def snapshot():
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [("put", ABSOLUTE, payload), ("post", RELATIVE, payload), ("post", TRANSFERS, transfer)],
)
def test_a_reason_code_and_reference_are_stored_and_read_back(writer, shop, method, url, body):
    sent = body(shop, reason_code="returned", reference="10741")

    response = getattr(writer, method)(url, sent, format="json")

    assert response.status_code == 200, response.content
    transaction_id = response.json()["transaction_id"]
    stored = Adjustment.objects.get(transaction_id=transaction_id)
    assert (stored.reason_code, stored.reason, stored.reference) == (
        "returned",
        sent["reason"],
        "10741",
    )
    detail = writer.get(f"{HISTORY}/{transaction_id}").json()["data"]
    newest = writer.get(HISTORY).json()["data"][0]
    for read in (detail, newest):
        assert (read["reason_code"], read["reason"], read["reference"]) == (
            "returned",
            sent["reason"],
            "10741",
        )


@pytest.mark.parametrize("reason_code", [None, ""])
def test_clients_that_send_no_code_write_as_before(writer, shop, reason_code):
    sent = payload(shop) if reason_code is None else payload(shop, reason_code=reason_code)
    assert_matches(sent, "AdjustmentsRelativeRequest")

    response = writer.post(RELATIVE, sent, format="json")

    assert response.status_code == 200, response.content
    assert_matches(response.json(), "SimpleTransactionResponse")
    stored = Adjustment.objects.get(transaction_id=response.json()["transaction_id"])
    assert (stored.reason_code, stored.reference) == ("", "")
    newest = writer.get(HISTORY).json()["data"][0]
    assert (newest["reason_code"], newest["reference"]) == (None, "")


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [("put", ABSOLUTE, payload), ("post", RELATIVE, payload), ("post", TRANSFERS, transfer)],
)
def test_an_unknown_code_is_refused_naming_the_field_and_nothing_is_written(
    writer, shop, method, url, body
):
    before = snapshot()

    response = getattr(writer, method)(url, body(shop, reason_code="stolen"), format="json")

    assert_problem(response, 422)
    errors = response.json()["errors"]
    assert set(errors) == {"reason_code"}
    assert "'shrinkage'" in errors["reason_code"]
    assert "'received'" in errors["reason_code"]
    assert snapshot() == before


def test_a_reference_too_long_is_refused(writer, shop):
    before = snapshot()

    response = writer.post(RELATIVE, payload(shop, reference="x" * 501), format="json")

    assert_problem(response, 422)
    assert set(response.json()["errors"]) == {"reference"}
    assert snapshot() == before


def test_the_history_filters_by_reason_code(writer, shop):
    for code in ("damaged", "received", "damaged"):
        writer.post(RELATIVE, payload(shop, reason_code=code), format="json")

    damaged = writer.get(HISTORY, {"reason_code:in": "damaged,shrinkage"}).json()["data"]
    received = writer.get(HISTORY, {"reason_code:in": "received"}).json()["data"]

    assert [row["reason_code"] for row in damaged] == ["damaged", "damaged"]
    assert [row["reason_code"] for row in received] == ["received"]


def test_a_keyed_retry_with_another_code_is_not_a_replay(api_client_factory, api, shop):
    _, token = api_client_factory(["store_inventory"])
    client = api(token)
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-10741"}
    first = client.post(RELATIVE, payload(shop, reason_code="sale"), format="json", **headers)
    before = snapshot()

    again = client.post(RELATIVE, payload(shop, reason_code="returned"), format="json", **headers)

    assert first.status_code == 200
    assert_problem(again, 422)
    assert snapshot() == before
