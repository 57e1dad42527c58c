"""BigCommerce's batch location metafields, `GET/POST/PUT/DELETE /inventory/locations/metafields`:
all or nothing, and a constant number of queries whatever the batch size."""

import pytest

from inventory.models import LocationMetafield
from tests.api.bigcommerce.metafields import (
    BATCH,
    READ_ONLY,
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
def stores(db):
    return [LocationFactory(label="Downtown store"), LocationFactory(label="Airport kiosk")]


@pytest.fixture
def writer(client_of):
    return client_of(name="Shop sync")


def entries(stores, count: int) -> list[dict]:
    return [
        field(key=f"key-{n}", resource_id=stores[n % len(stores)].pk, permission_set="read")
        for n in range(count)
    ]


def create_many(session, body) -> list[dict]:
    response = session.post(BATCH, body, format="json")
    assert response.status_code == 200, response.content
    answer = response.json()
    assert_matches(answer, "MetaFieldCollectionResponse_POST_PUT", "locations")
    assert answer["errors"] == []
    assert answer["meta"] == {"total": len(body), "success": len(body), "failed": 0}
    return [assert_metafield(data) for data in answer["data"]]


def test_create_update_and_delete_many(writer, stores):
    created = create_many(writer, entries(stores, 3))

    assert [(m["key"], m["resource_id"]) for m in created] == [
        ("key-0", stores[0].pk),
        ("key-1", stores[1].pk),
        ("key-2", stores[0].pk),
    ]
    # BigCommerce's schema types the id of an update as a string; a number is taken too.
    changes = [{"id": str(created[0]["id"]), "value": "new"}, {"id": created[2]["id"], "key": "k"}]
    updated = writer.put(BATCH, changes, format="json")
    assert updated.status_code == 200, updated.content
    assert_matches(updated.json(), "MetaFieldCollectionResponse_POST_PUT", "locations")
    assert [(m["key"], m["value"]) for m in updated.json()["data"]] == [
        ("key-0", "new"),
        ("k", "Ronaldo"),
    ]
    listed = writer.get(BATCH).json()
    assert_matches(listed, "MetaFieldCollectionResponse", "locations")
    assert [m["key"] for m in listed["data"]] == ["key-0", "key-1", "k"]

    ids = [created[0]["id"], created[1]["id"]]
    deleted = writer.delete(BATCH, ids, format="json")

    assert deleted.status_code == 200, deleted.content
    assert_matches(deleted.json(), "MetaFieldCollectionDeleteResponseSuccess", "locations")
    assert deleted.json() == {
        "data": ids,
        "errors": [],
        "meta": {"total": 2, "success": 2, "failed": 0},
    }
    assert list(LocationMetafield.objects.values_list("key", flat=True)) == ["k"]


def test_a_batch_with_one_bad_entry_creates_nothing_and_names_every_failing_one(
    writer, client_of, stores
):
    create_many(writer, [field(resource_id=stores[0].pk)])
    before = stored()
    body = [
        field(key="fine", resource_id=stores[0].pk),
        field(resource_id=stores[0].pk),  # this client keeps it there already
        field(key="twice", resource_id=stores[1].pk),
        field(key="twice", resource_id=stores[1].pk),
        field(key="nowhere", resource_id=999_999),
    ]

    refused = assert_problem(writer.post(BATCH, body, format="json"), 422)

    assert set(refused["errors"]) == {"1.key", "3.key", "4.resource_id"}
    assert "Location 999999 does not exist." in refused["errors"]["4.resource_id"]
    assert "Downtown store" in refused["errors"]["1.key"]
    assert stored() == before
    invalid = assert_problem(writer.post(BATCH, [field(), {"key": 3}], format="json"), 422)
    assert {"0.resource_id", "1.key", "1.value"} <= set(invalid["errors"])


def test_a_restricted_client_writes_only_at_its_locations(client_of, stores):
    restricted = client_of(locations=[stores[0]])

    refused = restricted.post(
        BATCH,
        [field(resource_id=stores[0].pk), field(resource_id=stores[1].pk)],
        format="json",
    )

    body = assert_problem(refused, 403)
    assert list(body["errors"]) == ["1.resource_id"]
    assert "Airport kiosk" in body["errors"]["1.resource_id"]
    assert stored() == []


def test_updates_and_deletes_are_all_or_nothing(writer, client_of, stores):
    mine = create_many(writer, entries(stores[:1], 2))
    theirs = create_many(client_of(name="Other"), [field(resource_id=stores[0].pk)])
    before = stored()

    renamed = writer.put(
        BATCH,
        [{"id": mine[0]["id"], "value": "x"}, {"id": mine[1]["id"], "key": "key-0"}],
        format="json",
    )
    missing = writer.put(BATCH, [{"id": mine[0]["id"], "value": "x"}, {"id": 999}], format="json")
    unknown = writer.delete(BATCH, [mine[0]["id"], 999, theirs[0]["id"]], format="json")

    assert list(assert_problem(renamed, 422)["errors"]) == ["1.key"]
    assert list(assert_problem(missing, 422)["errors"]) == ["1.id"]
    # BigCommerce names a failing delete by its index; another client's app_only one does
    # not exist for this client.
    assert assert_problem(unknown, 422)["errors"] == {
        "1": "Metafield 999 does not exist.",
        "2": f"Metafield {theirs[0]['id']} does not exist.",
    }
    assert stored() == before


def test_another_clients_read_only_metafield_is_refused_with_403(writer, client_of, stores):
    theirs = create_many(client_of(name="Other"), entries(stores, 1))  # permission_set read
    before = stored()

    refused = writer.delete(BATCH, [theirs[0]["id"]], format="json")

    assert "read-only" in assert_problem(refused, 403)["errors"]["0"]
    assert stored() == before


def test_batch_writes_need_the_modify_scope(client_of, stores):
    reader = client_of(scopes=[READ_ONLY])

    assert reader.get(BATCH).status_code == 200
    assert_problem(reader.post(BATCH, entries(stores, 1), format="json"), 403)
    assert_problem(reader.delete(BATCH, [1], format="json"), 403)


@pytest.mark.parametrize("body", [[], [0], "1,2", [True]])
def test_a_batch_delete_needs_a_list_of_ids(writer, body):
    assert_problem(writer.delete(BATCH, body, format="json"), 422)


def test_query_counts_do_not_grow_with_the_batch(
    writer, stores, settings, django_assert_max_num_queries, django_assert_num_queries
):
    # One rate-limit window for the whole test: the first request of a new window also clears
    # the old ones (one more query), which made the counts differ when the test straddled the
    # 30-second boundary.
    settings.API_RATE_LIMIT_WINDOW_SECONDS = 7 * 24 * 3600

    def counted(call) -> int:
        with django_assert_max_num_queries(100) as captured:
            response = call()
        assert response.status_code == 200, response.content
        return len(captured.captured_queries)

    writer.get(BATCH)  # the client's first request also notes when it was last used
    small = counted(lambda: writer.post(BATCH, entries(stores, 1), format="json"))
    big_body = [{**entry, "namespace": "big"} for entry in entries(stores, 200)]
    big = counted(lambda: writer.post(BATCH, big_body, format="json"))
    assert big == small

    ids = list(LocationMetafield.objects.values_list("pk", flat=True))
    one_change = counted(lambda: writer.put(BATCH, [{"id": ids[0], "value": "1"}], format="json"))
    all_changes = [{"id": pk, "value": "2"} for pk in ids]
    assert counted(lambda: writer.put(BATCH, all_changes, format="json")) == one_change

    first_page = counted(lambda: writer.get(f"{BATCH}?limit=1"))
    assert counted(lambda: writer.get(f"{BATCH}?limit=250")) == first_page
    at_one = counted(lambda: writer.get(f"{at(stores[0].pk)}?limit=250"))
    assert at_one <= first_page + 1  # and whether the location exists

    one_delete = counted(lambda: writer.delete(BATCH, ids[:1], format="json"))
    assert counted(lambda: writer.delete(BATCH, ids[1:], format="json")) == one_delete
    assert not LocationMetafield.objects.exists()
