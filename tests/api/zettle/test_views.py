"""Zettle's inventory movements under /api/zettle (inventory/api/zettle.py): moves between our
STORE locations and Zettle's virtual ones, one transaction per request, answered with the
balances and refused in Zettle's shapes."""

import uuid

import pytest

from inventory.api.zettle.ids import virtual_location_uuid
from inventory.models import Adjustment, AdjustmentLine, Balance, IdempotencyRecord
from inventory.models.catalog import derived_product_uuid
from locations.models import Location
from tests.factories import ItemFactory, LocationFactory, set_stock

INVENTORY = "/api/zettle/organizations/self/inventory"
LOCATIONS = "/api/zettle/organizations/self/locations"
SUPPLIER = str(virtual_location_uuid("SUPPLIER"))
SOLD = str(virtual_location_uuid("SOLD"))
BIN = str(virtual_location_uuid("BIN"))


def assert_zettle_error(response, status: int) -> dict:
    """An error in Zettle's shape; returns it with `fields`: the property names it names."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"developerMessage", "errorType", "violations"}
    assert body["developerMessage"]
    assert all(set(v) == {"propertyName", "developerMessage"} for v in body["violations"])
    body["fields"] = {violation["propertyName"] for violation in body["violations"]}
    return body


@pytest.fixture
def writer(bearer):
    return bearer()


@pytest.fixture
def store(default_location):
    return default_location


@pytest.fixture
def other_store(db):
    return LocationFactory()


@pytest.fixture
def variants(db):
    """Three variants of one product."""
    return ItemFactory.create_batch(3, product_id=500)


def change(item, source, destination, amount) -> dict:
    return {
        "productUuid": str(item.product_uuid),
        "variantUuid": str(item.uuid),
        "fromLocationUuid": source if isinstance(source, str) else str(source.uuid),
        "toLocationUuid": destination if isinstance(destination, str) else str(destination.uuid),
        "change": amount,
    }


def move(session, *changes, **extra):
    return session.put(INVENTORY, {"changes": list(changes), **extra}, format="json")


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def snapshot():
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
        IdempotencyRecord.objects.count(),
    )


def api_adjustments():
    return list(Adjustment.objects.filter(source=Adjustment.Source.API))


# --- the seed's example -----------------------------------------------------------------------

SEED_REQUEST = {
    "changes": [
        {
            "productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
            "variantUuid": "78194842-5f0f-11ec-bf63-0242ac130002",
            "fromLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
            "toLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
            "change": 42,
        },
        {
            "productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
            "variantUuid": "7c6be742-5f0f-11ec-bf63-0242ac130002",
            "fromLocationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
            "toLocationUuid": "92646e02-5f0f-11ec-bf63-0242ac130002",
            "change": 1337,
        },
    ]
}
SEED_RESPONSE = {
    "locationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
    "variants": [
        {
            "locationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
            "locationType": "STORE",
            "productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
            "variantUuid": "78194842-5f0f-11ec-bf63-0242ac130002",
            "balance": 196,
        },
        {
            "locationUuid": "89ac1e4a-5f0f-11ec-bf63-0242ac130002",
            "locationType": "STORE",
            "productUuid": "65314d7e-5f0f-11ec-bf63-0242ac130002",
            "variantUuid": "7c6be742-5f0f-11ec-bf63-0242ac130002",
            "balance": 10696,
        },
    ],
}


def test_seed_example_works_as_written(writer, store):
    # ../shared/seeds/003, request and response verbatim. The answer is for the STORE, which is
    # 89ac…, the movements' source: so both seed locations are stores of ours, the default one
    # (89ac…, location 1) and another (9264…), and the stock there is what makes the seed's
    # balances: 238 - 42 = 196, 12033 - 1337 = 10696.
    Location.objects.filter(pk=store.pk).update(uuid="89ac1e4a-5f0f-11ec-bf63-0242ac130002")
    other = LocationFactory(uuid="92646e02-5f0f-11ec-bf63-0242ac130002")
    # The seed's product UUID is given to the product's first variant; its second takes it.
    first = ItemFactory(
        uuid="78194842-5f0f-11ec-bf63-0242ac130002",
        product_id=65,
        product_uuid=uuid.UUID("65314d7e-5f0f-11ec-bf63-0242ac130002"),
    )
    second = ItemFactory(uuid="7c6be742-5f0f-11ec-bf63-0242ac130002", product_id=65)
    set_stock(first, store, 238)
    set_stock(second, store, 12033)

    response = writer.put(INVENTORY, SEED_REQUEST, format="json")

    assert response.status_code == 200, response.content
    assert response.json() == SEED_RESPONSE
    assert (on_hand(first, store), on_hand(second, store)) == (196, 10696)
    assert (on_hand(first, other), on_hand(second, other)) == (42, 1337)
    [adjustment] = api_adjustments()
    assert adjustment.kind == Adjustment.Kind.TRANSFER
    assert adjustment.api_client == writer.api_client


# --- movements --------------------------------------------------------------------------------


def test_supplier_to_store_restocks(writer, store, variants):
    item = variants[0]
    set_stock(item, store, 30)

    response = move(writer, change(item, SUPPLIER, store, 10))

    assert response.status_code == 200, response.content
    assert response.json() == {
        "locationUuid": str(store.uuid),
        "variants": [
            {
                "locationUuid": str(store.uuid),
                "locationType": "STORE",
                "productUuid": str(derived_product_uuid(500)),
                "variantUuid": str(item.uuid),
                "balance": 40,
            }
        ],
    }
    assert on_hand(item, store) == 40
    [adjustment] = api_adjustments()
    assert adjustment.kind == Adjustment.Kind.RELATIVE


@pytest.mark.parametrize("destination", [SOLD, BIN, SUPPLIER])
def test_store_to_a_virtual_location_takes_stock_out(writer, store, variants, destination):
    item = variants[0]
    set_stock(item, store, 30)

    response = move(writer, change(item, store, destination, 10))

    assert response.json()["variants"][0]["balance"] == 20
    assert on_hand(item, store) == 20


def test_store_to_store_is_a_transfer(writer, store, other_store, variants):
    item = variants[0]
    set_stock(item, store, 30)

    response = move(writer, change(item, store, other_store, 12))

    assert response.json()["variants"][0]["balance"] == 18
    assert (on_hand(item, store), on_hand(item, other_store)) == (18, 12)
    [adjustment] = api_adjustments()
    assert adjustment.kind == Adjustment.Kind.TRANSFER


def test_a_mixed_batch_is_one_transaction(writer, store, other_store, variants):
    restocked, sold, moved = variants
    set_stock(sold, store, 5)
    set_stock(moved, store, 8)

    response = move(
        writer,
        change(restocked, SUPPLIER, store, 3),
        change(sold, store, SOLD, 2),
        change(moved, store, other_store, 8),
    )

    assert response.status_code == 200, response.content
    assert [v["balance"] for v in response.json()["variants"]] == [3, 3, 0]
    [adjustment] = api_adjustments()
    assert adjustment.kind == Adjustment.Kind.RELATIVE
    lines = AdjustmentLine.objects.filter(adjustment=adjustment)
    assert sorted((line.item_id, line.location_id, line.delta) for line in lines) == sorted(
        [
            (restocked.pk, store.pk, 3),
            (sold.pk, store.pk, -2),
            (moved.pk, store.pk, -8),
            (moved.pk, other_store.pk, 8),
        ]
    )


def test_changes_of_one_balance_are_summed(writer, store, variants):
    # A sale larger than the stock and a restock in one request: one transaction, order-free.
    item = variants[0]
    set_stock(item, store, 1)

    response = move(writer, change(item, store, SOLD, 3), change(item, SUPPLIER, store, 5))

    assert response.status_code == 200, response.content
    assert response.json()["variants"] == [
        {
            "locationUuid": str(store.uuid),
            "locationType": "STORE",
            "productUuid": str(derived_product_uuid(500)),
            "variantUuid": str(item.uuid),
            "balance": 3,
        }
    ]
    assert AdjustmentLine.objects.get(adjustment__source="api").delta == 2


def test_the_answer_is_for_return_balance_for_location_uuid(writer, store, other_store, variants):
    item = variants[0]
    set_stock(item, other_store, 4)

    response = move(
        writer,
        change(item, SUPPLIER, store, 6),
        returnBalanceForLocationUuid=str(other_store.uuid),
    )

    body = response.json()
    assert body["locationUuid"] == str(other_store.uuid)
    assert [(v["locationUuid"], v["balance"]) for v in body["variants"]] == [
        (str(other_store.uuid), 4)
    ]


def test_the_answer_names_each_variants_product(writer, store, variants):
    response = move(writer, change(variants[0], SUPPLIER, store, 1))

    assert response.json()["variants"][0]["productUuid"] == str(variants[0].product_uuid)
    assert variants[0].product_uuid == derived_product_uuid(500)


def test_negative_stock_where_the_location_allows_it(writer, store, variants):
    Location.objects.filter(pk=store.pk).update(allow_negative_stock=True)
    item = variants[0]

    response = move(writer, change(item, store, SOLD, 2))

    assert response.json()["variants"][0]["balance"] == -2


# --- refusals -------------------------------------------------------------------------------


def test_not_enough_stock_refuses_the_whole_request(writer, store, other_store, variants):
    first, second, _ = variants
    set_stock(first, store, 10)
    set_stock(second, store, 1)
    before = snapshot()

    response = move(writer, change(first, store, SOLD, 4), change(second, store, BIN, 2))

    body = assert_zettle_error(response, 422)
    assert body["fields"] == {"changes[1].change"}
    assert body["errorType"] == "INSUFFICIENT_STOCK"
    assert snapshot() == before


def test_a_transfer_without_enough_stock_names_the_change(writer, store, other_store, variants):
    item = variants[0]
    set_stock(item, store, 1)
    before = snapshot()

    response = move(writer, change(item, store, other_store, 2))

    assert assert_zettle_error(response, 422)["fields"] == {"changes[0].change"}
    assert snapshot() == before


def test_unknown_uuids_are_refused_naming_each_field(writer, store, variants):
    item = variants[0]
    set_stock(item, store, 10)
    before = snapshot()
    unknown = str(uuid.uuid4())

    response = move(
        writer,
        change(item, store, SOLD, 1),
        {**change(item, store, SOLD, 1), "variantUuid": unknown},
        {**change(item, store, SOLD, 1), "fromLocationUuid": unknown},
        {**change(item, store, SOLD, 1), "toLocationUuid": unknown},
        returnBalanceForLocationUuid=unknown,
    )

    body = assert_zettle_error(response, 422)
    assert body["fields"] == {
        "changes[1].variantUuid",
        "changes[2].fromLocationUuid",
        "changes[3].toLocationUuid",
        "returnBalanceForLocationUuid",
    }
    assert snapshot() == before


@pytest.mark.parametrize(
    ("source", "destination", "fields"),
    [
        (SUPPLIER, SOLD, {"changes[0].fromLocationUuid", "changes[0].toLocationUuid"}),
        (BIN, BIN, {"changes[0].toLocationUuid"}),
        ("store", "store", {"changes[0].toLocationUuid"}),
    ],
)
def test_movements_that_change_no_store_are_refused(
    writer, store, variants, source, destination, fields
):
    places = {"store": store}
    before = snapshot()

    response = move(
        writer,
        change(variants[0], places.get(source, source), places.get(destination, destination), 1),
    )

    assert assert_zettle_error(response, 422)["fields"] == fields
    assert snapshot() == before


def test_balances_only_for_a_store(writer, store, variants):
    before = snapshot()

    response = move(
        writer, change(variants[0], SUPPLIER, store, 1), returnBalanceForLocationUuid=SOLD
    )

    assert assert_zettle_error(response, 422)["fields"] == {"returnBalanceForLocationUuid"}
    assert snapshot() == before


def test_a_disabled_store_is_refused(writer, store, other_store, variants):
    Location.objects.filter(pk=other_store.pk).update(enabled=False)
    set_stock(variants[0], store, 5)
    before = snapshot()

    response = move(writer, change(variants[0], store, other_store, 1))

    body = assert_zettle_error(response, 422)
    assert body["fields"] == {"changes[0].toLocationUuid"}
    assert snapshot() == before


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"change": 0}, "changes[0].change"),
        ({"change": -5}, "changes[0].change"),
        ({"change": 1.5}, "changes[0].change"),
        ({"change": "3"}, "changes[0].change"),
        ({"variantUuid": "not-a-uuid"}, "changes[0].variantUuid"),
        ({"fromLocationUuid": None}, "changes[0].fromLocationUuid"),
    ],
)
def test_a_malformed_change_is_400_naming_it(writer, store, variants, edit, field):
    before = snapshot()

    response = move(writer, {**change(variants[0], SUPPLIER, store, 1), **edit})

    assert field in assert_zettle_error(response, 400)["fields"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "changes"),
        ({"changes": []}, "changes"),
        ({"changes": {}}, "changes"),
        ([], "body"),
    ],
)
def test_a_malformed_body_is_400(writer, body, field):
    response = writer.put(INVENTORY, body, format="json")

    assert field in assert_zettle_error(response, 400)["fields"]


def test_a_missing_field_is_named(writer, store, variants):
    incomplete = change(variants[0], SUPPLIER, store, 1)
    del incomplete["toLocationUuid"]

    response = move(writer, incomplete)

    assert assert_zettle_error(response, 400)["fields"] == {"changes[0].toLocationUuid"}


# --- externalUuid -----------------------------------------------------------------------------


def test_external_uuid_replays_the_first_answer_and_applies_once(writer, store, variants):
    item = variants[0]
    set_stock(item, store, 10)
    request = {"changes": [change(item, store, SOLD, 3)], "externalUuid": str(uuid.uuid4())}

    first = writer.put(INVENTORY, request, format="json")
    move(writer, change(item, SUPPLIER, store, 100))  # someone else, in between
    again = writer.put(INVENTORY, request, format="json")

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["variants"][0]["balance"] == 7
    assert again["Idempotent-Replayed"] == "true"
    assert on_hand(item, store) == 107
    assert len(api_adjustments()) == 2
    assert f"externalUuid {request['externalUuid']}" in api_adjustments()[-1].reason


def test_external_uuid_with_another_body_is_refused(writer, store, variants):
    external = str(uuid.uuid4())
    move(writer, change(variants[0], SUPPLIER, store, 1), externalUuid=external)
    before = snapshot()

    response = move(writer, change(variants[0], SUPPLIER, store, 2), externalUuid=external)

    # Zettle refuses a UUID already taken with 400 (its Pusher API, for a subscription's uuid).
    error = assert_zettle_error(response, 400)
    assert error["fields"] == {"externalUuid"}
    assert error["errorType"] == "IDEMPOTENCY_KEY_REUSED"
    assert f"externalUuid {external} was already used" in error["developerMessage"]
    assert snapshot() == before


def test_external_uuids_of_two_clients_never_meet(bearer, store, variants):
    external = str(uuid.uuid4())

    for session in (bearer(), bearer()):
        response = move(session, change(variants[0], SUPPLIER, store, 1), externalUuid=external)
        assert response.status_code == 200, response.content

    assert on_hand(variants[0], store) == 2


def test_a_refused_request_can_be_retried_with_its_external_uuid(writer, store, variants):
    external = str(uuid.uuid4())
    refused = move(writer, change(variants[0], store, SOLD, 1), externalUuid=external)
    set_stock(variants[0], store, 5)

    accepted = move(writer, change(variants[0], store, SOLD, 1), externalUuid=external)

    assert_zettle_error(refused, 422)
    assert accepted.status_code == 200, accepted.content
    assert on_hand(variants[0], store) == 4


# --- tokens, scopes, locations ----------------------------------------------------------------


def test_no_token_is_401_asking_for_a_bearer_token(api, store, variants):
    before = snapshot()

    response = move(api(None), change(variants[0], SUPPLIER, store, 1))

    assert_zettle_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_a_read_only_token_moves_nothing_but_lists_locations(bearer, store, variants):
    reader = bearer(["store_inventory_read_only"])
    before = snapshot()

    refused = move(reader, change(variants[0], SUPPLIER, store, 1))

    assert_zettle_error(refused, 403)
    assert snapshot() == before
    assert reader.get(LOCATIONS).status_code == 200


def test_a_restricted_token_is_refused_at_other_stores(bearer, store, other_store, variants):
    restricted = bearer(locations=[other_store])
    set_stock(variants[0], store, 5)
    before = snapshot()

    moved = move(
        restricted,
        change(variants[0], SUPPLIER, other_store, 1),
        change(variants[1], store, SOLD, 1),
    )
    looked = move(
        restricted,
        change(variants[0], SUPPLIER, other_store, 1),
        returnBalanceForLocationUuid=str(store.uuid),
    )

    assert assert_zettle_error(moved, 403)["fields"] == {"changes[1].fromLocationUuid"}
    assert assert_zettle_error(looked, 403)["fields"] == {"returnBalanceForLocationUuid"}
    assert snapshot() == before


def test_a_restricted_tokens_default_store_is_its_first_location(bearer, other_store, variants):
    restricted = bearer(locations=[other_store])

    response = move(restricted, change(variants[0], SUPPLIER, other_store, 2))

    assert response.json()["locationUuid"] == str(other_store.uuid)
    assert response.json()["variants"][0]["balance"] == 2


def test_locations_lists_our_stores_then_the_virtual_ones(writer, store, other_store):
    disabled = LocationFactory(enabled=False)

    response = writer.get(LOCATIONS)

    assert response.status_code == 200
    listed = response.json()
    assert listed == [
        {
            "uuid": str(store.uuid),
            "type": "STORE",
            "name": store.label,
            "description": store.description,
            "default": True,
        },
        {
            "uuid": str(other_store.uuid),
            "type": "STORE",
            "name": other_store.label,
            "description": "",
            "default": False,
        },
        *(
            {
                "uuid": uuid_,
                "type": kind,
                "name": kind,
                "description": "System generated location",
                "default": False,
            }
            for uuid_, kind in ((SUPPLIER, "SUPPLIER"), (SOLD, "SOLD"), (BIN, "BIN"))
        ),
    ]
    assert str(disabled.uuid) not in {row["uuid"] for row in listed}


def test_the_virtual_locations_uuids_never_change():
    # Clients store them: a change here would break every client.
    assert (SUPPLIER, SOLD, BIN) == (
        "60e8bd47-fe77-53c5-8623-7e956d55e1f4",
        "a2613957-a413-5f05-b641-848f9b9857f1",
        "f57130b7-9ecf-5b39-b91d-9fad63f1bfab",
    )
    assert str(derived_product_uuid(500)) == "2a5db6d9-28ee-5144-99ff-abe43767911b"


def test_a_restricted_token_lists_only_its_stores(bearer, store, other_store):
    listed = bearer(locations=[other_store]).get(LOCATIONS).json()

    assert [row["uuid"] for row in listed if row["type"] == "STORE"] == [str(other_store.uuid)]


def test_locations_need_a_token(api, db):
    assert_zettle_error(api(None).get(LOCATIONS), 401)


# --- cost -------------------------------------------------------------------------------------


def test_queries_do_not_grow_with_the_number_of_changes(
    writer, store, other_store, django_assert_max_num_queries
):
    items = ItemFactory.create_batch(50)
    for item in items:
        set_stock(item, store, 10)

    def mixed(batch):
        # Every kind of end: restock, sale and transfer, plus an externalUuid and a return store.
        kinds = [(SUPPLIER, store), (store, SOLD), (store, other_store)]
        return {
            "changes": [change(item, *kinds[n % 3], 1) for n, item in enumerate(batch)],
            "externalUuid": str(uuid.uuid4()),
            "returnBalanceForLocationUuid": str(other_store.uuid),
        }

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # Three changes, one of each kind: a single plain change may take one statement fewer.
    with CaptureQueriesContext(connection) as few:
        assert writer.put(INVENTORY, mixed(items[:3]), format="json").status_code == 200
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = writer.put(INVENTORY, mixed(items[3:]), format="json")
    assert response.status_code == 200, response.content
    assert len(response.json()["variants"]) == 47


# --- UUIDs in /api/v3 -------------------------------------------------------------------------


def test_v3_exposes_the_uuids_a_zettle_client_needs(api, api_client_factory, store, variants):
    _, token = api_client_factory(["store_inventory_read_only", "store_locations_read_only"])
    reader = api(token)
    item = variants[0]

    items = reader.get(f"/api/v3/inventory/items?sku:in={item.sku}").json()["data"]
    at_store = reader.get(f"/api/v3/inventory/locations/{store.pk}/items?sku:in={item.sku}").json()
    locations = reader.get("/api/v3/inventory/locations").json()["data"]
    catalog = reader.get(f"/api/v3/items?sku:in={item.sku}").json()["data"]

    expected = (str(item.uuid), str(derived_product_uuid(500)))
    assert (items[0]["uuid"], items[0]["product_uuid"]) == expected
    assert (at_store["data"][0]["uuid"], at_store["data"][0]["product_uuid"]) == expected
    assert catalog[0]["uuid"] == str(item.uuid)
    assert [row["uuid"] for row in locations] == [str(store.uuid)]


def test_a_zettle_client_finds_everything_it_needs(
    writer, api_client_factory, api, store, variants
):
    # What a client that only swapped its base URL does: find the locations, find the variant,
    # move stock.
    item = variants[0]
    set_stock(item, store, 3)
    _, token = api_client_factory(["store_inventory"])
    places = {row["type"]: row["uuid"] for row in writer.get(LOCATIONS).json()}
    [entry] = api(token).get(f"/api/v3/inventory/items?sku:in={item.sku}").json()["data"]

    response = move(
        writer,
        {
            "productUuid": entry["product_uuid"],
            "variantUuid": entry["uuid"],
            "fromLocationUuid": places["STORE"],
            "toLocationUuid": places["SOLD"],
            "change": 1,
        },
    )

    assert response.json()["variants"][0]["balance"] == 2


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_of_one_external_uuid_apply_once(bearer, store, variants):
    from tests.concurrency import run_together

    writer = bearer()
    item = variants[0]
    request = {"changes": [change(item, SUPPLIER, store, 1)], "externalUuid": str(uuid.uuid4())}

    def send():
        return writer.put(INVENTORY, request, format="json")

    responses = run_together([send] * 6)

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    # Every 200 is the first answer or its replay; a 409 names the externalUuid and may retry.
    answers = [response.json() for response in responses if response.status_code == 200]
    assert all(answer == answers[0] for answer in answers)
    assert answers[0]["variants"][0]["balance"] == 1
    for refused in (r for r in responses if r.status_code == 409):
        assert assert_zettle_error(refused, 409)["fields"] == {"externalUuid"}
    assert on_hand(item, store) == 1
    assert len(api_adjustments()) == 1
