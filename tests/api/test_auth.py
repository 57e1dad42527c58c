"""Tokens: X-Auth-Token or Bearer, 401 problem+json otherwise, only a hash in the database."""

import pytest
from django.db import connection
from django.utils import timezone

from tests.api.problems import assert_problem

PING = "/api/v3/ping"


def test_valid_token_is_accepted(api_client_factory, api):
    _, token = api_client_factory([])

    response = api(token).get(PING)

    assert response.status_code == 200
    assert response.json() == {"ok": True}


def test_missing_token_is_401(db, api):
    response = api(None).get(PING)

    assert_problem(response, 401)
    assert response["WWW-Authenticate"] == "X-Auth-Token"


@pytest.mark.parametrize(
    "bad",
    ["nonsense", "", ".", "deadbeef.", ".secret", "deadbeef.secret", "a.b.c", "x" * 5000],
)
def test_bad_token_is_401(api_client_factory, api, bad):
    api_client_factory(["store_inventory"])

    assert_problem(api(bad).get(PING), 401)


def test_right_prefix_wrong_secret_is_401(api_client_factory, api):
    _, token = api_client_factory(["store_inventory"])
    prefix, _, secret = token.partition(".")

    assert_problem(api(f"{prefix}.{secret[:-1]}x").get(PING), 401)
    assert_problem(api(prefix).get(PING), 401)


def test_revoked_token_is_401(api_client_factory, api):
    client, token = api_client_factory(["store_inventory"])
    client.revoked_at = timezone.now()
    client.save()

    assert_problem(api(token).get(PING), 401)


def test_bearer_token_is_accepted(api_client_factory, api):
    _, token = api_client_factory([])

    response = api(None).get(PING, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 200


def test_bad_bearer_token_is_401_and_other_schemes_count_as_missing(api_client_factory, api):
    _, token = api_client_factory([])

    assert_problem(api(None).get(PING, HTTP_AUTHORIZATION="Bearer nope.nope"), 401)
    assert_problem(api(None).get(PING, HTTP_AUTHORIZATION=f"Basic {token}"), 401)


def test_last_used_at_is_recorded(api_client_factory, api):
    client, token = api_client_factory([])
    assert client.last_used_at is None
    before = timezone.now()

    api(token).get(PING)

    client.refresh_from_db()
    assert client.last_used_at is not None
    assert client.last_used_at >= before


def test_only_a_hash_of_the_token_is_stored(api_client_factory):
    client, token = api_client_factory(["store_inventory"])
    prefix, _, secret = token.partition(".")

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM inventory_apiclient WHERE id = %s", [client.pk])
        row = cursor.fetchone()

    stored = " ".join(str(value) for value in row)
    assert token not in stored
    assert secret not in stored
    assert prefix in stored  # the prefix is what finds the client
    assert client.token_hash != secret
