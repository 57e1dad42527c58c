"""Supplier receipts over the API: expect a delivery, list and read it, receive it in parts
(damaged units recorded, not stocked), close it; retries that apply nothing twice; tokens
restricted to other locations; refusals that name the failing field and change nothing."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from inventory.models import (
    MAX_QUANTITY,
    Adjustment,
    Balance,
    IdempotencyRecord,
    Item,
    ReceivingEvent,
    SupplierReceipt,
    SupplierReceiptLine,
)
from tests.api.documented import assert_documented
from tests.api.problems import assert_problem
from tests.factories import ItemFactory, LocationFactory, set_stock

# A query count must not catch the first request of a new rate-limit window, which clears
# the windows that are over in the database.
RATE_COUNTED_IN_THE_CACHE = override_settings(API_RATE_LIMIT_STORE="cache")

RECEIPTS = "/api/v3/inventory/receipts"
INVENTORY = "store_inventory"
READ_ONLY = "store_inventory_read_only"


def url(receipt_id, step: str = "") -> str:
    return f"{RECEIPTS}/{receipt_id}" + (f"/{step}" if step else "")


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
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        Adjustment.objects.count(),
        sorted(SupplierReceipt.objects.values_list("pk", "status", "closed_at")),
        sorted(SupplierReceiptLine.objects.values_list("pk", "expected", "received", "damaged")),
        ReceivingEvent.objects.count(),
        IdempotencyRecord.objects.count(),
    )


@pytest.fixture
def downtown(db):
    return LocationFactory(label="Downtown", code="DT")


@pytest.fixture
def uptown(db):
    return LocationFactory(label="Uptown", code="UP")


@pytest.fixture
def mug(db):
    return ItemFactory(sku="MUG", variant_id=None, product_id=200, tracking=Item.Tracking.PRODUCT)


@pytest.fixture
def shirt(db):
    return ItemFactory(sku="SHIRT", variant_id=78, product_id=130)


@pytest.fixture
def writer(api_client_factory, api):
    client, token = api_client_factory([INVENTORY])
    session = api(token)
    session.api_client = client
    return session


def expect(session, location, lines, **fields):
    body = {"location_id": location.pk, "supplier": "Acme", "lines": lines, **fields}
    return session.post(RECEIPTS, body, format="json")


@pytest.fixture
def expected(writer, downtown, mug, shirt):
    """10 MUG and 6 SHIRT expected from Acme at Downtown."""
    created = expect(
        writer, downtown, [{"sku": "MUG", "expected": 10}, {"variant_id": 78, "expected": 6}]
    )
    assert created.status_code == 200, created.content
    return SupplierReceipt.objects.get(pk=created.json()["data"]["id"])


def test_expect_list_read_receive_in_parts_and_close(writer, downtown, mug, shirt):
    created = expect(
        writer,
        downtown,
        [{"sku": "MUG", "expected": 10}, {"variant_id": 78, "expected": 6}],
        reference="PO-4411",
        expected_on="2026-12-10",
        note="Dock B",
    )

    assert created.status_code == 200, created.content
    receipt = created.json()["data"]
    assert receipt["number"] == f"R-{receipt['id']}"
    assert receipt["status"] == "expected"
    assert receipt["location_id"] == downtown.pk
    assert (receipt["supplier"], receipt["reference"], receipt["expected_on"]) == (
        "Acme",
        "PO-4411",
        "2026-12-10",
    )
    assert receipt["lines"][0] == {
        "item_id": mug.pk,
        "identity": {"sku": "MUG", "product_id": 200},
        "expected": 10,
        "received": 0,
        "damaged": 0,
        "outstanding": 10,
    }
    assert writer.get(url(receipt["id"])).json()["data"] == receipt
    listed = writer.get(f"{RECEIPTS}?supplier=acm&open=true").json()
    assert [row["id"] for row in listed["data"]] == [receipt["id"]]

    part = writer.post(
        url(receipt["id"], "receive"),
        {"lines": [{"sku": "MUG", "received": 7, "damaged": 1}, {"sku": "SHIRT", "received": 6}]},
        format="json",
    )

    assert part.status_code == 200, part.content
    part = part.json()["data"]
    assert part["status"] == "partially_received"
    assert [line["outstanding"] for line in part["lines"]] == [2, 0]
    (event,) = part["events"]
    stocked = Adjustment.objects.get(transaction_id=event["transaction_id"])
    assert stocked.kind == Adjustment.Kind.RECEIPT
    assert stocked.reference == "PO-4411"
    assert (on_hand(mug, downtown), on_hand(shirt, downtown)) == (7, 6)

    closed = writer.post(url(receipt["id"], "close"))

    assert closed.status_code == 200, closed.content
    assert closed.json()["data"]["status"] == "closed"
    assert closed.json()["data"]["closed_at"] is not None
    assert on_hand(mug, downtown) == 7
    assert writer.get(f"{RECEIPTS}?open=true").json()["data"] == []


def test_received_in_full(writer, expected, downtown, mug):
    response = writer.post(
        url(expected.pk, "receive"),
        {"lines": [{"item_id": mug.pk, "received": 10}, {"sku": "SHIRT", "damaged": 6}]},
        format="json",
    )

    data = response.json()["data"]
    assert data["status"] == "received"
    assert data["closed_at"] is not None
    assert on_hand(mug, downtown) == 10


def test_an_unexpected_item_needs_an_accepted_overage(writer, expected, downtown):
    extra = ItemFactory(sku="EXTRA")
    line = {"sku": "EXTRA", "received": 2}
    before = snapshot()

    refused = writer.post(url(expected.pk, "receive"), {"lines": [line]}, format="json")

    body = assert_problem(refused, 422)
    assert set(body["errors"]) == {"lines.0.sku"}
    assert snapshot() == before
    accepted = writer.post(
        url(expected.pk, "receive"), {"lines": [line], "accept_overage": True}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    assert [row["identity"]["sku"] for row in accepted.json()["data"]["lines"]] == [
        "MUG",
        "SHIRT",
        "EXTRA",
    ]
    assert on_hand(extra, downtown) == 2


def test_list_filters(writer, downtown, uptown, mug, expected):
    expect(writer, uptown, [{"sku": "SHIRT", "expected": 1}], supplier="Globex", reference="PO-9")

    def ids(query: str) -> list[int]:
        response = writer.get(f"{RECEIPTS}?{query}")
        assert response.status_code == 200, response.content
        return [row["location_id"] for row in response.json()["data"]]

    assert ids(f"location={uptown.pk}") == [uptown.pk]
    assert ids("supplier=glob") == [uptown.pk]
    assert ids("reference=po-9") == [uptown.pk]
    assert ids("sku=MUG") == [downtown.pk]
    assert ids("status=expected") == [uptown.pk, downtown.pk]
    assert ids("status=received") == []
    assert_problem(writer.get(f"{RECEIPTS}?status=lost"), 422)
    assert_problem(writer.get(f"{RECEIPTS}?location=0"), 422)


def test_a_retry_replays_its_answer_and_applies_once(writer, downtown, mug):
    body = {
        "location_id": downtown.pk,
        "supplier": "Acme",
        "lines": [{"sku": "MUG", "expected": 5}],
    }
    first = writer.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")
    again = writer.post(RECEIPTS, body, format="json", HTTP_IDEMPOTENCY_KEY="po-1")

    assert first.json() == again.json()
    assert SupplierReceipt.objects.count() == 1
    receipt_id = first.json()["data"]["id"]
    arrival = {"lines": [{"sku": "MUG", "received": 2}]}
    received = writer.post(
        url(receipt_id, "receive"), arrival, format="json", HTTP_IDEMPOTENCY_KEY="d-1"
    )
    replayed = writer.post(
        url(receipt_id, "receive"), arrival, format="json", HTTP_IDEMPOTENCY_KEY="d-1"
    )

    assert received.json() == replayed.json()
    assert replayed["Idempotent-Replayed"] == "true"
    assert on_hand(mug, downtown) == 2
    assert ReceivingEvent.objects.count() == 1


def test_refusals_name_the_failing_field_and_change_nothing(writer, expected, downtown, mug):
    disabled = LocationFactory(enabled=False)
    cases = [
        (RECEIPTS, {"location_id": downtown.pk, "supplier": "Acme", "lines": []}, 422, {"lines"}),
        (
            RECEIPTS,
            {
                "location_id": downtown.pk,
                "supplier": "  ",
                "lines": [{"sku": "MUG", "expected": 1}],
            },
            422,
            {"supplier"},
        ),
        (
            RECEIPTS,
            {"location_id": disabled.pk, "supplier": "A", "lines": [{"sku": "MUG", "expected": 1}]},
            422,
            {"location_id"},
        ),
        (
            RECEIPTS,
            {"location_id": 99_999, "supplier": "A", "lines": [{"sku": "MUG", "expected": 1}]},
            422,
            {"location_id"},
        ),
        (
            RECEIPTS,
            {
                "location_id": downtown.pk,
                "supplier": "A",
                "lines": [{"sku": "MUG", "expected": 1}, {"product_id": 200, "expected": -1}],
            },
            422,
            {"lines.1.expected", "lines.1.product_id"},
        ),
        (
            RECEIPTS,
            {"location_id": downtown.pk, "supplier": "A", "expected_on": "2026-02-30"},
            422,
            None,
        ),
        (
            url(expected.pk, "receive"),
            {"lines": [{"sku": "MUG", "received": 11}]},
            422,
            {"lines.0.received"},
        ),
        (
            url(expected.pk, "receive"),
            {"lines": [{"sku": "SHIRT", "received": 0}, {"sku": "NOPE", "received": 1}]},
            422,
            {"lines.1.sku"},
        ),
        (url(99_999, "close"), None, 404, set()),
    ]
    before = snapshot()

    for path, body, code, paths in cases:
        problem = assert_problem(writer.post(path, body, format="json"), code)
        if paths is not None:
            assert set(problem["errors"]) == paths, (path, body, problem)

    assert snapshot() == before
    writer.post(url(expected.pk, "close"))
    before = snapshot()
    arrival = {"lines": [{"sku": "MUG", "received": 1}]}
    again = writer.post(url(expected.pk, "receive"), arrival, format="json")
    assert_problem(again, 409)
    assert_problem(writer.post(url(expected.pk, "close")), 409)
    assert snapshot() == before


def test_the_write_paths_refusal_names_the_requests_line(writer, expected, downtown, mug):
    # Only sellable lines reach the write path, so its first line is the request's second.
    set_stock(mug, downtown, MAX_QUANTITY - 1)
    before = snapshot()

    response = writer.post(
        url(expected.pk, "receive"),
        {"lines": [{"sku": "SHIRT", "damaged": 1}, {"sku": "MUG", "received": 5}]},
        format="json",
    )

    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"lines.1.received"}
    assert snapshot() == before


def test_a_restricted_token_works_only_at_its_locations(
    api, api_client_factory, downtown, uptown, mug, expected
):
    _, downtown_only = api_client_factory([INVENTORY], [downtown])
    _, uptown_only = api_client_factory([INVENTORY], [uptown])
    before = snapshot()

    assert [row["id"] for row in api(downtown_only).get(RECEIPTS).json()["data"]] == [expected.pk]
    assert api(uptown_only).get(RECEIPTS).json()["data"] == []
    assert_problem(api(uptown_only).get(url(expected.pk)), 404)
    receive = {"lines": [{"sku": "MUG", "received": 1}]}
    assert_problem(api(uptown_only).post(url(expected.pk, "receive"), receive, format="json"), 404)
    assert_problem(api(uptown_only).post(url(expected.pk, "close")), 404)
    created = expect(api(uptown_only), downtown, [{"sku": "MUG", "expected": 1}])
    assert set(assert_problem(created, 403)["errors"]) == {"location_id"}
    assert snapshot() == before

    allowed = api(downtown_only).post(url(expected.pk, "receive"), receive, format="json")
    assert allowed.status_code == 200, allowed.content


def test_scopes(api, api_client_factory, downtown, mug, expected):
    _, read_only = api_client_factory([READ_ONLY])
    before = snapshot()

    assert api(read_only).get(url(expected.pk)).status_code == 200
    assert_problem(api(read_only).post(url(expected.pk, "close")), 403)
    assert_problem(expect(api(read_only), downtown, [{"sku": "MUG", "expected": 1}]), 403)
    assert snapshot() == before


@RATE_COUNTED_IN_THE_CACHE
def test_reads_and_receiving_cost_the_same_queries_for_one_or_many(
    writer, downtown, django_assert_max_num_queries
):
    items = ItemFactory.create_batch(30)

    def receipt(count: int) -> tuple[int, int]:
        lines = [{"item_id": item.pk, "expected": 5} for item in items[:count]]
        created = []
        create = queries(lambda: created.append(expect(writer, downtown, lines)))
        receipt_id = created[0].json()["data"]["id"]
        arrival = [{"item_id": item.pk, "received": 2, "damaged": 1} for item in items[:count]]
        receive = queries(
            lambda: writer.post(url(receipt_id, "receive"), {"lines": arrival}, format="json")
        )
        assert created[0].status_code == 200
        return receipt_id, [create, receive]

    first, one = receipt(1)
    listing = queries(lambda: writer.get(RECEIPTS))
    detail = queries(lambda: writer.get(url(first)))
    for count in (5, 30):
        _, many = receipt(count)
        assert all(m <= o for m, o in zip(many, one, strict=True)), (many, one)

    with django_assert_max_num_queries(listing):
        body = writer.get(RECEIPTS).json()
    with django_assert_max_num_queries(detail):
        writer.get(url(first))
    assert sum(len(row["lines"]) for row in body["data"]) == 36


def test_answers_are_what_the_document_promises(writer, expected):
    ItemFactory(sku="EXTRA")
    writer.post(
        url(expected.pk, "receive"),
        {
            "lines": [{"sku": "MUG", "received": 2, "damaged": 1}, {"sku": "EXTRA", "received": 1}],
            "accept_overage": True,
        },
        format="json",
    )
    writer.post(url(expected.pk, "close"))

    assert_documented(writer.get(url(expected.pk)).json(), "ReceiptResponse")
    assert_documented(writer.get(RECEIPTS).json(), "ReceiptsResponse")
