"""Transfers with a transit stage over the API: create, list, read, ship, receive in parts,
cancel and close; retries that apply nothing twice; tokens restricted at either end; refusals
that name the failing field and change nothing."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from inventory.models import (
    Adjustment,
    Balance,
    IdempotencyRecord,
    Item,
    ReceivingEvent,
    TransferLine,
    TransferOrder,
)
from tests.api.documented import assert_documented
from tests.api.problems import assert_problem
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, set_stock

# A query count must not catch the first request of a new rate-limit window, which clears
# the windows that are over in the database.
RATE_COUNTED_IN_THE_CACHE = override_settings(API_RATE_LIMIT_STORE="cache")

TRANSFERS = "/api/v3/inventory/transfer-orders"
INVENTORY = "store_inventory"
READ_ONLY = "store_inventory_read_only"
Status = TransferOrder.Status


def url(transfer_id, step: str = "") -> str:
    return f"{TRANSFERS}/{transfer_id}" + (f"/{step}" if step else "")


def on_hand(item, location) -> int:
    balance = Balance.objects.filter(item=item, location=location).first()
    return balance.quantity if balance else 0


def queries(request) -> int:
    """How many queries `request()` runs (the log cleared first: the test client's request
    signal may clear it midway)."""
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as captured:
        request()
    return len(captured)


def snapshot():
    """Everything a refused step must leave as it was."""
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        sorted(TransferOrder.objects.values_list("pk", "status", "shipped_at", "closed_at")),
        sorted(
            TransferLine.objects.values_list("pk", "quantity", "received", "damaged", "missing")
        ),
        ReceivingEvent.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def warehouse(db):
    return LocationFactory(label="Warehouse", code="WH")


@pytest.fixture
def downtown(db):
    return LocationFactory(label="Downtown", code="DT")


@pytest.fixture
def uptown(db):
    return LocationFactory(label="Uptown", code="UP")


@pytest.fixture
def mug(warehouse):
    item = ItemFactory(sku="MUG", variant_id=None, product_id=200, tracking=Item.Tracking.PRODUCT)
    set_stock(item, warehouse, 20)
    return item


@pytest.fixture
def shirt(warehouse):
    item = ItemFactory(sku="SHIRT", variant_id=78, product_id=130)
    set_stock(item, warehouse, 10)
    return item


@pytest.fixture
def writer(api_client_factory, api):
    client, token = api_client_factory([INVENTORY])
    session = api(token)
    session.api_client = client
    return session


def draft(session, origin, destination, lines, **fields):
    body = {
        "origin_location_id": origin.pk,
        "destination_location_id": destination.pk,
        "lines": lines,
        **fields,
    }
    return session.post(TRANSFERS, body, format="json")


@pytest.fixture
def shipped(writer, warehouse, downtown, mug, shirt):
    """A transfer of 5 MUG and 4 SHIRT from the Warehouse to Downtown, in transit."""
    created = draft(
        writer,
        warehouse,
        downtown,
        [{"sku": "MUG", "quantity": 5}, {"variant_id": 78, "quantity": 4}],
    )
    transfer_id = created.json()["data"]["id"]
    assert writer.post(url(transfer_id, "ship")).status_code == 200
    return TransferOrder.objects.get(pk=transfer_id)


def test_create_list_read_ship_and_receive_in_parts(writer, warehouse, downtown, mug, shirt):
    created = draft(
        writer,
        warehouse,
        downtown,
        [{"sku": "MUG", "quantity": 5}, {"variant_id": 78, "quantity": 4}],
        reference="WAYBILL-7",
        note="Fragile",
    )

    assert created.status_code == 200, created.content
    transfer = created.json()["data"]
    assert transfer["number"] == f"T-{transfer['id']}"
    assert transfer["status"] == "draft"
    assert (transfer["origin_location_id"], transfer["destination_location_id"]) == (
        warehouse.pk,
        downtown.pk,
    )
    assert (transfer["reference"], transfer["note"]) == ("WAYBILL-7", "Fragile")
    assert transfer["shipped_at"] is None
    assert transfer["shipment_transaction_id"] is None
    assert [line["identity"] for line in transfer["lines"]] == [
        {"sku": "MUG", "product_id": 200},
        {"sku": "SHIRT", "variant_id": 78, "product_id": 130},
    ]
    assert transfer["lines"][0] == {
        "item_id": mug.pk,
        "identity": {"sku": "MUG", "product_id": 200},
        "quantity": 5,
        "received": 0,
        "damaged": 0,
        "missing": 0,
        "outstanding": 5,
    }
    assert on_hand(mug, warehouse) == 20  # a draft moves nothing

    listed = writer.get(f"{TRANSFERS}?status=draft").json()
    assert [row["id"] for row in listed["data"]] == [transfer["id"]]
    assert listed["meta"]["pagination"]["total"] == 1
    assert writer.get(url(transfer["id"])).json()["data"] == transfer

    shipped = writer.post(url(transfer["id"], "ship"))

    assert shipped.status_code == 200, shipped.content
    shipped = shipped.json()["data"]
    assert shipped["status"] == "shipped"
    assert shipped["shipped_at"] is not None
    shipment = Adjustment.objects.get(transaction_id=shipped["shipment_transaction_id"])
    assert shipment.kind == Adjustment.Kind.SHIPMENT
    assert (on_hand(mug, warehouse), on_hand(shirt, warehouse)) == (15, 6)
    assert on_hand(mug, downtown) == 0  # in transit, not yet there

    part = writer.post(
        url(transfer["id"], "receive"),
        {
            "lines": [
                {"sku": "MUG", "received": 3, "damaged": 1},
                {"sku": "SHIRT", "received": 2, "missing": 1},
            ],
            "note": "Box 1 of 2",
        },
        format="json",
    )

    assert part.status_code == 200, part.content
    part = part.json()["data"]
    assert part["status"] == "partially_received"
    assert [(line["received"], line["damaged"], line["missing"]) for line in part["lines"]] == [
        (3, 1, 0),
        (2, 0, 1),
    ]
    assert [line["outstanding"] for line in part["lines"]] == [1, 1]
    (event,) = part["events"]
    assert event["note"] == "Box 1 of 2"
    assert event["api_client"] == writer.api_client.name
    assert event["user"] is None
    assert Adjustment.objects.get(transaction_id=event["transaction_id"]).kind == "receipt"
    assert [(line["identity"]["sku"], line["received"]) for line in event["lines"]] == [
        ("MUG", 3),
        ("SHIRT", 2),
    ]
    assert (on_hand(mug, downtown), on_hand(shirt, downtown)) == (3, 2)

    rest = writer.post(
        url(transfer["id"], "receive"),
        {"lines": [{"item_id": mug.pk, "received": 1}, {"product_id": 130, "received": 1}]},
        format="json",
    )

    # product_id 130 is a variant-tracked item's product: not an identity of SHIRT.
    body = assert_problem(rest, 422)
    assert set(body["errors"]) == {"lines.1.product_id"}
    rest = writer.post(
        url(transfer["id"], "receive"),
        {"lines": [{"item_id": mug.pk, "received": 1}, {"sku": "SHIRT", "received": 1}]},
        format="json",
    )
    done = rest.json()["data"]
    assert done["status"] == "received"
    assert done["closed_at"] is not None
    assert len(done["events"]) == 2
    assert (on_hand(mug, downtown), on_hand(shirt, downtown)) == (4, 3)


def test_a_transfer_received_short_is_closed_and_a_draft_cancelled(
    writer, shipped, warehouse, downtown, mug
):
    writer.post(
        url(shipped.pk, "receive"), {"lines": [{"sku": "MUG", "received": 5}]}, format="json"
    )

    closed = writer.post(url(shipped.pk, "close"), {"note": "Lost in transit"}, format="json")

    assert closed.status_code == 200, closed.content
    data = closed.json()["data"]
    assert data["status"] == "closed"
    assert data["lines"][1]["missing"] == 4
    assert data["lines"][1]["outstanding"] == 0
    assert data["events"][-1]["closing"] is True
    assert data["events"][-1]["transaction_id"] is None

    other = draft(writer, warehouse, downtown, [{"sku": "MUG", "quantity": 1}]).json()["data"]
    cancelled = writer.post(url(other["id"], "cancel"))
    assert cancelled.json()["data"]["status"] == "cancelled"
    assert on_hand(mug, warehouse) == 15


def test_list_filters_and_pagination(writer, warehouse, downtown, uptown, mug, shirt, shipped):
    draft(writer, downtown, uptown, [{"sku": "SHIRT", "quantity": 1}])
    draft(writer, warehouse, uptown, [{"sku": "MUG", "quantity": 1}])

    def ids(query: str) -> list[int]:
        response = writer.get(f"{TRANSFERS}?{query}")
        assert response.status_code == 200, response.content
        return [row["destination_location_id"] for row in response.json()["data"]]

    assert ids(f"origin={warehouse.pk}") == [uptown.pk, downtown.pk]
    assert ids(f"destination={uptown.pk}") == [uptown.pk, uptown.pk]
    assert ids(f"location={downtown.pk}") == [uptown.pk, downtown.pk]
    assert ids("status=shipped") == [downtown.pk]
    assert ids("status=shipped&status=draft") == [uptown.pk, uptown.pk, downtown.pk]
    assert ids("sku=SHIRT") == [uptown.pk, downtown.pk]
    assert ids("open=false") == []
    page = writer.get(f"{TRANSFERS}?limit=2&page=2").json()
    assert page["meta"]["pagination"]["total"] == 3
    assert len(page["data"]) == 1


@pytest.mark.parametrize(
    "query", ["status=lost", "origin=abc", "origin=99999999999999", "sku=A%00", "page=0"]
)
def test_bad_filters_are_422_naming_the_parameter(writer, shipped, query):
    body = assert_problem(writer.get(f"{TRANSFERS}?{query}"), 422)

    assert set(body["errors"]) == {query.split("=")[0]}


def test_a_retried_step_replays_its_answer_and_applies_once(writer, warehouse, downtown, mug):
    lines = [{"sku": "MUG", "quantity": 5}]
    body = {"origin_location_id": warehouse.pk, "destination_location_id": downtown.pk}
    first = writer.post(
        TRANSFERS, {**body, "lines": lines}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )
    again = writer.post(
        TRANSFERS, {**body, "lines": lines}, format="json", HTTP_IDEMPOTENCY_KEY="c1"
    )

    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert first.json() == again.json()
    assert TransferOrder.objects.count() == 1
    transfer_id = first.json()["data"]["id"]

    ship = writer.post(url(transfer_id, "ship"), HTTP_IDEMPOTENCY_KEY="s1")
    ship_again = writer.post(url(transfer_id, "ship"), HTTP_IDEMPOTENCY_KEY="s1")
    arrival = {"lines": [{"sku": "MUG", "received": 2}]}
    receive = writer.post(
        url(transfer_id, "receive"), arrival, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )
    receive_again = writer.post(
        url(transfer_id, "receive"), arrival, format="json", HTTP_IDEMPOTENCY_KEY="r1"
    )

    assert ship.json() == ship_again.json()
    assert receive.json() == receive_again.json()
    assert receive_again.status_code == 200
    assert on_hand(mug, warehouse) == 15
    assert on_hand(mug, downtown) == 2
    assert ReceivingEvent.objects.count() == 1
    # Without the key, the same receiving is a second delivery.
    writer.post(url(transfer_id, "receive"), arrival, format="json")
    assert on_hand(mug, downtown) == 4


def test_a_key_reused_for_another_step_is_refused(writer, shipped):
    writer.post(
        url(shipped.pk, "receive"),
        {"lines": [{"sku": "MUG", "received": 1}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )
    before = snapshot()

    other = writer.post(
        url(shipped.pk, "receive"),
        {"lines": [{"sku": "MUG", "received": 2}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k",
    )

    assert set(assert_problem(other, 422)["errors"]) == {"Idempotency-Key"}
    assert snapshot() == before


def test_a_refused_step_keeps_no_key(writer, shipped, downtown, mug):
    too_many = {"lines": [{"sku": "MUG", "received": 9}]}
    refused = writer.post(
        url(shipped.pk, "receive"), too_many, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    fixed = writer.post(
        url(shipped.pk, "receive"),
        {"lines": [{"sku": "MUG", "received": 5}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY="x",
    )

    assert_problem(refused, 422)
    assert fixed.status_code == 200
    assert on_hand(mug, downtown) == 5


def test_refusals_name_the_failing_field_and_change_nothing(
    writer, warehouse, downtown, mug, shirt, shipped
):
    disabled = LocationFactory(enabled=False)
    cases = [
        # (method path, body, status, error paths)
        (TRANSFERS, {"lines": [{"sku": "MUG", "quantity": 1}]}, 422, None),
        (
            TRANSFERS,
            {
                "origin_location_id": warehouse.pk,
                "destination_location_id": warehouse.pk,
                "lines": [{"sku": "MUG", "quantity": 1}],
            },
            422,
            {"destination_location_id"},
        ),
        (
            TRANSFERS,
            {
                "origin_location_id": warehouse.pk,
                "destination_location_id": disabled.pk,
                "lines": [{"sku": "MUG", "quantity": 1}],
            },
            422,
            {"destination_location_id"},
        ),
        (
            TRANSFERS,
            {
                "origin_location_id": warehouse.pk,
                "destination_location_id": 99_999,
                "lines": [{"sku": "MUG", "quantity": 1}],
            },
            422,
            {"destination_location_id"},
        ),
        (
            TRANSFERS,
            {
                "origin_location_id": warehouse.pk,
                "destination_location_id": downtown.pk,
                "lines": [
                    {"sku": "MUG", "quantity": 1},
                    {"sku": "NOPE", "quantity": 1},
                    {"sku": "SHIRT", "quantity": 0},
                    {"item_id": mug.pk, "quantity": 2},
                ],
            },
            422,
            {"lines.1.sku"},
        ),
        (
            TRANSFERS,
            {
                "origin_location_id": warehouse.pk,
                "destination_location_id": downtown.pk,
                "lines": [
                    {"sku": "MUG", "quantity": 1},
                    {"sku": "SHIRT", "quantity": 0},
                    {"item_id": mug.pk, "quantity": 2},
                ],
            },
            422,
            {"lines.1.quantity", "lines.2.item_id"},
        ),
        (url(shipped.pk, "ship"), None, 409, set()),
        (url(shipped.pk, "cancel"), None, 409, set()),
        (
            url(shipped.pk, "receive"),
            {
                "lines": [
                    {"sku": "MUG", "received": 2},
                    {"sku": "SHIRT", "received": 3, "missing": 2},
                ]
            },
            422,
            {"lines.1.received"},
        ),
        (
            url(shipped.pk, "receive"),
            {"lines": [{"sku": "MUG", "received": -1}]},
            422,
            {"lines.0.received"},
        ),
        (url(shipped.pk, "receive"), {"lines": [{"sku": "MUG"}]}, 422, {"lines"}),
        (url(shipped.pk, "receive"), {"lines": [{"sku": "OTHER", "received": 1}]}, 422, None),
        (url(99_999, "ship"), None, 404, set()),
    ]
    ItemFactory(sku="OTHER")
    before = snapshot()

    for path, body, code, paths in cases:
        response = writer.post(path, body, format="json")
        problem = assert_problem(response, code)
        if paths is not None:
            assert set(problem["errors"]) == paths, (path, body, problem)

    assert snapshot() == before


def test_an_item_not_on_the_transfer_is_named_by_the_lines_field(writer, shipped):
    ItemFactory(sku="OTHER", variant_id=555)

    response = writer.post(
        url(shipped.pk, "receive"), {"lines": [{"variant_id": 555, "received": 1}]}, format="json"
    )

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"lines.0.variant_id"}
    assert "not on this transfer" in body["errors"]["lines.0.variant_id"]


def test_shipping_more_than_the_origin_has_names_the_line(writer, warehouse, downtown, mug, shirt):
    created = draft(
        writer,
        warehouse,
        downtown,
        [{"sku": "MUG", "quantity": 5}, {"sku": "SHIRT", "quantity": 11}],
    ).json()["data"]
    before = snapshot()

    body = assert_problem(writer.post(url(created["id"], "ship")), 422)

    assert set(body["errors"]) == {"lines.1.quantity"}
    assert snapshot() == before


def test_accepting_an_overage(writer, shipped, downtown, mug):
    response = writer.post(
        url(shipped.pk, "receive"),
        {"lines": [{"sku": "MUG", "received": 6}], "accept_overage": True},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["data"]["events"][0]["overage_accepted"] is True
    assert on_hand(mug, downtown) == 6


@pytest.mark.parametrize(
    "body",
    [
        [],
        "text",
        {"lines": "MUG"},
        {"lines": [{"sku": "MUG", "received": "1"}]},
        {"lines": [{"sku": "MUG", "received": 10**40}]},
        {"lines": [{"sku": 5, "received": 1}]},
        {"lines": [{"received": 1}]},
        {"lines": [{"sku": "MUG", "received": 1}], "accept_overage": "yes"},
        {"lines": [{"sku": "MUG", "received": 1}] * 2001},
        {"lines": []},
    ],
)
def test_hostile_bodies_are_4xx_and_change_nothing(writer, shipped, body):
    before = snapshot()

    response = writer.post(url(shipped.pk, "receive"), body, format="json")

    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"origin_location_id": "1", "destination_location_id": 2, "lines": []},
        {"origin_location_id": 2**40, "destination_location_id": 2, "lines": []},
        {"origin_location_id": 1, "destination_location_id": 2, "lines": [{"sku": "M"}]},
        {"origin_location_id": 1, "destination_location_id": 2, "reference": "x" * 501},
    ],
)
def test_hostile_creates_are_422(writer, body):
    assert_problem(writer.post(TRANSFERS, body, format="json"), 422)
    assert TransferOrder.objects.count() == 0


def test_a_huge_quantity_is_refused_by_the_rules(writer, warehouse, downtown, mug):
    response = draft(writer, warehouse, downtown, [{"sku": "MUG", "quantity": 2_147_483_647}])
    shipped = writer.post(url(response.json()["data"]["id"], "ship"))

    assert set(assert_problem(shipped, 422)["errors"]) == {"lines.0.quantity"}


def test_reads_need_the_read_scope_and_writes_the_modify_scope(
    api, api_client_factory, warehouse, downtown, mug, shipped
):
    _, read_only = api_client_factory([READ_ONLY])
    _, locations_only = api_client_factory(["store_locations"])
    before = snapshot()

    assert api(read_only).get(TRANSFERS).status_code == 200
    assert api(read_only).get(url(shipped.pk)).status_code == 200
    assert_problem(api(locations_only).get(TRANSFERS), 403)
    assert_problem(api(None).get(TRANSFERS), 401)
    assert_problem(api(read_only).post(url(shipped.pk, "close")), 403)
    assert_problem(draft(api(read_only), warehouse, downtown, [{"sku": "MUG", "quantity": 1}]), 403)
    assert snapshot() == before


def test_a_restricted_token_sees_either_end_and_changes_only_with_both(
    api, api_client_factory, writer, warehouse, downtown, uptown, mug, shipped
):
    _, downtown_only = api_client_factory([INVENTORY], [downtown])
    _, uptown_only = api_client_factory([INVENTORY], [uptown])
    _, both = api_client_factory([INVENTORY], [warehouse, downtown])
    before = snapshot()

    # Reading: either end.
    assert [row["id"] for row in api(downtown_only).get(TRANSFERS).json()["data"]] == [shipped.pk]
    assert api(downtown_only).get(url(shipped.pk)).status_code == 200
    assert api(uptown_only).get(TRANSFERS).json()["data"] == []
    assert_problem(api(uptown_only).get(url(shipped.pk)), 404)
    # Changing: both ends.
    receive = {"lines": [{"sku": "MUG", "received": 1}]}
    refused = api(downtown_only).post(url(shipped.pk, "receive"), receive, format="json")
    assert set(assert_problem(refused, 403)["errors"]) == {"origin_location_id"}
    assert_problem(api(downtown_only).post(url(shipped.pk, "close")), 403)
    assert_problem(api(uptown_only).post(url(shipped.pk, "close")), 404)
    created = draft(api(downtown_only), warehouse, downtown, [{"sku": "MUG", "quantity": 1}])
    assert set(assert_problem(created, 403)["errors"]) == {"origin_location_id"}
    outside = draft(api(downtown_only), warehouse, uptown, [{"sku": "MUG", "quantity": 1}])
    assert set(assert_problem(outside, 403)["errors"]) == {
        "origin_location_id",
        "destination_location_id",
    }
    assert snapshot() == before

    allowed = api(both).post(url(shipped.pk, "receive"), receive, format="json")
    assert allowed.status_code == 200, allowed.content


@RATE_COUNTED_IN_THE_CACHE
def test_reads_cost_the_same_queries_for_one_transfer_or_many(
    writer, warehouse, downtown, django_assert_max_num_queries
):
    items = ItemFactory.create_batch(6)
    for item in items:
        set_stock(item, warehouse, 100)

    def transfer(count: int) -> int:
        lines = [{"item_id": item.pk, "quantity": 4} for item in items[:count]]
        created = draft(writer, warehouse, downtown, lines).json()["data"]
        writer.post(url(created["id"], "ship"))
        arrival = [{"item_id": item.pk, "received": 1, "damaged": 1} for item in items[:count]]
        writer.post(url(created["id"], "receive"), {"lines": arrival[:1]}, format="json")
        writer.post(url(created["id"], "receive"), {"lines": arrival}, format="json")
        return created["id"]

    first = transfer(1)
    one = queries(lambda: writer.get(TRANSFERS))
    detail = queries(lambda: writer.get(url(first)))
    for count in range(2, 7):
        transfer(count)

    with django_assert_max_num_queries(one):
        many = writer.get(TRANSFERS)
    with django_assert_max_num_queries(detail):
        writer.get(url(first))
    assert len(many.json()["data"]) == 6
    assert sum(len(row["events"]) for row in many.json()["data"]) == 12


@RATE_COUNTED_IN_THE_CACHE
def test_steps_cost_the_same_queries_for_one_line_or_many(writer, warehouse, downtown):
    items = ItemFactory.create_batch(40)
    for item in items:
        set_stock(item, warehouse, 10)

    def cost(count: int) -> list[int]:
        lines = [{"sku": item.sku, "quantity": 1} for item in items[:count]]
        arrival = [{"sku": item.sku, "received": 1} for item in items[:count]]
        created = []
        create = queries(lambda: created.append(draft(writer, warehouse, downtown, lines)))
        transfer_id = created[0].json()["data"]["id"]
        ship = queries(lambda: writer.post(url(transfer_id, "ship")))
        receive = queries(
            lambda: writer.post(url(transfer_id, "receive"), {"lines": arrival}, format="json")
        )
        assert created[0].status_code == 200
        return [create, ship, receive]

    one = cost(1)
    for step, many in zip(one, cost(40), strict=True):
        assert many <= step


def test_totals_beyond_the_largest_quantity_are_refused_not_a_500(writer, shipped):
    overage = {"lines": [{"sku": "MUG", "damaged": 2_147_483_647}], "accept_overage": True}

    first = writer.post(url(shipped.pk, "receive"), overage, format="json")
    before = snapshot()
    second = writer.post(url(shipped.pk, "receive"), overage, format="json")

    assert first.status_code == 200, first.content
    assert 400 <= second.status_code < 500, second.content
    assert snapshot() == before


@pytest.mark.parametrize("transfer_id", ["99999999999999999999", "2147483648", "0"])
def test_ids_beyond_any_transfer_are_404(writer, shipped, transfer_id):
    assert_problem(writer.get(url(transfer_id)), 404)
    assert_problem(writer.post(url(transfer_id, "ship")), 404)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_receivings_are_each_applied_once(api_client_factory, api):
    warehouse, downtown = LocationFactory(), LocationFactory()
    mug = ItemFactory(sku="MUG")
    set_stock(mug, warehouse, 10)
    _, token = api_client_factory([INVENTORY])
    created = draft(api(token), warehouse, downtown, [{"sku": "MUG", "quantity": 6}])
    transfer_id = created.json()["data"]["id"]
    api(token).post(url(transfer_id, "ship"))
    arrival = {"lines": [{"sku": "MUG", "received": 2}]}

    def send(key: str):
        return lambda: api(token).post(
            url(transfer_id, "receive"), arrival, format="json", HTTP_IDEMPOTENCY_KEY=key
        )

    # Three deliveries, each sent twice at once: each applies once, one after the other.
    responses = run_together([send(key) for key in ("a", "b", "c") * 2])

    assert {response.status_code for response in responses} <= {200, 409}
    assert on_hand(mug, downtown) == 2 * len(
        {key for key, r in zip("abcabc", responses, strict=True) if r.status_code == 200}
    )
    assert ReceivingEvent.objects.count() == on_hand(mug, downtown) // 2
    line = TransferLine.objects.get()
    assert line.received == on_hand(mug, downtown)


def test_answers_are_what_the_document_promises(writer, shipped):
    ItemFactory(sku="OTHER")
    writer.post(
        url(shipped.pk, "receive"),
        {"lines": [{"sku": "MUG", "received": 2, "damaged": 1, "missing": 1}]},
        format="json",
    )
    writer.post(url(shipped.pk, "close"))

    assert_documented(writer.get(url(shipped.pk)).json(), "TransferOrderResponse")
    assert_documented(writer.get(TRANSFERS).json(), "TransferOrdersResponse")
