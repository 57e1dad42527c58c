"""`?token=`, Ecwid's older way of sending a token (inventory/api/ecwid/auth.py): the same
rules as the header, refused when it contradicts a header, never echoed, fingerprinted or
logged."""

import logging

import pytest
from django.utils.log import ServerFormatter
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from inventory.api.idempotent import request_fingerprint
from inventory.api.parsers import StrictJSONParser
from inventory.models import Adjustment, AdjustmentLine
from tests.api.ecwid.helpers import (
    assert_ecwid_error,
    inventory_url,
    product_url,
    profile_url,
    snapshot,
)
from tests.factories import set_stock


@pytest.fixture
def token(api_client_factory):
    _, token = api_client_factory(["store_inventory"], name="Ecwid sync")
    return token


def with_token(url: str, token: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}token={token}"


def assert_not_echoed(response, token: str) -> None:
    assert token not in response.content.decode()
    assert all(token not in value for _, value in response.items())


# --- Ecwid's documented requests, as written --------------------------------------------------


def test_the_documented_profile_request_works_as_written(token):
    # Ecwid's docs: `GET /api/v3/4870020/profile?token=123abcd` (no header at all).
    response = APIClient().get(with_token("/api/ecwid/v3/4870020/profile", token))

    assert response.status_code == 200, response.content
    assert response.json()["generalInfo"]["storeId"] == 4870020
    assert_not_echoed(response, token)


def test_an_adjustment_with_the_token_in_the_query(token, product, default_location):
    # research/seed-apis.md §3.1: the adjust request, with the older docs' `?token=`.
    set_stock(product, default_location, 25)
    url = with_token(inventory_url(200) + "?checkLowStockNotification=false", token)

    response = APIClient().put(url, {"quantityDelta": -10}, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == {"updateCount": 1}
    line = AdjustmentLine.objects.get(adjustment__source=Adjustment.Source.API)
    assert (line.quantity_before, line.quantity_after) == (25, 15)
    assert line.adjustment.api_client.name == "Ecwid sync"
    assert_not_echoed(response, token)


def test_a_product_read_with_the_token_in_the_query(token, product, default_location):
    set_stock(product, default_location, 7)

    response = APIClient().get(with_token(product_url(200), token))

    assert response.json()["quantity"] == 7


# --- the same rules as the header -------------------------------------------------------------


def test_a_read_only_query_token_may_read_but_not_write(api_client_factory, product):
    _, token = api_client_factory(["store_inventory_read_only"])
    before = snapshot()

    read = APIClient().get(with_token(product_url(200), token))
    write = APIClient().put(with_token(inventory_url(200), token), {"quantityDelta": 1})

    assert read.status_code == 200
    assert_ecwid_error(write, 403)
    assert snapshot() == before


@pytest.mark.parametrize("bad", ["sr_abc.def", "nonsense", " "])
def test_a_bad_query_token_is_401(db, product, bad):
    before = snapshot()

    response = APIClient().put(with_token(inventory_url(200), bad), {"quantityDelta": 1})

    assert_ecwid_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_not_echoed(response, bad.strip() or "never-there")
    assert snapshot() == before


def test_bad_query_tokens_count_against_the_callers_address(db, settings):
    settings.API_RATE_LIMIT_REQUESTS = 2
    session = APIClient()

    statuses = [session.get(with_token(profile_url(), "sr_x.y")).status_code for _ in range(3)]

    assert statuses == [401, 401, 429]


def test_other_surfaces_take_no_query_token(token):
    # Only Ecwid documented it: on BigCommerce's and Zettle's routes it is no credential.
    assert APIClient().get(with_token("/api/v3/ping", token)).status_code == 401
    zettle = with_token("/api/zettle/organizations/self/locations", token)
    assert APIClient().get(zettle).status_code == 401


# --- a query token beside a header ------------------------------------------------------------


def test_the_same_token_in_the_query_and_a_header_is_accepted(token, product):
    session = APIClient()
    session.credentials(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_X_AUTH_TOKEN=token)

    assert session.get(with_token(product_url(200), token)).status_code == 200


@pytest.mark.parametrize("header", ["HTTP_AUTHORIZATION", "HTTP_X_AUTH_TOKEN"])
def test_another_token_in_a_header_is_400_and_changes_nothing(
    api_client_factory, token, product, header
):
    # Both tokens are valid: which client is asking cannot be told, so neither is used.
    _, other = api_client_factory(["store_inventory"], name="Other")
    session = APIClient()
    session.credentials(**{header: f"Bearer {other}" if header == "HTTP_AUTHORIZATION" else other})
    before = snapshot()

    response = session.put(with_token(inventory_url(200), token), {"quantityDelta": 1})

    body = assert_ecwid_error(response, 400)
    assert body["errorCode"] == "CONFLICTING_TOKENS"
    assert "token" in body["errorMessage"]
    assert snapshot() == before
    assert_not_echoed(response, token)
    assert_not_echoed(response, other)


def test_two_different_query_tokens_are_400(token, product):
    url = with_token(with_token(product_url(200), token), token + "x")

    assert_ecwid_error(APIClient().get(url), 400)


def test_a_malformed_authorization_header_beside_a_query_token_is_401(token, product):
    session = APIClient()
    session.credentials(HTTP_AUTHORIZATION="Basic dXNlcjpwdw==")

    assert_ecwid_error(session.get(with_token(product_url(200), token)), 401)


# --- never kept, never logged -----------------------------------------------------------------


def test_the_query_token_is_not_part_of_a_request_fingerprint():
    def fingerprint(query: str) -> str:
        django_request = APIRequestFactory().put(
            f"/api/ecwid/v3/1003/products/200/inventory{query}",
            {"quantityDelta": 1},
            format="json",
        )
        return request_fingerprint(Request(django_request, parsers=[StrictJSONParser()]))

    assert fingerprint("?token=sr_a.one") == fingerprint("?token=sr_b.two") == fingerprint("")
    assert fingerprint("?token=sr_a.one&x=1") != fingerprint("?token=sr_a.one&x=2")


def test_the_development_server_logs_no_query_token():
    # As runserver logs each request line (django.core.servers.basehttp.WSGIRequestHandler).
    logger = logging.getLogger("django.server")
    (handler,) = [h for h in logger.handlers if isinstance(h.formatter, ServerFormatter)]
    line = "GET /api/ecwid/v3/1003/profile?limit=1&token=sr_secret.value HTTP/1.1"
    record = logger.makeRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (line, "200", "97"), None
    )

    assert handler.filter(record)
    logged = handler.format(record)

    assert "sr_secret.value" not in logged
    assert "/api/ecwid/v3/1003/profile?limit=1&token=[redacted] HTTP/1.1" in logged


def test_django_logs_refusals_without_the_query(db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        APIClient().get(with_token(profile_url(), "sr_secret.value"))

    assert "Unauthorized: /api/ecwid/v3/1003/profile" in caplog.text
    assert "sr_secret.value" not in caplog.text
