"""The database goes away under a running server: the API answers 503 problem+json at once
(a read and a write alike) instead of hanging or failing with a 500, applies nothing, and comes
back by itself when the database does, without a restart.

The server reaches PostgreSQL through a proxy in the test process, which the test cuts (the
port refuses, open connections are reset) or turns into a black hole (connections are accepted
and never answered: only the connect timeout ends the wait)."""

import time
from collections.abc import Iterator

import pytest
from django.db import connection

from inventory.management.benchmark.scratch import database_url
from tests.factories import ItemFactory, LocationFactory, set_stock
from tests.reliability.client import Answer, adjust, call
from tests.reliability.proxy import TcpProxy

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

CONNECT_TIMEOUT = 2  # seconds; psycopg's minimum
FAST = 1.5  # seconds: a refused connection is answered at once (observed: < 0.3 s)
START_QUANTITY = 5


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    settings = connection.settings_dict
    if (settings.get("HOST") or "").startswith("/"):
        pytest.skip("the proxy forwards TCP; PostgreSQL is reached through a Unix socket")
    proxy = TcpProxy((settings.get("HOST") or "localhost", int(settings.get("PORT") or 5432)))
    proxy.open()
    yield proxy
    proxy.cut()


@pytest.fixture
def stock(transactional_db) -> dict:
    """One item with START_QUANTITY on hand at one location."""
    item, location = ItemFactory(), LocationFactory()
    set_stock(item, location, START_QUANTITY)
    return {"sku": item.sku, "location_id": location.pk}


@pytest.fixture
def server(gunicorn, proxy) -> str:
    """Two workers that reach the database only through the proxy; their connections persist
    between requests (DATABASE_CONN_MAX_AGE's default), so a cut leaves them holding dead ones."""
    proxied = database_url({**connection.settings_dict, "HOST": "127.0.0.1", "PORT": proxy.port})
    return gunicorn.start(
        workers=2,
        env={"DATABASE_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT)},
        database_url=proxied,
    )


def test_a_cut_database_is_a_fast_503_and_the_api_recovers_by_itself(
    server, proxy, stock, api_token, server_log
):
    _assert_working(server, api_token, stock, expected=START_QUANTITY)
    proxy.cut()
    _assert_unavailable(server, api_token, stock, within=FAST)
    proxy.open()
    _assert_working(server, api_token, stock, expected=START_QUANTITY + 4)
    _assert_logged_without_tracebacks(server_log, "OperationalError")


def test_a_database_that_never_answers_is_a_503_after_the_connect_timeout(
    server, proxy, stock, api_token, server_log
):
    _assert_working(server, api_token, stock, expected=START_QUANTITY)
    proxy.cut()  # resets the workers' open connections: they must connect again
    proxy.open(black_hole=True)
    _assert_unavailable(server, api_token, stock, within=CONNECT_TIMEOUT + FAST, repeat=1)
    proxy.cut()
    proxy.open()
    _assert_working(server, api_token, stock, expected=START_QUANTITY + 4)
    _assert_logged_without_tracebacks(server_log, "connection timeout expired")


def _assert_working(base_url: str, token: str, stock: dict, *, expected: int) -> None:
    """A read sees `expected` on hand (so writes refused meanwhile applied nothing), then a
    write succeeds, a few times over so that both workers are likely to serve some."""
    for attempt in range(4):
        answer = _read(base_url, token, stock)
        assert answer.status == 200, answer
        assert _on_hand(answer) == expected + attempt
        answer = adjust(base_url, token, "relative", [{**stock, "quantity": 1}])
        assert answer.status == 200, answer


def _assert_unavailable(
    base_url: str, token: str, stock: dict, *, within: float, repeat: int = 3
) -> None:
    """Reads, a token check and writes all answer 503 problem+json in `within` seconds."""
    for _ in range(repeat):
        for request in (
            lambda: _read(base_url, token, stock),
            lambda: call(base_url, "GET", "/api/v3/ping", token=token),
            lambda: adjust(base_url, token, "relative", [{**stock, "quantity": 1}]),
            lambda: adjust(base_url, token, "absolute", [{**stock, "quantity": 99}]),
        ):
            started = time.monotonic()
            answer = request()
            elapsed = time.monotonic() - started
            assert answer.status == 503, answer
            assert answer.content_type == "application/problem+json", answer
            assert answer.body["status"] == 503, answer
            assert "Retry-After" in answer.headers, answer
            assert elapsed < within, f"took {elapsed:.1f} s: {answer}"


def _assert_logged_without_tracebacks(log_path, cause: str) -> None:
    """The 503s name their cause in the server log, and nothing failed unexpectedly."""
    log = log_path.read_text()
    assert cause in log, log
    assert "Traceback" not in log, log


def _read(base_url: str, token: str, stock: dict) -> Answer:
    query = f"sku:in={stock['sku']}&location_id:in={stock['location_id']}"
    return call(base_url, "GET", f"/api/v3/inventory/items?{query}", token=token)


def _on_hand(answer: Answer) -> int:
    (item,) = answer.body["data"]
    (at_location,) = item["locations"]
    return at_location["total_inventory_onhand"]
