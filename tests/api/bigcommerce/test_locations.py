"""BigCommerce's Locations API over HTTP: `GET/POST/PUT/DELETE /api/v3/inventory/locations`."""

import copy
import uuid
from functools import cache

import pytest
import yaml

from inventory.models import Balance, IdempotencyRecord
from locations.models import DEFAULT_LOCATION_ID, Location
from tests.api.bigcommerce.schema import REFERENCE, assert_matches
from tests.api.problems import assert_problem
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, set_stock

URL = "/api/v3/inventory/locations"
WRITE = "store_locations"
READ_ONLY = "store_locations_read_only"
CANT = "Location can\u02bct be deleted."


@cache
def _examples() -> dict:
    spec = yaml.safe_load((REFERENCE / "bigcommerce-locations.v3.yml").read_text())
    return spec["components"]["examples"]


def create_example() -> list[dict]:
    """BigCommerce's own `create_locations` example, verbatim."""
    return copy.deepcopy(_examples()["create_locations"]["value"])


def update_example() -> list[dict]:
    return copy.deepcopy(_examples()["update_locations"]["value"])


def virtual(code: str, **fields) -> dict:
    return {
        "code": code,
        "label": f"Warehouse {code}",
        "type_id": "VIRTUAL",
        "managed_by_external_source": False,
        "time_zone": "Europe/Berlin",
        **fields,
    }


@pytest.fixture
def writer(api_client_factory, api):
    client, token = api_client_factory([WRITE])
    session = api(token)
    session.api_client = client
    return session


@pytest.fixture
def reader(api_client_factory, api):
    _, token = api_client_factory([READ_ONLY], name="reader")
    return api(token)


def snapshot() -> list[tuple]:
    return list(
        Location.objects.order_by("pk").values_list(
            "pk", "code", "label", "enabled", "type_id", "address1", "updated_at"
        )
    )


def assert_transaction(response) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    assert_matches(body, "SimpleTransactionResponse", "locations")
    assert set(body) == {"transaction_id"}
    return str(uuid.UUID(body["transaction_id"]))


def get_locations(client, query: str = "") -> dict:
    response = client.get(f"{URL}?{query}" if query else URL)
    assert response.status_code == 200, response.content
    body = response.json()
    for location in body["data"]:
        assert_matches(location, "LocationResponse", "locations")
    assert_matches(body["meta"], "Meta", "locations")
    return body


# --- GET -----------------------------------------------------------------------------------


def test_get_lists_the_default_location_in_bigcommerce_shape(reader):
    body = get_locations(reader)

    assert [location["id"] for location in body["data"]] == [DEFAULT_LOCATION_ID]
    default = body["data"][0]
    assert default["label"] == "Default location"
    assert default["type_id"] == "PHYSICAL"
    assert default["enabled"] is True
    assert set(default["operating_hours"]) == {
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
    }
    assert default["created_at"].endswith("Z")
    assert set(default["address"]) >= {"address1", "city", "zip", "country_code"}
    assert body["meta"]["pagination"]["total"] == 1


def test_get_filters(reader):
    berlin = LocationFactory(code="BER", type_id="VIRTUAL", managed_by_external_source=True)
    paris = LocationFactory(code="PAR", enabled=False, storefront_visibility=False)

    def ids(query: str) -> list[int]:
        return [location["id"] for location in get_locations(reader, query)["data"]]

    assert ids(f"location_id:in={berlin.pk},{paris.pk}") == [berlin.pk, paris.pk]
    assert ids("location_code:in=PAR,NOPE") == [paris.pk]
    assert ids("is_default=true") == [DEFAULT_LOCATION_ID]
    assert ids("is_default=false") == [berlin.pk, paris.pk]
    assert ids("type_id:in=VIRTUAL") == [berlin.pk]
    assert ids("managed_by_external_source=true") == [berlin.pk]
    assert ids("is_active=false") == [paris.pk]
    assert ids("is_active=true") == [DEFAULT_LOCATION_ID, berlin.pk]
    assert ids("storefront_visibility=false") == [paris.pk]
    assert ids("type_id:in=PHYSICAL&is_active=true") == [DEFAULT_LOCATION_ID]


def test_an_unknown_format_parameter_is_ignored_like_any_unknown_parameter(reader):
    # Found by fuzzing: DRF read `format` as a renderer name and answered 404.
    assert [location["id"] for location in get_locations(reader, "format=null")["data"]] == [
        DEFAULT_LOCATION_ID
    ]


def test_get_paginates_with_links(reader):
    LocationFactory.create_batch(4)

    body = get_locations(reader, "limit=2&page=2")

    pagination = body["meta"]["pagination"]
    assert len(body["data"]) == 2
    assert pagination["total"] == 5
    assert pagination["total_pages"] == 3
    assert pagination["current_page"] == 2
    assert pagination["per_page"] == 2
    assert pagination["links"]["previous"] == "?limit=2&page=1"
    assert pagination["links"]["next"] == "?limit=2&page=3"


def test_get_shows_a_restricted_client_only_its_locations(api_client_factory, api):
    mine, _theirs = LocationFactory(), LocationFactory()
    _, token = api_client_factory([READ_ONLY], [mine])

    body = get_locations(api(token))
    filtered = get_locations(api(token), f"location_id:in={DEFAULT_LOCATION_ID}")

    assert [location["id"] for location in body["data"]] == [mine.pk]
    assert filtered["data"] == []


def test_get_needs_a_token_and_a_locations_scope(api, api_client_factory):
    _, inventory_only = api_client_factory(["store_inventory"])

    assert_problem(api(None).get(URL), 401)
    assert_problem(api(inventory_only).get(URL), 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("location_id:in=one", "location_id:in"),
        ("location_id:in=99999999999999999999", "location_id:in"),
        ("is_active=maybe", "is_active"),
        ("limit=0", "limit"),
    ],
)
def test_get_with_bad_filters_is_422(reader, query, field):
    body = assert_problem(reader.get(f"{URL}?{query}"), 422)

    assert field in body["errors"]


# --- POST ----------------------------------------------------------------------------------


def test_create_bigcommerce_example_as_written(writer, reader):
    assert_transaction(writer.post(URL, create_example(), format="json"))

    created = Location.objects.get(code="BIGC-1")
    assert created.label == "Central store"
    assert created.address1 == "5th Ave"
    assert created.latitude == pytest.approx(40.774378)
    assert created.country_code == "US"
    body = get_locations(reader, "location_code:in=BIGC-1")
    [location] = body["data"]
    example = create_example()[0]
    for field in ("code", "label", "description", "type_id", "enabled", "time_zone"):
        assert location[field] == example[field]
    assert location["address"] == example["address"]
    assert location["operating_hours"] == example["operating_hours"]
    assert location["special_hours"] == example["special_hours"]
    assert location["managed_by_external_source"] is False
    assert location["storefront_visibility"] is True


def test_create_several_with_defaults_and_generated_code(writer, reader):
    payload = [
        virtual("WH-1"),
        {
            "label": "No code",
            "type_id": "VIRTUAL",
            "managed_by_external_source": True,
            "time_zone": "Etc/UTC",
            "unknown_field": "ignored, as BigCommerce does",
        },
    ]

    assert_transaction(writer.post(URL, payload, format="json"))

    warehouse = Location.objects.get(code="WH-1")
    assert warehouse.enabled is True
    assert warehouse.storefront_visibility is True
    assert warehouse.time_zone == "Europe/Berlin"
    generated = Location.objects.get(label="No code")
    assert generated.code == f"BC-LOCATION-{generated.pk}"
    assert generated.managed_by_external_source is True
    [listed] = get_locations(reader, f"location_id:in={generated.pk}")["data"]
    assert "geo_coordinates" not in listed["address"]


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ([{}], {"0.label", "0.managed_by_external_source", "0.type_id", "0.time_zone"}),
        ([virtual("A"), virtual("B", label="")], {"1.label"}),
        ([virtual("A", type_id="PHYSICAL")], {"0.address"}),
        ([virtual("A", time_zone="Mars/Olympus")], {"0.time_zone"}),
        ([virtual("A", type_id="SHOP")], {"0.type_id"}),
        ([virtual("A", enabled="yes")], {"0.enabled"}),
        ([virtual(" A")], {"0.code"}),
        ([virtual("x" * 101)], {"0.code"}),
        ([virtual("A", special_hours=[{"label": "X", "date": "not a date", "open": True}])], None),
        ([virtual("A", operating_hours={"monday": {"open": True, "opening": "25:00"}})], None),
        ({"code": "A"}, {"body"}),
        ([], {"body"}),
        ("nonsense", {"body"}),
    ],
)
def test_create_refuses_invalid_data_naming_the_fields(writer, payload, paths):
    before = snapshot()

    body = assert_problem(writer.post(URL, payload, format="json"), 422)

    if paths is not None:
        assert set(body["errors"]) == paths
    assert snapshot() == before


def test_create_refuses_bad_address_fields(writer):
    location = create_example()[0]
    location["address"]["geo_coordinates"]["latitude"] = 91
    location["address"]["email"] = "not-an-email"
    del location["address"]["city"]
    before = snapshot()

    body = assert_problem(writer.post(URL, [location], format="json"), 422)

    assert set(body["errors"]) == {
        "0.address.geo_coordinates.latitude",
        "0.address.email",
        "0.address.city",
    }
    assert snapshot() == before


def test_create_refuses_duplicate_and_taken_codes(writer):
    LocationFactory(code="TAKEN")
    before = snapshot()

    body = assert_problem(
        writer.post(URL, [virtual("NEW"), virtual("TAKEN"), virtual("NEW")], format="json"), 422
    )

    assert set(body["errors"]) == {"1.code", "2.code"}
    assert "already exists" in body["errors"]["1.code"]
    assert "more than once" in body["errors"]["2.code"]
    assert snapshot() == before


def test_create_needs_the_modify_scope_and_an_unrestricted_token(
    api, api_client_factory, reader, location
):
    _, restricted = api_client_factory([WRITE], [location], name="restricted")
    before = snapshot()

    assert_problem(api(None).post(URL, [virtual("A")], format="json"), 401)
    assert_problem(reader.post(URL, [virtual("A")], format="json"), 403)
    body = assert_problem(api(restricted).post(URL, [virtual("A")], format="json"), 403)

    assert "restricted" in body["title"]
    assert snapshot() == before


def test_create_refuses_more_than_the_active_location_limit(writer, monkeypatch):
    monkeypatch.setattr("locations.services.MAX_ACTIVE_LOCATIONS", 2)
    before = snapshot()

    body = assert_problem(writer.post(URL, [virtual("A"), virtual("B")], format="json"), 422)

    assert "Limit of 2 active locations" in body["title"]
    assert snapshot() == before
    assert_transaction(writer.post(URL, [virtual("A"), virtual("B", enabled=False)], format="json"))


# --- PUT -----------------------------------------------------------------------------------


def test_update_bigcommerce_example(writer, reader):
    location = LocationFactory(code="OLD", type_id="VIRTUAL", description="kept?")
    payload = update_example()
    payload[0]["id"] = location.pk

    assert_transaction(writer.put(URL, payload, format="json"))

    [listed] = get_locations(reader, f"location_id:in={location.pk}")["data"]
    expected = payload[0]
    for field in ("code", "label", "description", "type_id", "time_zone", "special_hours"):
        assert listed[field] == expected[field]
    assert listed["address"] == expected["address"]
    assert listed["operating_hours"] == expected["operating_hours"]


def test_update_changes_only_the_fields_sent(writer):
    location = LocationFactory(code="KEEP", label="Old label", time_zone="Europe/Paris")
    location.refresh_from_db()
    before = location.updated_at

    assert_transaction(
        writer.put(
            URL, [{"id": location.pk, "label": "New label", "enabled": False}], format="json"
        )
    )

    location.refresh_from_db()
    assert (location.label, location.enabled) == ("New label", False)
    assert (location.code, location.time_zone) == ("KEEP", "Europe/Paris")
    assert location.updated_at > before


def test_update_merges_a_partial_address(writer):
    location = LocationFactory(address1="1 Main St", city="Springfield", country_code="US")

    assert_transaction(
        writer.put(
            URL,
            [{"id": location.pk, "address": {"city": "Shelbyville", "country_code": "us"}}],
            format="json",
        )
    )

    location.refresh_from_db()
    assert (location.address1, location.city, location.country_code) == (
        "1 Main St",
        "Shelbyville",
        "US",
    )


@pytest.mark.parametrize(
    ("entries", "paths"),
    [
        (lambda a, b: [{"id": a.pk, "label": "X"}, {"id": 999_999, "label": "Y"}], {"1.id"}),
        (lambda a, b: [{"id": a.pk}, {"id": a.pk}], {"1.id"}),
        (lambda a, b: [{"label": "no id"}], {"0.id"}),
        (lambda a, b: [{"id": a.pk, "code": b.code}], {"0.code"}),
        (lambda a, b: [{"id": a.pk, "code": "SAME"}, {"id": b.pk, "code": "SAME"}], {"1.code"}),
        (lambda a, b: [{"id": a.pk, "type_id": "PHYSICAL"}], {"0.address"}),
        (lambda a, b: [{"id": a.pk, "address": {"city": "X"}}], {"0.address.country_code"}),
        (lambda a, b: [{"id": a.pk, "time_zone": "Nowhere"}], {"0.time_zone"}),
    ],
)
def test_update_refuses_invalid_batches_naming_the_fields(writer, entries, paths):
    a = LocationFactory(type_id="VIRTUAL")
    b = LocationFactory()
    before = snapshot()

    body = assert_problem(writer.put(URL, entries(a, b), format="json"), 422)

    assert set(body["errors"]) == paths
    assert snapshot() == before


def test_update_needs_the_modify_scope(api, reader, location):
    before = snapshot()

    assert_problem(api(None).put(URL, [{"id": location.pk, "label": "X"}], format="json"), 401)
    assert_problem(reader.put(URL, [{"id": location.pk, "label": "X"}], format="json"), 403)

    assert snapshot() == before


def test_restricted_client_updates_only_its_locations(api, api_client_factory):
    mine, theirs, also_theirs = LocationFactory(), LocationFactory(), LocationFactory()
    _, token = api_client_factory([WRITE], [mine])
    client = api(token)
    before = snapshot()

    body = assert_problem(
        client.put(
            URL,
            [
                {"id": mine.pk, "label": "Mine"},
                {"id": theirs.pk, "label": "Theirs"},
                {"id": also_theirs.pk, "label": "Theirs too"},
            ],
            format="json",
        ),
        403,
    )

    assert f"[{theirs.pk}, {also_theirs.pk}]" in body["title"]
    assert set(body["errors"]) == {"1.id", "2.id"}
    assert snapshot() == before
    assert_transaction(client.put(URL, [{"id": mine.pk, "label": "Mine"}], format="json"))
    assert Location.objects.get(pk=mine.pk).label == "Mine"


# --- DELETE --------------------------------------------------------------------------------


def test_delete_removes_locations(writer, reader):
    a, b, kept = LocationFactory(), LocationFactory(), LocationFactory()

    assert_transaction(writer.delete(f"{URL}?location_id:in={a.pk},{b.pk}"))

    assert not Location.objects.filter(pk__in=[a.pk, b.pk]).exists()
    assert Location.objects.filter(pk=kept.pk).exists()


def test_delete_ignores_unknown_ids_among_known_ones(writer, location):
    assert_transaction(writer.delete(f"{URL}?location_id:in={location.pk},999999"))

    assert not Location.objects.filter(pk=location.pk).exists()


def test_delete_of_unknown_locations_is_404(writer):
    before = snapshot()

    body = assert_problem(writer.delete(f"{URL}?location_id:in=999998,999999"), 404)

    assert "999998" in body["title"]
    assert snapshot() == before


@pytest.mark.parametrize("query", ["", "?location_id:in=", "?location_id:in=x"])
def test_delete_needs_location_ids(writer, query):
    before = snapshot()

    body = assert_problem(writer.delete(f"{URL}{query}"), 422)

    assert "location_id:in" in body["errors"]
    assert snapshot() == before


def test_delete_of_the_default_location_is_refused_with_bigcommerce_title(writer, location):
    before = snapshot()

    body = assert_problem(
        writer.delete(f"{URL}?location_id:in={location.pk},{DEFAULT_LOCATION_ID}"), 422
    )

    assert body["title"] == (
        f"{CANT} Default location is set as a shipping origin for this store and "
        "can\u02bct be deleted."
    )
    assert set(body["errors"]) == {"location_id:in.1"}
    assert snapshot() == before  # all or nothing: `location` was not deleted either


def test_delete_of_a_location_holding_stock_is_refused(writer, location, item):
    set_stock(item, location, 5)
    before = snapshot()
    balances = list(Balance.objects.values_list("pk", "quantity"))

    body = assert_problem(writer.delete(f"{URL}?location_id:in={location.pk}"), 422)

    assert body["title"].startswith(f"{CANT} {location.label} holds stock of 1 item(s)")
    assert set(body["errors"]) == {"location_id:in.0"}
    assert snapshot() == before
    assert list(Balance.objects.values_list("pk", "quantity")) == balances


def test_delete_of_a_location_with_history_but_no_stock_is_refused(writer, location, item):
    set_stock(item, location, 5)
    set_stock(item, location, 0)
    before = snapshot()

    body = assert_problem(writer.delete(f"{URL}?location_id:in={location.pk}"), 422)

    assert "stock history" in body["title"]
    assert "enabled: false" in body["title"]
    assert snapshot() == before


def test_delete_drops_balances_that_hold_only_settings(writer, location, item):
    Balance.objects.create(item=item, location=location, quantity=0, safety_stock=3)

    assert_transaction(writer.delete(f"{URL}?location_id:in={location.pk}"))

    assert not Location.objects.filter(pk=location.pk).exists()
    assert not Balance.objects.filter(item=item).exists()


def test_delete_refuses_to_leave_a_restricted_client_without_locations(
    writer, api_client_factory, location, other_location
):
    api_client_factory([WRITE], [location], name="shop-pos")
    api_client_factory([WRITE], [location, other_location], name="two-shops")
    before = snapshot()

    body = assert_problem(writer.delete(f"{URL}?location_id:in={location.pk}"), 422)

    assert "shop-pos" in body["title"]
    assert "two-shops" not in body["title"]
    assert snapshot() == before


def test_delete_needs_the_modify_scope(api, reader, location):
    before = snapshot()

    assert_problem(api(None).delete(f"{URL}?location_id:in={location.pk}"), 401)
    assert_problem(reader.delete(f"{URL}?location_id:in={location.pk}"), 403)

    assert snapshot() == before


def test_restricted_client_cannot_delete_other_locations(api, api_client_factory):
    mine, theirs = LocationFactory(), LocationFactory()
    _, token = api_client_factory([WRITE], [mine])
    before = snapshot()

    body = assert_problem(api(token).delete(f"{URL}?location_id:in={mine.pk},{theirs.pk}"), 403)

    assert f"[{theirs.pk}]" in body["title"]
    assert set(body["errors"]) == {"location_id:in.1"}
    assert snapshot() == before


# --- Idempotency-Key -----------------------------------------------------------------------


def test_create_retry_replays_the_first_answer_and_creates_once(writer):
    headers = {"Idempotency-Key": "create-1"}

    first = writer.post(URL, [virtual("ONCE")], format="json", headers=headers)
    retry = writer.post(URL, [virtual("ONCE")], format="json", headers=headers)

    assert assert_transaction(retry) == assert_transaction(first)
    assert Location.objects.filter(code="ONCE").count() == 1
    assert retry["Idempotent-Replayed"] == "true"


def test_same_key_with_another_body_is_refused(writer):
    headers = {"Idempotency-Key": "create-2"}
    assert_transaction(writer.post(URL, [virtual("FIRST")], format="json", headers=headers))
    before = snapshot()

    body = assert_problem(
        writer.post(URL, [virtual("SECOND")], format="json", headers=headers), 422
    )

    assert "Idempotency-Key" in body["errors"]
    assert snapshot() == before


def test_update_and_delete_retries_replay(writer, location):
    update_key = {"Idempotency-Key": "update-1"}
    delete_key = {"Idempotency-Key": "delete-1"}
    query = f"{URL}?location_id:in={location.pk}"

    updated = writer.put(
        URL, [{"id": location.pk, "label": "A"}], format="json", headers=update_key
    )
    updated_again = writer.put(
        URL, [{"id": location.pk, "label": "A"}], format="json", headers=update_key
    )
    deleted = writer.delete(query, headers=delete_key)
    deleted_again = writer.delete(query, headers=delete_key)
    other_ids = writer.delete(f"{URL}?location_id:in=999999", headers=delete_key)

    assert assert_transaction(updated_again) == assert_transaction(updated)
    assert assert_transaction(deleted_again) == assert_transaction(deleted)
    assert_problem(other_ids, 422)
    assert IdempotencyRecord.objects.count() == 2


def test_a_refused_write_keeps_no_key(writer):
    LocationFactory(code="TAKEN")
    headers = {"Idempotency-Key": "retry-after-fix"}

    assert_problem(writer.post(URL, [virtual("TAKEN")], format="json", headers=headers), 422)
    Location.objects.filter(code="TAKEN").update(code="FREED")
    assert_transaction(writer.post(URL, [virtual("TAKEN")], format="json", headers=headers))


def test_keys_are_scoped_per_client(api, api_client_factory):
    _, first = api_client_factory([WRITE], name="first")
    _, second = api_client_factory([WRITE], name="second")
    headers = {"Idempotency-Key": "shared"}

    one = api(first).post(URL, [virtual("ONE")], format="json", headers=headers)
    two = api(second).post(URL, [virtual("TWO")], format="json", headers=headers)

    assert assert_transaction(one) != assert_transaction(two)
    assert Location.objects.filter(code__in=["ONE", "TWO"]).count() == 2


def test_overlong_key_is_refused(writer):
    response = writer.post(
        URL, [virtual("A")], format="json", headers={"Idempotency-Key": "k" * 256}
    )

    assert "Idempotency-Key" in assert_problem(response, 422)["errors"]
    assert not Location.objects.filter(code="A").exists()


def test_items_of_a_deleted_location_are_unaffected(writer, location):
    item = ItemFactory()

    assert_transaction(writer.delete(f"{URL}?location_id:in={location.pk}"))

    assert type(item).objects.filter(pk=item.pk).exists()


def test_a_code_taken_by_a_concurrent_request_is_409(writer, monkeypatch):
    # The race: the code was free when checked, and taken before the INSERT.
    LocationFactory(code="RACE")
    monkeypatch.setattr("locations.services._code_errors", lambda codes, owners: {})
    before = snapshot()

    body = assert_problem(writer.post(URL, [virtual("OK"), virtual("RACE")], format="json"), 409)

    assert "retry" in body["title"]
    assert snapshot() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_once(api_client_factory, api):
    _, token = api_client_factory([WRITE])
    headers = {"Idempotency-Key": "concurrent"}

    def post():
        response = api(token).post(URL, [virtual("RACE")], format="json", headers=headers)
        return response.status_code, response.json()

    results = run_together([post] * 4)

    assert {status for status, _ in results} <= {200, 409}
    ids = {body["transaction_id"] for status, body in results if status == 200}
    assert len(ids) == 1
    assert Location.objects.filter(code="RACE").count() == 1
