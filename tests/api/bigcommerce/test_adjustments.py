"""BigCommerce's absolute and relative adjustments, and our transfers, over HTTP."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.models import Adjustment, AdjustmentLine, Balance, IdempotencyRecord, Item
from locations.models import Location
from tests.api.bigcommerce.schema import assert_matches
from tests.api.problems import assert_problem
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, set_stock

ABSOLUTE = "/api/v3/inventory/adjustments/absolute"
RELATIVE = "/api/v3/inventory/adjustments/relative"
TRANSFERS = "/api/v3/inventory/transfers"
INVENTORY = "store_inventory"
READ_ONLY = "store_inventory_read_only"


@pytest.fixture
def writer(api_client_factory, api):
    client, token = api_client_factory([INVENTORY])
    session = api(token)
    session.api_client = client
    return session


def snapshot():
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def test_seed_example_works_as_written(writer):
    # ../shared/seeds/000: BigCommerce's own absolute adjustment example, verbatim.
    for pk in (2, 3):
        Location.objects.create(pk=pk, code=f"LOC-{pk}", label=f"Location {pk}")
    for sku, variant_id in [
        ("RE-130", 101),
        ("RE-131", 103),
        ("BL-450", None),
        ("WH-220", None),
        ("RE-132", None),
    ]:
        Item.objects.create(
            sku=sku,
            product_id=hash(sku) % 10_000,
            variant_id=variant_id,
            tracking="variant" if variant_id else "product",
        )
    payload = {
        "items": [
            {"location_id": 1, "sku": "RE-130", "quantity": 25, "variant_id": 101},
            {"location_id": 2, "sku": "RE-131", "quantity": 40, "variant_id": 103},
            {"location_id": 3, "sku": "BL-450", "quantity": 15, "variant_id": 0},
            {"location_id": 1, "sku": "WH-220", "quantity": 30, "variant_id": 0},
            {"location_id": 1, "sku": "RE-132", "quantity": 7, "variant_id": 0},
        ],
        "reason": "Inventory count adjustment after stocktake",
    }

    response = writer.put(ABSOLUTE, payload, format="json")

    assert response.status_code == 200, response.content
    assert_matches(response.json(), "SimpleTransactionResponse")
    adjustment = Adjustment.objects.get(transaction_id=response.json()["transaction_id"])
    assert (adjustment.kind, adjustment.source, adjustment.api_client) == (
        Adjustment.Kind.ABSOLUTE,
        Adjustment.Source.API,
        writer.api_client,
    )
    assert adjustment.reason == "Inventory count adjustment after stocktake"
    assert sorted(Balance.objects.values_list("item__sku", "location_id", "quantity")) == [
        ("BL-450", 3, 15),
        ("RE-130", 1, 25),
        ("RE-131", 2, 40),
        ("RE-132", 1, 7),
        ("WH-220", 1, 30),
    ]


def test_relative_adds_and_subtracts(writer, item, location):
    set_stock(item, location, 10)

    response = writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "variant_id": item.variant_id, "quantity": -3}]},
        format="json",
    )

    assert response.status_code == 200
    assert on_hand(item, location) == 7


def test_guide_example_relative_below_safety_buffer_is_refused(writer, item, location):
    # BigCommerce's guide: stock 50, safety buffer 10: -41 fails, -20 succeeds.
    set_stock(item, location, 50)
    Balance.objects.filter(item=item, location=location).update(safety_stock=10)
    before = snapshot()

    refused = writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": -41}]},
        format="json",
    )

    body = assert_problem(refused, 422)
    assert "insufficient stock" in body["errors"]["items.0.quantity"]
    assert snapshot() == before
    accepted = writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": -20}]},
        format="json",
    )
    assert accepted.status_code == 200
    assert on_hand(item, location) == 30


def test_wrong_identifier_for_tracking_mode_uses_bigcommerce_title(writer, location):
    product = ItemFactory(tracking=Item.Tracking.PRODUCT, variant_id=106)
    before = snapshot()

    response = writer.put(
        ABSOLUTE,
        {"items": [{"location_id": location.pk, "variant_id": 106, "quantity": 1}]},
        format="json",
    )

    body = assert_problem(response, 422)
    assert (
        body["title"]
        == "[Item with variant_id 106 is tracked by product, please update stock by product id]"
    )
    assert "items.0.variant_id" in body["errors"]
    assert snapshot() == before
    assert product.balances.count() == 0


def test_every_failing_line_is_named_and_nothing_is_applied(writer, item, location):
    set_stock(item, location, 1)
    before = snapshot()

    response = writer.post(
        RELATIVE,
        {
            "items": [
                {"location_id": location.pk, "sku": item.sku, "quantity": 2},
                {"location_id": location.pk, "sku": "NOPE", "quantity": 1},
                {"location_id": 999, "sku": item.sku, "quantity": 1},
                {"location_id": location.pk, "sku": item.sku, "quantity": 5},
            ]
        },
        format="json",
    )

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"items.1.sku", "items.2.location_id", "items.3.sku"}
    assert "already changed by line 0" in body["errors"]["items.3.sku"]
    assert snapshot() == before


@pytest.mark.parametrize(
    ("payload", "paths"),
    [
        ({}, {"items"}),
        ({"items": []}, {"items"}),
        ({"items": "x"}, {"items"}),
        ({"items": [{"location_id": 1, "sku": "A"}]}, {"items.0.quantity"}),
        ({"items": [{"location_id": 1, "sku": "A", "quantity": "5"}]}, {"items.0.quantity"}),
        ({"items": [{"location_id": 1, "sku": "A", "quantity": 2**31}]}, {"items.0.quantity"}),
        ({"items": [{"location_id": "one", "sku": "A", "quantity": 1}]}, {"items.0.location_id"}),
        ({"items": [{"location_id": 1, "quantity": 1}]}, {"items.0"}),
        ({"items": [{"location_id": 1, "sku": "A", "quantity": True}]}, {"items.0.quantity"}),
        ([1, 2], {"body"}),
    ],
)
def test_malformed_bodies_are_422_with_the_failing_field_named(writer, location, payload, paths):
    before = snapshot()

    body = assert_problem(writer.put(ABSOLUTE, payload, format="json"), 422)

    assert set(body["errors"]) == paths
    assert snapshot() == before


def test_negative_absolute_quantity_is_refused(writer, item, location):
    body = assert_problem(
        writer.put(
            ABSOLUTE,
            {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": -1}]},
            format="json",
        ),
        422,
    )
    assert set(body["errors"]) == {"items.0.quantity"}


def test_more_than_2000_items_is_refused(writer, location):
    items = [{"location_id": location.pk, "sku": f"S{n}", "quantity": 1} for n in range(2001)]

    body = assert_problem(writer.put(ABSOLUTE, {"items": items}, format="json"), 422)

    assert set(body["errors"]) == {"items"}


def test_not_json_is_400_and_not_a_json_type_is_415(writer, location):
    broken = writer.generic("PUT", ABSOLUTE, "{not json", content_type="application/json")
    text = writer.generic("PUT", ABSOLUTE, "items=1", content_type="text/plain")

    assert_problem(broken, 400)
    assert_problem(text, 415)


@pytest.mark.parametrize("route", [ABSOLUTE, RELATIVE, TRANSFERS])
def test_writes_need_a_token_and_the_modify_scope(
    route, api, api_client_factory, item, location, other_location
):
    _, read_only = api_client_factory([READ_ONLY])
    _, locations_only = api_client_factory(["store_locations"])
    set_stock(item, location, 5)
    before = snapshot()
    line = {
        "location_id": location.pk,
        "from_location_id": location.pk,
        "to_location_id": other_location.pk,
        "sku": item.sku,
        "quantity": 1,
    }
    method = "put" if route == ABSOLUTE else "post"

    assert_problem(getattr(api(None), method)(route, {"items": [line]}, format="json"), 401)
    assert_problem(getattr(api("bad.token"), method)(route, {"items": [line]}, format="json"), 401)
    assert_problem(getattr(api(read_only), method)(route, {"items": [line]}, format="json"), 403)
    assert_problem(
        getattr(api(locations_only), method)(route, {"items": [line]}, format="json"), 403
    )
    assert snapshot() == before


def test_restricted_client_cannot_touch_other_locations(
    api, api_client_factory, item, location, other_location
):
    _, token = api_client_factory([INVENTORY], [location])
    set_stock(item, other_location, 5)
    before = snapshot()

    response = api(token).put(
        ABSOLUTE,
        {
            "items": [
                {"location_id": location.pk, "sku": item.sku, "quantity": 1},
                {"location_id": other_location.pk, "sku": item.sku, "quantity": 9},
            ]
        },
        format="json",
    )
    transfer = api(token).post(
        TRANSFERS,
        {
            "items": [
                {
                    "from_location_id": other_location.pk,
                    "to_location_id": location.pk,
                    "sku": item.sku,
                    "quantity": 1,
                }
            ]
        },
        format="json",
    )

    assert set(assert_problem(response, 403)["errors"]) == {"items.1.location_id"}
    assert set(assert_problem(transfer, 403)["errors"]) == {"items.0.from_location_id"}
    assert snapshot() == before
    allowed = api(token).put(
        ABSOLUTE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 1}]},
        format="json",
    )
    assert allowed.status_code == 200


def test_stale_expected_quantity_is_409_listing_the_stale_lines(writer, item, location):
    set_stock(item, location, 8)
    before = snapshot()

    response = writer.put(
        ABSOLUTE,
        {
            "items": [
                {"location_id": location.pk, "sku": item.sku, "quantity": 3, "expected_quantity": 5}
            ]
        },
        format="json",
    )

    body = assert_problem(response, 409)
    assert "on-hand is 8" in body["errors"]["items.0.expected_quantity"]
    assert snapshot() == before


def test_idempotent_retry_replays_the_first_answer_and_applies_once(writer, item, location):
    payload = {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 4}]}

    first = writer.post(RELATIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1001")
    retry = writer.post(RELATIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="order-1001")

    assert first.status_code == retry.status_code == 200
    assert first.json() == retry.json()
    assert on_hand(item, location) == 4
    assert Adjustment.objects.count() == 1
    assert IdempotencyRecord.objects.get().adjustment.transaction_id.hex == first.json()[
        "transaction_id"
    ].replace("-", "")


def test_same_key_with_another_body_is_refused(writer, item, location):
    writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 4}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    before = snapshot()

    response = writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 5}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    body = assert_problem(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert snapshot() == before


def test_keys_are_scoped_per_client(api, api_client_factory, item, location):
    _, first = api_client_factory([INVENTORY], name="shop")
    _, second = api_client_factory([INVENTORY], name="pos")
    payload = {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 2}]}

    one = api(first).post(RELATIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")
    two = api(second).post(RELATIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="same")

    assert one.json() != two.json()
    assert on_hand(item, location) == 4


def test_transfer_moves_stock_in_one_transaction(writer, item, location, other_location):
    set_stock(item, location, 10)

    response = writer.post(
        TRANSFERS,
        {
            "reason": "Restock",
            "items": [
                {
                    "sku": item.sku,
                    "from_location_id": location.pk,
                    "to_location_id": other_location.pk,
                    "quantity": 4,
                }
            ],
        },
        format="json",
    )

    assert response.status_code == 200
    assert (on_hand(item, location), on_hand(item, other_location)) == (6, 4)
    adjustment = Adjustment.objects.get(transaction_id=response.json()["transaction_id"])
    assert adjustment.kind == Adjustment.Kind.TRANSFER
    assert adjustment.lines.count() == 2


def test_transfer_errors_name_the_request_fields(writer, item, location, other_location):
    set_stock(item, location, 1)
    before = snapshot()

    response = writer.post(
        TRANSFERS,
        {
            "items": [
                {
                    "sku": item.sku,
                    "from_location_id": location.pk,
                    "to_location_id": other_location.pk,
                    "quantity": 5,
                },
                {
                    "sku": item.sku,
                    "from_location_id": 999,
                    "to_location_id": location.pk,
                    "quantity": 1,
                },
            ]
        },
        format="json",
    )

    body = assert_problem(response, 422)
    assert {"items.0.quantity", "items.1.from_location_id"} <= set(body["errors"])
    assert snapshot() == before


def test_a_2000_line_batch_costs_the_same_queries_as_one_line(
    writer, location, django_assert_max_num_queries
):
    items = Item.objects.bulk_create(
        Item(sku=f"B-{n}", product_id=n, variant_id=n) for n in range(2000)
    )
    writer.put(
        ABSOLUTE,
        {"items": [{"location_id": location.pk, "sku": "B-0", "quantity": 1}]},
        format="json",
    )
    with CaptureQueriesContext(connection) as one_line:
        writer.put(
            ABSOLUTE,
            {"items": [{"location_id": location.pk, "sku": "B-1", "quantity": 1}]},
            format="json",
        )
    payload = json.dumps(
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 3} for item in items]}
    )

    with django_assert_max_num_queries(len(one_line)):
        response = writer.generic("PUT", ABSOLUTE, payload, content_type="application/json")

    assert response.status_code == 200
    assert Balance.objects.filter(location=location, quantity=3).count() == 2000


def test_nul_characters_are_refused_not_a_500(writer, location):
    # PostgreSQL cannot store or compare text containing NUL.
    line = {"location_id": location.pk, "sku": "A\u0000", "quantity": 1}
    body = json.dumps({"items": [line]})  # json escapes NUL as \u0000

    in_body = writer.generic("PUT", ABSOLUTE, body, content_type="application/json")
    in_query = writer.get("/api/v3/inventory/items?sku:in=A%00")

    assert_problem(in_body, 400)
    assert_problem(in_query, 422)


def test_overlong_idempotency_key_is_422(writer, item, location):
    before = snapshot()

    response = writer.post(
        RELATIVE,
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 1}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k" * 256,
    )

    assert set(assert_problem(response, 422)["errors"]) == {"Idempotency-Key"}
    assert snapshot() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_apply_exactly_once(api_client_factory, api):
    item, location = ItemFactory(), LocationFactory()
    _, token = api_client_factory([INVENTORY])
    payload = {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": 1}]}

    def send():
        return api(token).post(RELATIVE, payload, format="json", HTTP_IDEMPOTENCY_KEY="once")

    responses = run_together([send] * 6)

    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {200, 409}
    assert 200 in statuses
    # Every 200 is the same transaction (the first, or its replay); 409s were told to retry.
    assert len({r.json()["transaction_id"] for r in responses if r.status_code == 200}) == 1
    assert on_hand(item, location) == 1
    assert Adjustment.objects.count() == 1
