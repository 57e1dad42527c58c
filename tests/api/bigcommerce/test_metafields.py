"""BigCommerce's location metafields on one location's path:
`GET/POST /inventory/locations/{location_id}/metafields` and `GET/PUT/DELETE …/{metafield_id}`,
and who may read or change which metafield (its `permission_set`)."""

import re

import pytest

from inventory.models import IdempotencyRecord, LocationMetafield
from tests.api.bigcommerce.metafields import (
    READ_ONLY,
    WRITE,
    assert_metafield,
    at,
    client_of,
    field,
    stored,
)
from tests.api.bigcommerce.schema import assert_matches
from tests.api.problems import assert_problem
from tests.factories import LocationFactory

__all__ = ["client_of"]  # a fixture


@pytest.fixture
def store(db):
    return LocationFactory(label="Downtown store")


@pytest.fixture
def writer(client_of):
    return client_of(name="Shop sync")


def create(session, location, **overrides) -> dict:
    response = session.post(at(location.pk), field(**overrides), format="json")
    assert response.status_code == 200, response.content
    assert response.json()["meta"] == {}
    return assert_metafield(response.json()["data"])


def test_create_read_update_delete_as_bigcommerce_documents(writer, store):
    created = create(writer, store)

    assert created == {
        "id": created["id"],
        "key": "Staff Name",
        "value": "Ronaldo",
        "namespace": "Sales Department",
        "permission_set": "app_only",
        "description": "Name of Staff Member",
        "resource_type": "location",
        "resource_id": store.pk,
        "date_created": created["date_created"],
        "date_modified": created["date_created"],
        "owner_client_id": writer.api_client.token_prefix,
    }
    # BigCommerce's own form: 2022-04-14T23:06:45+00:00
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", created["date_created"])
    read = writer.get(at(store.pk, created["id"]))
    assert read.status_code == 200
    assert read.json() == {"data": created, "meta": {}}

    changed = writer.put(at(store.pk, created["id"]), {"value": "Messi"}, format="json")

    assert changed.status_code == 200, changed.content
    after = assert_metafield(changed.json()["data"])
    assert (after["value"], after["key"], after["description"]) == (
        "Messi",
        "Staff Name",
        "Name of Staff Member",
    )
    assert LocationMetafield.objects.get().value == "Messi"

    deleted = writer.delete(at(store.pk, created["id"]))

    assert (deleted.status_code, deleted.content) == (204, b"")
    assert not LocationMetafield.objects.exists()
    assert_problem(writer.get(at(store.pk, created["id"])), 404)


def test_the_list_filters_and_pages(writer, store):
    other = LocationFactory()
    for key, namespace in [("a", "x"), ("b", "x"), ("c", "y")]:
        create(writer, store, key=key, namespace=namespace)
    create(writer, other, key="a", namespace="x")

    def keys(query: str = "") -> list[str]:
        response = writer.get(f"{at(store.pk)}?{query}")
        assert response.status_code == 200, response.content
        assert_matches(response.json(), "MetaFieldCollectionResponse", "locations")
        return [entry["key"] for entry in response.json()["data"]]

    assert keys() == ["a", "b", "c"]
    assert keys("key=b") == ["b"]
    assert keys("key:in=a,c") == ["a", "c"]
    assert keys("namespace=x") == ["a", "b"]
    assert keys("namespace:in=y,z") == ["c"]
    assert keys("direction=desc") == ["c", "b", "a"]
    assert keys("limit=2&page=2") == ["c"]
    assert keys("date_created:min=2000-01-01") == ["a", "b", "c"]
    assert keys("date_created:max=2000-01-01T00:00:00") == []
    assert keys("date_modified:max=2999-12-31T23:00:00-05:00") == ["a", "b", "c"]
    page = writer.get(f"{at(store.pk)}?limit=2").json()["meta"]["pagination"]
    assert (page["total"], page["total_pages"], page["links"]["next"]) == (3, 2, "?limit=2&page=2")


def test_include_fields_answers_the_id_and_the_fields_named(writer, store):
    created = create(writer, store)

    body = writer.get(f"{at(store.pk)}?include_fields=key,date modified").json()

    assert body["data"] == [
        {"id": created["id"], "key": "Staff Name", "date_modified": created["date_modified"]}
    ]


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("date_created:min=yesterday", "date_created:min"),
        ("date_modified:max=2024-02-30", "date_modified:max"),
        ("direction=up", "direction"),
        ("include_fields=key,secret", "include_fields"),
        ("key=a%00b", "key"),
        ("limit=0", "limit"),
    ],
)
def test_a_bad_query_is_422_naming_it(writer, store, query, name):
    body = assert_problem(writer.get(f"{at(store.pk)}?{query}"), 422)

    assert list(body["errors"]) == [name]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"namespace": "n", "key": "k", "value": "v"}, {"permission_set"}),
        (field(permission_set="everyone"), {"permission_set"}),
        (field(key="", value=""), {"key", "value"}),
        (field(namespace="n" * 65, description="d" * 256), {"namespace", "description"}),
        (field(value=7), {"value"}),
    ],
)
def test_create_refuses_invalid_fields_naming_them(writer, store, body, fields):
    refused = assert_problem(writer.post(at(store.pk), body, format="json"), 422)

    assert set(refused["errors"]) == fields
    assert stored() == []


def test_one_client_keeps_a_namespace_and_key_once_per_location_others_their_own(
    writer, client_of, store
):
    first = create(writer, store)
    before = stored()

    again = writer.post(at(store.pk), field(value="Messi"), format="json")

    body = assert_problem(again, 409)
    assert list(body["errors"]) == ["key"]
    assert f"metafield {first['id']}" in body["errors"]["key"]
    assert stored() == before
    # As in BigCommerce, uniqueness is per client (app): another keeps its own.
    assert create(client_of(name="Other app"), store)["id"] != first["id"]
    assert create(writer, LocationFactory())["id"] != first["id"]


def test_a_location_the_token_may_not_see_does_not_exist_for_it(client_of, store):
    elsewhere = LocationFactory()
    restricted = client_of(locations=[elsewhere])
    mine = create(client_of(name="Unrestricted", scopes=[WRITE]), store, permission_set="write")

    for response in [
        restricted.get(at(store.pk)),
        restricted.post(at(store.pk), field(), format="json"),
        restricted.get(at(store.pk, mine["id"])),
        restricted.put(at(store.pk, mine["id"]), {"value": "x"}, format="json"),
        restricted.delete(at(store.pk, mine["id"])),
        restricted.get(at(999_999)),
    ]:
        assert_problem(response, 404)
    assert LocationMetafield.objects.count() == 1
    assert_problem(restricted.get(at(elsewhere.pk, mine["id"])), 404)  # not at that location


def test_permission_set_decides_what_other_clients_may_read_and_change(client_of, store):
    owner, other = client_of(name="Owner"), client_of(name="Other")
    private = create(owner, store, key="private", permission_set="app_only")
    readable = create(owner, store, key="readable", permission_set="read_and_sf_access")
    shared = create(owner, store, key="shared", permission_set="write")

    listed = [entry["key"] for entry in other.get(at(store.pk)).json()["data"]]
    assert listed == ["readable", "shared"]
    assert_problem(other.get(at(store.pk, private["id"])), 404)
    before = stored()
    assert_problem(other.put(at(store.pk, readable["id"]), {"value": "x"}, format="json"), 403)
    assert_problem(other.delete(at(store.pk, readable["id"])), 403)
    refused = other.put(at(store.pk, shared["id"]), {"permission_set": "app_only"}, format="json")
    assert list(assert_problem(refused, 403)["errors"]) == ["permission_set"]
    assert stored() == before

    changed = other.put(at(store.pk, shared["id"]), {"value": "changed"}, format="json")

    assert changed.status_code == 200, changed.content
    assert changed.json()["data"]["owner_client_id"] == owner.api_client.token_prefix
    assert other.delete(at(store.pk, shared["id"])).status_code == 204


def test_reads_need_a_locations_scope_and_writes_the_modify_one(client_of, store):
    reader = client_of(scopes=[READ_ONLY])
    inventory_only = client_of(scopes=["store_inventory"])

    assert reader.get(at(store.pk)).status_code == 200
    assert_problem(reader.post(at(store.pk), field(), format="json"), 403)
    assert_problem(inventory_only.get(at(store.pk)), 403)
    assert stored() == []


def test_a_create_retried_with_its_idempotency_key_is_answered_again_not_applied(writer, store):
    first = writer.post(at(store.pk), field(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = writer.post(at(store.pk), field(), format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 200
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert LocationMetafield.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1


def test_a_deleted_location_takes_its_metafields_with_it(writer, client_of, store):
    create(writer, store)
    locations = client_of(scopes=[WRITE], name="Locations")

    deleted = locations.delete(f"/api/v3/inventory/locations?location_id:in={store.pk}")

    assert deleted.status_code == 200, deleted.content
    assert stored() == []
