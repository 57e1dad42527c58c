"""BigCommerce's own Python client (`bigcommerce` on PyPI) against a live Stockroom over HTTPS,
configured as its README says for V3 with only the host changed: OAuthConnection(client_id,
store_hash, access_token, host=…, api_path="/stores/{}/v3/{}").

The client builds `https://<host>/stores/<hash>/v3/<path>` itself and verifies certificates
through requests, so the server speaks TLS with a certificate from a throwaway CA (trustme, no
network) and requests trusts that CA through REQUESTS_CA_BUNDLE, which it reads from the
environment. Its host setting takes `host:port` as it is (it is pasted into the URL), which
is how it reaches the test server's port."""

import contextlib
import socket
import ssl

import pytest
import trustme
from bigcommerce.connection import OAuthConnection
from bigcommerce.exception import ClientRequestException
from django.conf import settings
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.servers.basehttp import ThreadedWSGIServer
from django.db import connections
from django.test.testcases import LiveServerThread, QuietWSGIRequestHandler

from inventory.models import Adjustment, AdjustmentLine, Balance
from locations.models import Location
from tests.api.bigcommerce.schema import assert_matches
from tests.factories import ItemFactory, LocationFactory, set_stock

V3_API_PATH = "/stores/{}/v3/{}"  # the client's README, "Accessing V3 API endpoints"
HOST = "localhost"


class TLSServer(ThreadedWSGIServer):
    """Django's threaded test server, over TLS. Its request threads are joined when it closes,
    so none still uses the shared database connection after the test; a connection a client
    keeps alive is cut then, or its thread would wait for a next request forever."""

    daemon_threads = False

    def __init__(self, *args, ssl_context: ssl.SSLContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.socket = ssl_context.wrap_socket(self.socket, server_side=True)
        self.open_connections: set[socket.socket] = set()

    def process_request(self, request, client_address):
        self.open_connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        self.open_connections.discard(request)
        super().shutdown_request(request)

    def server_close(self):
        for connection in list(self.open_connections):
            # The TCP socket's shutdown, not TLS's: the waiting thread reads a plain end of
            # stream and finishes as after any client that hung up.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(connection, socket.SHUT_RDWR)
        super().server_close()


class TLSLiveServerThread(LiveServerThread):
    def __init__(self, *args, ssl_context: ssl.SSLContext, **kwargs):
        super().__init__(*args, **kwargs)
        self.ssl_context = ssl_context

    def _create_server(self, connections_override=None):
        return TLSServer(
            (self.host, self.port),
            QuietWSGIRequestHandler,
            allow_reuse_address=False,
            connections_override=connections_override,
            ssl_context=self.ssl_context,
        )


@pytest.fixture
def https_host(transactional_db, tmp_path, monkeypatch):
    """`localhost:<port>` of a live server speaking HTTPS, trusted by requests for this test."""
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(HOST, "127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    monkeypatch.setenv("NO_PROXY", HOST)
    # As pytest-django's live_server does: an in-memory SQLite database is one connection,
    # shared with the server's threads.
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    thread = TLSLiveServerThread(
        HOST, StaticFilesHandler, connections_override=shared, ssl_context=context
    )
    thread.daemon = True
    for conn in shared.values():
        conn.inc_thread_sharing()
    thread.start()
    thread.is_ready.wait()
    try:
        if thread.error:
            raise thread.error
        yield f"{HOST}:{thread.port}"
    finally:
        thread.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@pytest.fixture
def shop(transactional_db):
    north, south = LocationFactory(code="NORTH"), LocationFactory(code="SOUTH")
    shirt, mug = ItemFactory(sku="SHIRT"), ItemFactory(sku="MUG")
    set_stock(shirt, north, 11)
    set_stock(mug, south, 4)
    return {"north": north, "south": south, "shirt": shirt, "mug": mug}


@pytest.fixture
def connect(https_host, api_client_factory):
    """`connect(store_hash=STORE_HASH)`: the client as a partner constructs it, with a token
    that may change inventory and locations. `.api_client` is its ApiClient."""
    client, token = api_client_factory(["store_inventory", "store_locations"])

    def make(store_hash: str = settings.STORE_HASH) -> OAuthConnection:
        connection = OAuthConnection(
            client_id="partner-app",
            store_hash=store_hash,
            access_token=token,
            host=https_host,
            api_path=V3_API_PATH,
        )
        connection.api_client = client
        return connection

    return make


def at(item_row: dict, location: Location) -> dict:
    (row,) = [row for row in item_row["locations"] if row["location_id"] == location.pk]
    return row


def snapshot():
    return (
        sorted(Balance.objects.values_list("item_id", "location_id", "quantity")),
        sorted(Location.objects.values_list("id", "code")),
        Adjustment.objects.count(),
        AdjustmentLine.objects.count(),
    )


def test_absolute_and_relative_adjustments_then_items_by_sku(connect, shop):
    bigcommerce = connect()
    north, south = shop["north"], shop["south"]

    absolute = bigcommerce.put(
        "inventory/adjustments/absolute",
        {
            "reason": "Stocktake",
            "items": [
                {"location_id": north.pk, "sku": "SHIRT", "quantity": 25},
                {"location_id": south.pk, "sku": "MUG", "quantity": 9},
            ],
        },
    )
    relative = bigcommerce.post(
        "inventory/adjustments/relative",
        {"reason": "Sale", "items": [{"location_id": north.pk, "sku": "SHIRT", "quantity": -3}]},
    )
    items = bigcommerce.get("inventory/items", **{"sku:in": "SHIRT,MUG"})

    assert_matches(absolute, "SimpleTransactionResponse")
    assert_matches(relative, "SimpleTransactionResponse")
    made = Adjustment.objects.filter(
        transaction_id__in=[absolute["transaction_id"], relative["transaction_id"]]
    )
    assert {(a.kind, a.api_client) for a in made} == {
        (Adjustment.Kind.ABSOLUTE, bigcommerce.api_client),
        (Adjustment.Kind.RELATIVE, bigcommerce.api_client),
    }
    for entry in items["data"]:
        assert_matches(entry, "ItemResponse")
    assert_matches(items["meta"], "Meta")
    by_sku = {entry["identity"]["sku"]: entry for entry in items["data"]}
    assert sorted(by_sku) == ["MUG", "SHIRT"]
    assert at(by_sku["SHIRT"], north)["total_inventory_onhand"] == 22
    assert at(by_sku["MUG"], south)["total_inventory_onhand"] == 9
    # The client read BigCommerce's rate-limit headers off our answers.
    assert bigcommerce.rate_limit["requests_quota"] == settings.API_RATE_LIMIT_REQUESTS


def test_locations_are_created_and_read_back(connect, shop):
    bigcommerce = connect()
    kiosk = {
        "code": "KIOSK",
        "label": "Airport kiosk",
        "type_id": "VIRTUAL",
        "managed_by_external_source": False,
        "time_zone": "Europe/Berlin",
    }

    created = bigcommerce.post("inventory/locations", [kiosk])
    listed = bigcommerce.get("inventory/locations", **{"location_code:in": "KIOSK,NORTH"})

    assert_matches(created, "SimpleTransactionResponse", "locations")
    for location in listed["data"]:
        assert_matches(location, "LocationResponse", "locations")
    assert_matches(listed["meta"], "Meta", "locations")
    assert sorted(row["code"] for row in listed["data"]) == ["KIOSK", "NORTH"]
    kiosk_row = next(row for row in listed["data"] if row["code"] == "KIOSK")
    assert kiosk_row["id"] == Location.objects.get(code="KIOSK").pk
    assert kiosk_row["label"] == "Airport kiosk"


def test_a_refusal_reaches_the_client_as_bigcommerce_error_and_changes_nothing(connect, shop):
    bigcommerce = connect()
    before = snapshot()
    line = {"location_id": shop["north"].pk, "sku": "SHIRT", "quantity": -12}

    with pytest.raises(ClientRequestException) as refused:
        bigcommerce.post("inventory/adjustments/relative", {"reason": "Sale", "items": [line]})

    answer = refused.value.response
    assert answer.status_code == 422
    assert answer.headers["Content-Type"] == "application/problem+json"
    assert_matches(answer.json(), "ErrorResponse")
    assert list(answer.json()["errors"]) == ["items.0.quantity"]
    assert snapshot() == before


def test_another_store_hash_is_refused_with_bigcommerce_404(connect, shop):
    elsewhere = connect(store_hash="abc123")
    before = snapshot()
    line = {"location_id": shop["north"].pk, "sku": "SHIRT", "quantity": 5}

    with pytest.raises(ClientRequestException) as refused:
        elsewhere.put("inventory/adjustments/absolute", {"reason": "Count", "items": [line]})

    answer = refused.value.response
    assert answer.status_code == 404
    assert_matches(answer.json(), "ErrorResponse")
    assert answer.json()["errors"] == {"store_hash": "No store with this hash."}
    assert snapshot() == before
