"""API clients in the admin: the token is shown once and only its hash kept; revoking locks the
client out; only superusers and inventory managers manage clients."""

import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.api_clients import client_for_token, issue_token
from inventory.models import ApiClient, IdempotencyRecord
from inventory.permissions import INVENTORY_MANAGERS
from tests.factories import manager, store_staff

ADD = reverse("admin:inventory_apiclient_add")
LIST = reverse("admin:inventory_apiclient_changelist")
TOKEN = re.compile(r'<code id="api-token">([^<]+)</code>')


def ping(token: str) -> int:
    client = APIClient()
    client.credentials(HTTP_X_AUTH_TOKEN=token)
    return client.get("/api/v3/ping").status_code


def add_form_data(client, **fields):
    """The add form as the browser would post it, with the form's own submission token."""
    page = client.get(ADD)
    assert page.status_code == 200
    nonce = page.context["adminform"].form["submission_token"].value()
    return {"submission_token": str(nonce), "location_access": "every", **fields}


@pytest.fixture
def signed_in_manager(client, db):
    user = manager()
    client.force_login(user)
    return user


def test_creating_a_client_shows_its_token_once(client, signed_in_manager, location):
    data = add_form_data(
        client,
        name="Shop sync",
        scopes=["store_inventory"],
        location_access="chosen",
        allowed_locations=[location.pk],
    )

    response = client.post(ADD, data)

    assert response.status_code == 200
    token = TOKEN.search(response.content.decode()).group(1)
    created = ApiClient.objects.get()
    assert created.name == "Shop sync"
    assert created.scopes == ["store_inventory"]
    assert list(created.allowed_locations.all()) == [location]
    assert created.restricted_to_locations
    assert created.created_by == signed_in_manager
    assert client_for_token(token) == created
    assert ping(token) == 200
    assert "no-store" in response["Cache-Control"]
    # Nowhere to be seen again: not on the client's page, not in the list.
    change = client.get(reverse("admin:inventory_apiclient_change", args=[created.pk]))
    assert change.status_code == 200
    assert token not in change.content.decode()
    assert token.partition(".")[2] not in client.get(LIST).content.decode()


def test_only_a_hash_of_the_token_is_stored(client, signed_in_manager):
    response = client.post(
        ADD, add_form_data(client, name="Shop", scopes=["store_inventory_read_only"])
    )
    token = TOKEN.search(response.content.decode()).group(1)
    secret = token.partition(".")[2]

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM inventory_apiclient")
        rows = cursor.fetchall()
        cursor.execute("SELECT session_data FROM django_session")
        sessions = cursor.fetchall()

    stored = repr(rows) + repr(sessions) + repr(list(IdempotencyRecord.objects.values()))
    assert secret not in stored


def test_submitting_the_same_form_twice_creates_one_client(client, signed_in_manager):
    data = add_form_data(client, name="Shop", scopes=["store_inventory"])
    client.post(ADD, data)

    again = client.post(ADD, data)

    created = ApiClient.objects.get()
    assert again.status_code == 302
    assert again["Location"] == reverse("admin:inventory_apiclient_change", args=[created.pk])
    assert not TOKEN.search(client.get(again["Location"]).content.decode())


def test_scopes_are_required_and_must_be_known(client, signed_in_manager):
    missing = client.post(ADD, add_form_data(client, name="Shop"))
    unknown = client.post(ADD, add_form_data(client, name="Shop", scopes=["store_everything"]))

    assert missing.status_code == unknown.status_code == 200
    assert missing.context["adminform"].form.errors["scopes"]
    assert unknown.context["adminform"].form.errors["scopes"]
    assert not ApiClient.objects.exists()


def test_name_scopes_and_locations_can_change_but_not_the_token(
    client, signed_in_manager, location
):
    api_client = ApiClient(name="Old", scopes=["store_inventory"])
    token = issue_token(api_client)
    api_client.save()
    before = (api_client.token_prefix, api_client.token_hash)
    url = reverse("admin:inventory_apiclient_change", args=[api_client.pk])

    response = client.post(
        url,
        {
            "name": "New",
            "scopes": ["store_locations_read_only", "store_inventory_read_only"],
            "location_access": "chosen",
            "allowed_locations": [location.pk],
            "token_prefix": "hijacked",
            "token_hash": "0" * 64,
        },
    )

    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.name == "New"
    assert api_client.scopes == ["store_inventory_read_only", "store_locations_read_only"]
    assert list(api_client.allowed_locations.all()) == [location]
    assert (api_client.token_prefix, api_client.token_hash) == before
    assert ping(token) == 200


def test_the_list_shows_the_clients(client, signed_in_manager, location):
    active = ApiClient(name="Active one", scopes=["store_inventory"], restricted_to_locations=True)
    issue_token(active)
    active.save()
    active.allowed_locations.set([location])

    page = client.get(LIST).content.decode()

    assert "Active one" in page
    assert active.token_prefix in page
    assert "store_inventory" in page
    assert location.code in page
    assert "Active" in page


def test_a_client_left_without_locations_is_listed_as_having_none(
    client, signed_in_manager, location
):
    stranded = ApiClient(
        name="Kiosk till", scopes=["store_inventory"], restricted_to_locations=True
    )
    issue_token(stranded)
    stranded.save()

    page = client.get(LIST).content.decode()

    assert "None (its locations were deleted)" in page
    assert "All locations" not in page


def test_restricting_a_client_needs_a_location(client, signed_in_manager, location):
    restricted_to_nothing = client.post(
        ADD,
        add_form_data(client, name="Shop", scopes=["store_inventory"], location_access="chosen"),
    )
    every_and_some = client.post(
        ADD,
        add_form_data(
            client,
            name="Shop",
            scopes=["store_inventory"],
            location_access="every",
            allowed_locations=[location.pk],
        ),
    )

    for response in (restricted_to_nothing, every_and_some):
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["allowed_locations"]
    assert not ApiClient.objects.exists()


def test_an_unrestricted_client_may_be_restricted_and_freed_again(
    client, signed_in_manager, location
):
    api_client = ApiClient(name="Shop", scopes=["store_inventory"])
    issue_token(api_client)
    api_client.save()
    url = reverse("admin:inventory_apiclient_change", args=[api_client.pk])
    fields = {"name": "Shop", "scopes": ["store_inventory"]}

    client.post(url, {**fields, "location_access": "chosen", "allowed_locations": [location.pk]})
    api_client.refresh_from_db()
    assert api_client.restricted_to_locations
    assert list(api_client.allowed_locations.all()) == [location]

    client.post(url, {**fields, "location_access": "every"})
    api_client.refresh_from_db()
    assert not api_client.restricted_to_locations
    assert not api_client.allowed_locations.exists()


def test_revoke_action(client, signed_in_manager):
    api_client = ApiClient(name="Leaked", scopes=["store_inventory"])
    token = issue_token(api_client)
    api_client.save()
    assert ping(token) == 200

    response = client.post(LIST, {"action": "revoke_selected", "_selected_action": [api_client.pk]})

    assert response.status_code == 302
    api_client.refresh_from_db()
    assert api_client.revoked_at is not None
    assert ping(token) == 401
    assert "Revoked" in client.get(LIST).content.decode()


def test_clients_are_never_deleted(client, signed_in_manager):
    api_client = ApiClient(name="Keep", scopes=[])
    issue_token(api_client)
    api_client.save()

    response = client.get(reverse("admin:inventory_apiclient_delete", args=[api_client.pk]))

    assert response.status_code == 403
    assert "delete_selected" not in client.get(LIST).content.decode()


def test_inventory_managers_hold_the_permissions(db):
    codenames = set(
        Group.objects.get(name=INVENTORY_MANAGERS).permissions.values_list("codename", flat=True)
    )

    assert {"add_apiclient", "change_apiclient", "view_apiclient"} <= codenames
    assert "delete_apiclient" not in codenames


def test_staff_without_the_permission_get_403(client, location):
    client.force_login(store_staff(location))

    assert client.get(ADD).status_code == 403
    assert client.get(LIST).status_code == 403
    assert client.post(ADD, {"name": "x", "scopes": ["store_inventory"]}).status_code == 403
    assert not ApiClient.objects.exists()


def test_superusers_manage_clients(admin_client):
    data = add_form_data(admin_client, name="Root's", scopes=["store_locations"])

    response = admin_client.post(ADD, data)

    assert TOKEN.search(response.content.decode())
    assert ApiClient.objects.get().scopes == ["store_locations"]
