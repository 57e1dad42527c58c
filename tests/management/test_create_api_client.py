"""`manage.py create_api_client`: the token alone on the last line, scopes checked."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from inventory.models import ApiClient


def create(*args: str) -> list[str]:
    out = StringIO()
    call_command("create_api_client", *args, stdout=out)
    return out.getvalue().splitlines()


def test_last_line_is_a_working_token(db):
    lines = create("shop", "--scope", "store_inventory")

    token = lines[-1]
    api = APIClient()
    api.credentials(HTTP_X_AUTH_TOKEN=token)
    assert api.get("/api/v3/ping").status_code == 200
    assert " " not in token
    assert len(lines) > 1  # a description comes first
    client = ApiClient.objects.get()
    assert client.name == "shop"
    assert client.scopes == ["store_inventory"]
    assert not client.allowed_locations.exists()
    assert not client.restricted_to_locations
    assert token not in client.token_hash


def test_several_scopes_and_locations(location, other_location):
    lines = create(
        "warehouse",
        "--scope",
        "store_locations_read_only",
        "--scope",
        "store_inventory",
        "--location",
        str(location.pk),
        "--location",
        str(other_location.pk),
    )

    client = ApiClient.objects.get()
    assert client.scopes == ["store_inventory", "store_locations_read_only"]
    assert set(client.allowed_locations.all()) == {location, other_location}
    assert client.restricted_to_locations
    assert location.code in "\n".join(lines[:-1])


def test_unknown_scope_lists_the_valid_ones(db):
    with pytest.raises(CommandError) as error:
        create("shop", "--scope", "store_everything")

    message = str(error.value)
    assert "store_everything" in message
    for scope in ApiClient.Scope.values:
        assert scope in message
    assert not ApiClient.objects.exists()


def test_unknown_location_is_refused(db):
    with pytest.raises(CommandError, match="99999"):
        create("shop", "--scope", "store_inventory", "--location", "99999")

    assert not ApiClient.objects.exists()


def test_a_scope_is_required(db):
    with pytest.raises(CommandError):
        create("shop")
