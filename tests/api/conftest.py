"""Fixtures for API tests: make a client with a token, and a DRF test client that sends it."""

from collections.abc import Callable

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from inventory.api_clients import issue_token
from inventory.models import ApiClient
from locations.models import DEFAULT_LOCATION_ID, Location

MakeApiClient = Callable[..., tuple[ApiClient, str]]
MakeApi = Callable[[str | None], APIClient]


@pytest.fixture
def api_client_factory(db) -> MakeApiClient:
    """`api_client_factory(["store_inventory"], [location])` → (ApiClient, token)."""

    def make(
        scopes: list[str], locations: list[Location] | None = None, name: str = "partner"
    ) -> tuple[ApiClient, str]:
        client = ApiClient(name=name, scopes=list(scopes), restricted_to_locations=bool(locations))
        token = issue_token(client)
        client.save()
        if locations:
            client.allowed_locations.set(locations)
        return client, token

    return make


@pytest.fixture
def api() -> MakeApi:
    """`api(token)` → an APIClient sending `X-Auth-Token: token` (no header when None)."""

    def make(token: str | None = None) -> APIClient:
        client = APIClient()
        if token is not None:
            client.credentials(HTTP_X_AUTH_TOKEN=token)
        return client

    return make


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counts may live in the cache; a test must not inherit another's spent quota.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def bearer(api_client_factory):
    """`bearer(scopes, locations)` → an APIClient sending `Authorization: Bearer <token>`, as
    Ecwid and Zettle clients do; `.api_client` is its ApiClient."""

    def make(scopes=("store_inventory",), locations=None) -> APIClient:
        client, token = api_client_factory(list(scopes), locations)
        session = APIClient()
        session.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        session.api_client = client
        return session

    return make


@pytest.fixture
def default_location(db) -> Location:
    # A transactional test flushes the database, the migration's location 1 with it.
    location, _ = Location.objects.get_or_create(
        pk=DEFAULT_LOCATION_ID, defaults={"code": "DEFAULT", "label": "Default location"}
    )
    return location
