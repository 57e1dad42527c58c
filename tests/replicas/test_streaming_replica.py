"""Reads on a real streaming replica (conftest.py starts it): opted-in reads go to it, a
client always reads its own writes, and reads answer when it is paused or down."""

import pytest
from django.conf import settings
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from inventory.api_clients import issue_token
from inventory.models import Adjustment, ApiClient, Balance
from inventory.stock import LineInput, apply_adjustment
from inventory_project.replicas import state
from inventory_project.replicas.router import ReplicaRouter
from tests.admin.test_adjust import post_adjust
from tests.factories import ItemFactory, LocationFactory, manager, set_stock

pytestmark = [
    pytest.mark.replica,
    pytest.mark.django_db(transaction=True, databases=["default", "replica_1"]),
]

ITEMS = "/api/v3/inventory/items"
HISTORY = reverse("admin:inventory_adjustmentline_changelist")


def relative_url() -> str:
    # BigCommerce's own prefix, as its client libraries call it.
    return f"/stores/{settings.STORE_HASH}/v3/inventory/adjustments/relative"


def read_stock(queries) -> list[str]:
    """The statements that read stock (not the replica's own health check)."""
    return [query["sql"] for query in queries if "inventory_balance" in query["sql"]]


def on_hand(response, location) -> int:
    (entry,) = response.json()["data"]
    row = next(row for row in entry["locations"] if row["location_id"] == location.pk)
    return row["total_inventory_onhand"]


def api_session(name: str, scope: str) -> APIClient:
    client = ApiClient(name=name, scopes=[scope])
    token = issue_token(client)
    client.save()
    session = APIClient()
    session.credentials(HTTP_X_AUTH_TOKEN=token)
    return session


@pytest.fixture
def shop(replica):
    location = LocationFactory(code="NORTH")
    item = ItemFactory(sku="SHIRT")
    set_stock(item, location, 10)
    writer = api_session("writer", ApiClient.Scope.INVENTORY)
    reader = api_session("reader", ApiClient.Scope.INVENTORY_READ)
    replica.wait_until_caught_up()
    return {
        "location": location,
        "item": item,
        "writer": writer,
        "reader": reader,
        "replica": replica,
    }


def sell(shop, quantity: int):
    line = {"location_id": shop["location"].pk, "sku": "SHIRT", "quantity": -quantity}
    return shop["writer"].post(relative_url(), {"reason": "Order", "items": [line]}, format="json")


def test_a_client_reads_its_own_write_while_the_replica_is_paused(shop):
    replica = shop["replica"]
    replica.pause()

    assert sell(shop, 3).status_code == 200
    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        mine = shop["writer"].get(ITEMS, {"sku:in": "SHIRT"})
        theirs = shop["reader"].get(ITEMS, {"sku:in": "SHIRT"})

    # The writer sees its sale, from the primary; the replica has not replayed it, and
    # another client (with no write to wait for) is served by the replica, which is behind.
    assert (mine.status_code, on_hand(mine, shop["location"])) == (200, 7)
    assert replica.sql(
        "SELECT quantity FROM inventory_balance WHERE item_id = %s", [shop["item"].pk]
    ) == (10,)
    assert (theirs.status_code, on_hand(theirs, shop["location"])) == (200, 10)
    assert len(read_stock(on_replica.captured_queries)) == 1  # the reader's, not the writer's


def test_once_the_replica_has_replayed_the_write_list_reads_are_served_by_it(shop):
    replica = shop["replica"]
    assert sell(shop, 3).status_code == 200
    replica.wait_until_caught_up()

    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        response = shop["writer"].get(ITEMS, {"sku:in": "SHIRT"})

    assert (response.status_code, on_hand(response, shop["location"])) == (200, 7)
    assert read_stock(on_replica.captured_queries)
    # One check of the replica for the whole request, whatever the view reads.
    checks = [q for q in on_replica.captured_queries if "pg_last_wal_replay_lsn" in q["sql"]]
    assert len(checks) == 1


def test_writes_are_never_served_by_the_replica(shop):
    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        response = sell(shop, 2)

    assert response.status_code == 200
    assert on_replica.captured_queries == []
    assert Balance.objects.get(item=shop["item"]).quantity == 8


def test_with_the_replica_stopped_reads_still_answer_from_the_primary(shop, monkeypatch):
    replica = shop["replica"]
    replica.stop()
    attempts = []
    connect = connections["replica_1"].get_new_connection
    monkeypatch.setattr(
        connections["replica_1"],
        "get_new_connection",
        lambda params: attempts.append(params) or connect(params),
    )

    first = shop["reader"].get(ITEMS, {"sku:in": "SHIRT"})
    assert sell(shop, 1).status_code == 200
    second = shop["writer"].get(ITEMS, {"sku:in": "SHIRT"})
    third = shop["reader"].get(ITEMS, {"sku:in": "SHIRT"})

    assert (first.status_code, on_hand(first, shop["location"])) == (200, 10)
    assert (second.status_code, on_hand(second, shop["location"])) == (200, 9)
    assert (third.status_code, on_hand(third, shop["location"])) == (200, 9)
    # Tried once, then left out for DATABASE_REPLICA_RETRY_SECONDS: not on every request.
    assert len(attempts) == 1


def test_a_replica_lagging_past_the_bound_is_left_out(shop, settings):
    replica = shop["replica"]
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 0
    replica.pause()
    # Something for the replica to receive and not replay (an idle primary sends nothing).
    set_stock(shop["item"], shop["location"], 12)
    replica.primary_sql("SELECT pg_sleep(0.2)")

    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        response = shop["reader"].get(ITEMS, {"sku:in": "SHIRT"})

    assert (response.status_code, on_hand(response, shop["location"])) == (200, 12)
    assert read_stock(on_replica.captured_queries) == []


def test_reads_and_writes_inside_a_transaction_stay_on_the_primary(shop):
    route = ReplicaRouter()
    reads = state.begin()
    reads.may_use_replica = True
    try:
        assert route.db_for_read(Balance) == "replica_1"
        with CaptureQueriesContext(connections["replica_1"]) as on_replica, transaction.atomic():
            assert route.db_for_read(Balance) == "default"
            set_stock(shop["item"], shop["location"], 4)
            assert Balance.objects.get(item=shop["item"]).quantity == 4
        assert read_stock(on_replica.captured_queries) == []
        assert route.db_for_write(Balance) == "default"
    finally:
        state.end()


def test_a_signed_in_user_sees_their_adjustment_on_the_history_page(shop, client):
    replica = shop["replica"]
    boss = manager(username="boss")
    other_item = ItemFactory(sku="SOCKS")
    replica.wait_until_caught_up()
    client.force_login(boss)
    replica.pause()

    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        adjust = post_adjust(
            client, location=shop["location"], rows=[("SOCKS", 6, 0)], reason="Shelf count"
        )
        history = client.get(HISTORY)

    assert adjust.status_code == 302, adjust.content
    assert Balance.objects.get(item=other_item).quantity == 6
    assert history.status_code == 200
    listed = [(line.item.sku, line.delta) for line in history.context["cl"].result_list]
    assert ("SOCKS", 6) in listed
    # Its one check of the replica found the user's adjustment not replayed yet.
    assert [q for q in on_replica.captured_queries if "inventory_" in q["sql"]] == []


def test_another_users_history_page_is_served_by_the_replica(shop, client):
    replica = shop["replica"]
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.SYSTEM,
        reason="Opening",
        lines=[LineInput(location_id=shop["location"].pk, item_id=shop["item"].pk, quantity=1)],
    )
    client.force_login(manager(username="reader"))
    replica.wait_until_caught_up()

    with CaptureQueriesContext(connections["replica_1"]) as on_replica:
        history = client.get(HISTORY)

    assert history.status_code == 200
    assert len(history.context["cl"].result_list) == 2
    assert any("inventory_adjustmentline" in q["sql"] for q in on_replica.captured_queries)
