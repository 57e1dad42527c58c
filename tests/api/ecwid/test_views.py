"""Ecwid's inventory adjustment under /api/ecwid/v3 (inventory/api/ecwid/views.py): a delta at
the default location, answered and refused in Ecwid's shapes."""

import pytest

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from locations.models import DEFAULT_LOCATION_ID, Location
from tests.api.ecwid.helpers import (
    assert_ecwid_error,
    combination_url,
    inventory_url,
    snapshot,
)
from tests.factories import ItemFactory, LocationFactory, set_stock

NEGATIVE_STOCK_WARNING = "Product has negative stock."
product_url = inventory_url  # this module's product route is the product's inventory


def allow_negative_stock(location):
    Location.objects.filter(pk=location.pk).update(allow_negative_stock=True)


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def put(session, url, body, **kwargs):
    return session.put(url, body, format="json", **kwargs)


# --- the seed's request ---------------------------------------------------------------------


def test_seed_request_works_as_written(writer, product, default_location):
    # ../shared/seeds/004: "Authorization: Bearer <token>" and an `Inventory` body with
    # `quantityDelta`; the answer is an `InventoryAdjustmentStatus`. The example delta is the
    # one Ecwid's own docs use ("if you need to decrease quantity by 10 items").
    set_stock(product, default_location, 25)

    response = put(writer, product_url(product.product_id), {"quantityDelta": -10})

    assert response.status_code == 200, response.content
    assert response.json() == {"updateCount": 1}
    assert on_hand(product, default_location) == 15
    line = AdjustmentLine.objects.get(adjustment__source=Adjustment.Source.API)
    assert (line.location_id, line.quantity_before, line.quantity_after) == (1, 25, 15)
    assert line.adjustment.kind == Adjustment.Kind.RELATIVE
    assert line.adjustment.api_client == writer.api_client


def test_increase_creates_the_balance(writer, product, default_location):
    response = put(writer, product_url(product.product_id), {"quantityDelta": 7})

    assert response.json() == {"updateCount": 1}
    assert on_hand(product, default_location) == 7


def test_combination_route_adjusts_the_variant(writer, combination, default_location):
    set_stock(combination, default_location, 5)

    response = put(writer, combination_url(130, 78), {"quantityDelta": -2})

    assert response.status_code == 200, response.content
    assert response.json() == {"updateCount": 1}
    assert on_hand(combination, default_location) == 3


def test_only_the_default_location_changes(writer, product, default_location):
    elsewhere = LocationFactory()
    set_stock(product, elsewhere, 9)

    put(writer, product_url(product.product_id), {"quantityDelta": 4})

    assert on_hand(product, elsewhere) == 9
    assert on_hand(product, default_location) == 4


def test_store_id_is_ignored(writer, product, default_location):
    for store_id in (1003, 42, "anything"):
        response = put(writer, product_url(product.product_id, store_id), {"quantityDelta": 1})
        assert response.status_code == 200, response.content

    assert on_hand(product, default_location) == 3


# --- negative stock ---------------------------------------------------------------------------


def test_negative_result_is_applied_with_ecwids_warning_where_allowed(
    writer, product, default_location
):
    # Ecwid's own client test: from 15, a delta of -20 gives -5 and the warning.
    allow_negative_stock(default_location)
    set_stock(product, default_location, 15)

    response = put(writer, product_url(product.product_id), {"quantityDelta": -20})

    assert response.status_code == 200, response.content
    assert response.json() == {"updateCount": 1, "warning": NEGATIVE_STOCK_WARNING}
    assert on_hand(product, default_location) == -5


def test_no_warning_while_the_result_is_not_negative(writer, product, default_location):
    allow_negative_stock(default_location)
    set_stock(product, default_location, 15)

    response = put(writer, product_url(product.product_id), {"quantityDelta": -15})

    assert response.json() == {"updateCount": 1}


def test_negative_result_is_refused_where_negative_stock_is_off(
    writer, combination, default_location
):
    set_stock(combination, default_location, 15)
    before = snapshot()

    response = put(writer, combination_url(130, 78), {"quantityDelta": -20})

    body = assert_ecwid_error(response, 422)
    assert body["errorCode"] == "INSUFFICIENT_STOCK"
    assert "insufficient stock" in body["errorMessage"]
    assert snapshot() == before
    assert on_hand(combination, default_location) == 15


def test_decrease_below_safety_stock_is_refused(writer, product, default_location):
    set_stock(product, default_location, 15)
    Balance.objects.filter(item=product).update(safety_stock=10)
    before = snapshot()

    response = put(writer, product_url(product.product_id), {"quantityDelta": -6})

    assert_ecwid_error(response, 422)
    assert snapshot() == before


# --- unknown products and combinations --------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (product_url(999), "Product not found"),
        (product_url(-1), "Product not found"),
        (product_url("abc"), "Product not found"),
        (product_url(99_999_999_999), "Product not found"),
        (combination_url(130, 999), "Combination not found"),
        (combination_url(200, 78), "Combination not found"),  # 78 is a variant of 130
        (combination_url(130, "x"), "Combination not found"),
    ],
)
def test_unknown_product_or_combination_is_404(
    writer, product, combination, default_location, url, message
):
    before = snapshot()

    response = put(writer, url, {"quantityDelta": 1})

    body = assert_ecwid_error(response, 404)
    assert body["errorMessage"].startswith(message)
    assert snapshot() == before


def test_product_route_of_a_product_tracked_by_variant_is_400(writer, combination):
    before = snapshot()

    response = put(writer, product_url(130), {"quantityDelta": 1})

    body = assert_ecwid_error(response, 400)
    assert "combinations/{combinationId}/inventory" in body["errorMessage"]
    assert body["errorCode"] == "WRONG_IDENTIFIER_FOR_TRACKING"
    assert snapshot() == before


def test_combination_route_of_a_product_tracked_as_a_whole_is_400(writer):
    ItemFactory(sku="KIT", product_id=300, variant_id=301, tracking=Item.Tracking.PRODUCT)
    before = snapshot()

    response = put(writer, combination_url(300, 301), {"quantityDelta": 1})

    body = assert_ecwid_error(response, 400)
    assert "/products/300/inventory" in body["errorMessage"]
    assert snapshot() == before


# --- malformed requests -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"quantityDelta": "5"},
        {"quantityDelta": 1.5},
        {"quantityDelta": None},
        {"quantityDelta": 2_147_483_648},
        {"quantityDelta": 1, "checkLowStockNotification": "yes"},
        [{"quantityDelta": 1}],
    ],
)
def test_malformed_body_is_400_naming_the_field(writer, product, body):
    before = snapshot()

    response = put(writer, product_url(product.product_id), body)

    error = assert_ecwid_error(response, 400)
    named = "checkLowStockNotification" if "checkLowStockNotification" in body else "quantityDelta"
    if isinstance(body, list):
        named = "body"
    assert named in error["errorMessage"]
    assert snapshot() == before


def test_bad_json_is_400(writer, product):
    response = writer.put(
        product_url(product.product_id), "{not json", content_type="application/json"
    )

    assert_ecwid_error(response, 400)


def test_text_json_is_accepted_and_other_content_types_are_415(writer, product, default_location):
    accepted = writer.put(
        product_url(product.product_id), '{"quantityDelta": 2}', content_type="text/json"
    )
    refused = writer.put(
        product_url(product.product_id), "quantityDelta=2", content_type="text/plain"
    )

    assert accepted.status_code == 200, accepted.content
    assert_ecwid_error(refused, 415)
    assert on_hand(product, default_location) == 2


def test_other_methods_are_405(writer, product):
    assert_ecwid_error(writer.get(product_url(product.product_id)), 405)


# --- low-stock notification flag --------------------------------------------------------------


@pytest.fixture
def notified(monkeypatch):
    """The `notify_low_stock` each write of the Ecwid views passed to the write path."""
    from inventory.api.ecwid import views as ecwid

    seen = []
    real = ecwid.apply_adjustment

    def spy(**kwargs):
        seen.append(kwargs["notify_low_stock"])
        return real(**kwargs)

    monkeypatch.setattr(ecwid, "apply_adjustment", spy)
    return seen


@pytest.mark.parametrize(
    ("body", "query", "expected"),
    [
        ({"quantityDelta": 1}, "", False),  # absent: Ecwid does not check
        ({"quantityDelta": 1, "checkLowStockNotification": True}, "", True),
        ({"quantityDelta": 1, "checkLowStockNotification": False}, "", False),
        ({"quantityDelta": 1}, "?checkLowStockNotification=true", True),
        ({"quantityDelta": 1}, "?checkLowStockNotification=false", False),
        # The body wins over the query string.
        (
            {"quantityDelta": 1, "checkLowStockNotification": False},
            "?checkLowStockNotification=true",
            False,
        ),
    ],
)
def test_check_low_stock_notification_reaches_the_write_path(
    writer, product, notified, body, query, expected
):
    response = put(writer, product_url(product.product_id) + query, body)

    assert response.status_code == 200, response.content
    assert notified == [expected]


def test_a_bad_check_low_stock_notification_parameter_is_400(writer, product, notified):
    response = put(
        writer,
        product_url(product.product_id) + "?checkLowStockNotification=maybe",
        {"quantityDelta": 1},
    )

    body = assert_ecwid_error(response, 400)
    assert "checkLowStockNotification" in body["errorMessage"]
    assert notified == []


# --- tokens, scopes, locations ----------------------------------------------------------------


def test_no_token_is_401_asking_for_a_bearer_token(api, product):
    before = snapshot()

    response = put(api(None), product_url(product.product_id), {"quantityDelta": 1})

    assert_ecwid_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_a_bad_bearer_token_is_401(product):
    from rest_framework.test import APIClient

    session = APIClient()
    session.credentials(HTTP_AUTHORIZATION="Bearer abc.def")

    assert_ecwid_error(put(session, product_url(product.product_id), {"quantityDelta": 1}), 401)


def test_a_read_only_token_is_403_and_changes_nothing(bearer, product):
    reader = bearer(["store_inventory_read_only"])
    before = snapshot()

    response = put(reader, product_url(product.product_id), {"quantityDelta": 1})

    assert_ecwid_error(response, 403)
    assert snapshot() == before


def test_a_token_restricted_to_other_locations_is_403(bearer, product):
    restricted = bearer(locations=[LocationFactory()])
    before = snapshot()

    response = put(restricted, product_url(product.product_id), {"quantityDelta": 1})

    body = assert_ecwid_error(response, 403)
    assert "location_id" in body["errorMessage"]
    assert snapshot() == before


def test_a_disabled_default_location_refuses_the_change(writer, product, default_location):
    Location.objects.filter(pk=DEFAULT_LOCATION_ID).update(enabled=False)
    before = snapshot()

    response = put(writer, product_url(product.product_id), {"quantityDelta": 1})

    body = assert_ecwid_error(response, 422)
    assert body["errorCode"] == "LOCATION_DISABLED"
    assert snapshot() == before


# --- retries --------------------------------------------------------------------------------


def test_idempotency_key_replays_the_answer_and_applies_once(writer, product, default_location):
    allow_negative_stock(default_location)
    set_stock(product, default_location, 1)
    key = {"Idempotency-Key": "ecwid-retry-1"}

    first = put(writer, product_url(product.product_id), {"quantityDelta": -3}, headers=key)
    put(writer, product_url(product.product_id), {"quantityDelta": 10})  # someone else, between
    again = put(writer, product_url(product.product_id), {"quantityDelta": -3}, headers=key)

    assert first.json() == {"updateCount": 1, "warning": NEGATIVE_STOCK_WARNING}
    assert again.status_code == 200
    assert again.json() == first.json()
    assert on_hand(product, default_location) == 1 - 3 + 10


def test_x_auth_token_works_too(api, api_client_factory, product, default_location):
    _, token = api_client_factory(["store_inventory"])

    response = put(api(token), product_url(product.product_id), {"quantityDelta": 1})

    assert response.status_code == 200, response.content
    assert on_hand(product, default_location) == 1


@pytest.mark.parametrize("authorization", ["", "Basic dXNlcjpwdw==", "Bearer ", "Bearer abc.def"])
def test_a_bad_authorization_header_is_refused_even_beside_a_good_x_auth_token(
    api, api_client_factory, product, authorization
):
    # No credential a request carries is silently ignored.
    _, token = api_client_factory(["store_inventory"])
    session = api(token)
    session.credentials(HTTP_X_AUTH_TOKEN=token, HTTP_AUTHORIZATION=authorization)
    before = snapshot()

    response = put(session, product_url(product.product_id), {"quantityDelta": 1})

    assert_ecwid_error(response, 401)
    assert snapshot() == before


def test_rate_limited_requests_are_429_in_ecwids_shape(writer, product, settings):
    settings.API_RATE_LIMIT_REQUESTS = 1
    put(writer, product_url(product.product_id), {"quantityDelta": 1})
    before = snapshot()

    response = put(writer, product_url(product.product_id), {"quantityDelta": 1})

    assert_ecwid_error(response, 429)
    assert int(response["Retry-After"]) >= 1
    assert snapshot() == before


# --- the README's negative-stock table, as written --------------------------------------------


@pytest.mark.parametrize(
    ("delta", "safety_stock", "allowed", "status", "answer", "after"),
    [
        (
            -5,
            0,
            False,
            422,
            {
                "errorMessage": "sku MUG at location 1: insufficient stock: on-hand 3, change -5.",
                "errorCode": "INSUFFICIENT_STOCK",
            },
            3,
        ),
        (-5, 0, True, 200, {"updateCount": 1, "warning": NEGATIVE_STOCK_WARNING}, -2),
        (
            -2,
            2,
            False,
            422,
            {
                "errorMessage": "sku MUG at location 1: insufficient stock: on-hand 3 "
                "(safety stock 2), change -2.",
                "errorCode": "INSUFFICIENT_STOCK",
            },
            3,
        ),
        (-2, 2, True, 200, {"updateCount": 1}, 1),
        (-3, 0, False, 200, {"updateCount": 1}, 0),
        (-3, 0, True, 200, {"updateCount": 1}, 0),
    ],
)
def test_the_readmes_negative_stock_answers(
    writer, product, default_location, delta, safety_stock, allowed, status, answer, after
):
    set_stock(product, default_location, 3)
    Balance.objects.filter(item=product).update(safety_stock=safety_stock)
    if allowed:
        allow_negative_stock(default_location)

    response = put(writer, product_url(product.product_id), {"quantityDelta": delta})

    assert (response.status_code, response.json()) == (status, answer)
    assert on_hand(product, default_location) == after
