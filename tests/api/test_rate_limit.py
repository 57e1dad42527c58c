"""Per-client rate limits in a fixed window, with BigCommerce's headers, counted atomically in a
store every process shares (the database by default, or Redis); bad tokens are counted per
address. tests/reliability/test_shared_rate_limit.py runs two server processes on one quota."""

import socket
import threading
from types import SimpleNamespace

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings
from django.urls import include, path
from rest_framework.views import APIView

from inventory.api import throttling
from inventory.api.auth import InventoryScope
from inventory.api.errors import PROBLEM_CONTENT_TYPE
from inventory.models import RateLimitCounter
from inventory_project.settings import cache_from_url


class ScopedProbe(APIView):
    permission_classes = [InventoryScope]

    def get(self, request):
        from rest_framework.response import Response

        return Response({})


urlpatterns = [
    path("api/v3/", include("inventory.api.bigcommerce.urls")),
    path("api/v3/test/scoped", ScopedProbe.as_view()),
    path("api/zettle/", include("inventory.api.zettle.urls")),
]
pytestmark = pytest.mark.urls(__name__)

PING = "/api/v3/ping"
ZETTLE_LOCATIONS = "/api/zettle/organizations/self/locations"
HEADERS = [
    "X-Rate-Limit-Time-Window-Ms",
    "X-Rate-Limit-Time-Reset-Ms",
    "X-Rate-Limit-Requests-Quota",
    "X-Rate-Limit-Requests-Left",
]


def left(response) -> int:
    return int(response["X-Rate-Limit-Requests-Left"])


@override_settings(API_RATE_LIMIT_REQUESTS=450, API_RATE_LIMIT_WINDOW_SECONDS=30)
def test_headers_present_and_counting_down(api_client_factory, api):
    _, token = api_client_factory([])
    client = api(token)

    responses = [client.get(PING) for _ in range(3)]

    for response in responses:
        assert all(name in response for name in HEADERS)
        assert response["X-Rate-Limit-Time-Window-Ms"] == "30000"
        assert response["X-Rate-Limit-Requests-Quota"] == "450"
        assert 0 < int(response["X-Rate-Limit-Time-Reset-Ms"]) <= 30000
    assert [left(r) for r in responses] == [449, 448, 447]


@override_settings(API_RATE_LIMIT_REQUESTS=3, API_RATE_LIMIT_WINDOW_SECONDS=10)
def test_over_the_quota_is_429_problem_with_retry_after(api_client_factory, api):
    _, token = api_client_factory([])
    client = api(token)

    allowed = [client.get(PING) for _ in range(3)]
    refused = client.get(PING)

    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [left(r) for r in allowed] == [2, 1, 0]
    assert refused.status_code == 429
    assert refused["Content-Type"] == PROBLEM_CONTENT_TYPE
    body = refused.json()
    assert body["status"] == 429
    assert set(body) == {"status", "title", "type", "errors"}
    assert 1 <= int(refused["X-Retry-After"]) <= 10
    assert left(refused) == 0
    assert all(name in refused for name in HEADERS)


@override_settings(API_RATE_LIMIT_REQUESTS=2)
def test_clients_have_separate_quotas(api_client_factory, api):
    _, first = api_client_factory([], name="first")
    _, second = api_client_factory([], name="second")
    for _ in range(2):
        api(first).get(PING)

    assert api(first).get(PING).status_code == 429
    response = api(second).get(PING)
    assert response.status_code == 200
    assert left(response) == 1


@override_settings(API_RATE_LIMIT_REQUESTS=2, API_RATE_LIMIT_WINDOW_SECONDS=30)
def test_a_new_window_starts_a_new_count(api_client_factory, api, monkeypatch):
    _, token = api_client_factory([])
    clock = SimpleNamespace(time=lambda: 1_000_010.0)  # 20 s into a 30 s window
    monkeypatch.setattr(throttling, "time", clock)
    for _ in range(2):
        api(token).get(PING)
    refused = api(token).get(PING)
    assert refused.status_code == 429
    assert refused["X-Rate-Limit-Time-Reset-Ms"] == "10000"
    assert refused["X-Retry-After"] == "10"

    clock.time = lambda: 1_000_020.5  # 0.5 s into the next one

    response = api(token).get(PING)
    assert response.status_code == 200
    assert left(response) == 1
    assert response["X-Rate-Limit-Time-Reset-Ms"] == "29500"


def test_no_headers_without_a_valid_token(db, api):
    response = api("nope.nope").get(PING)

    assert response.status_code == 401
    assert not any(name in response for name in HEADERS)


@override_settings(API_RATE_LIMIT_REQUESTS=3)
def test_requests_refused_for_a_missing_scope_are_counted(api_client_factory, api, monkeypatch):
    # One moment for every request: a window that ended between two of them would start the
    # count again (a fixed window, aligned to the clock) and make this test fail by chance.
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 1_000_010.0))
    _, token = api_client_factory([])
    api(token).get(PING)

    refused = [api(token).get("/api/v3/test/scoped") for _ in range(3)]

    assert [r.status_code for r in refused] == [403, 403, 429]
    assert all(r["X-Rate-Limit-Requests-Quota"] == "3" for r in refused)
    assert [left(r) for r in refused] == [1, 0, 0]
    assert api(token).get(PING).status_code == 429


@override_settings(API_RATE_LIMIT_REQUESTS=3, API_RATE_LIMIT_WINDOW_SECONDS=30)
def test_bad_tokens_are_counted_per_address(api_client_factory, api):
    _, token = api_client_factory([])
    guesses = [api(f"guess{n}.secret{n}").get(PING) for n in range(4)]
    bearer = api().get(ZETTLE_LOCATIONS, HTTP_AUTHORIZATION="Bearer guess.again")
    elsewhere = api("guess.secret").get(PING, REMOTE_ADDR="192.0.2.7")

    assert [r.status_code for r in guesses] == [401, 401, 401, 429]
    assert guesses[-1]["Content-Type"] == PROBLEM_CONTENT_TYPE
    assert 1 <= int(guesses[-1]["X-Retry-After"]) <= 30
    assert bearer.status_code == 429  # the vendor routes count them in the same place
    assert elsewhere.status_code == 401  # another address has its own count
    # A valid token is counted against its client, not the address.
    assert api(token).get(PING).status_code == 200


def _count_concurrently(*, bucket: str, threads: int, each: int) -> list[int]:
    seen: list[int] = []
    lock = threading.Lock()

    def work():
        try:
            counts = [throttling.count_request(bucket).used for _ in range(each)]
        finally:
            connection.close()  # each thread's own database connection
        with lock:
            seen.extend(counts)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return seen


@override_settings(API_RATE_LIMIT_WINDOW_SECONDS=3600, API_RATE_LIMIT_STORE="cache")
def test_concurrent_requests_lose_no_count():
    seen = _count_concurrently(bucket="client:1000000000", threads=8, each=50)

    assert sorted(seen) == list(range(1, 401))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@override_settings(API_RATE_LIMIT_WINDOW_SECONDS=3600, API_RATE_LIMIT_STORE="database")
def test_concurrent_requests_lose_no_count_in_the_database():
    seen = _count_concurrently(bucket="client:1000000000", threads=8, each=50)

    assert sorted(seen) == list(range(1, 401))
    assert RateLimitCounter.objects.get().used == 400


@pytest.mark.django_db
@override_settings(API_RATE_LIMIT_WINDOW_SECONDS=30, API_RATE_LIMIT_STORE="database")
def test_the_database_keeps_only_current_windows(monkeypatch):
    clock = SimpleNamespace(time=lambda: 1_000_010.0)
    monkeypatch.setattr(throttling, "time", clock)
    for bucket in ("client:1", "client:1", "client:2"):
        throttling.count_request(bucket)
    assert sorted(RateLimitCounter.objects.values_list("used", flat=True)) == [1, 2]

    clock.time = lambda: 1_000_020.5  # the next window
    assert throttling.count_request("client:1").used == 1

    assert list(RateLimitCounter.objects.values_list("used", flat=True)) == [1]


def _redis_running() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _redis_running(), reason="needs Redis on 127.0.0.1:6379")
def test_concurrent_requests_lose_no_count_in_redis():
    # Counters expire with their window; the random id keeps runs apart, so nothing is flushed.
    # The window is long so that the test does not straddle two of them (windows start on the
    # clock: with 5 s, a slow run sometimes counted 1, 2, … again in the next window).
    import secrets

    redis = cache_from_url("redis://127.0.0.1:6379/0")
    with override_settings(
        CACHES={"default": {**redis, "KEY_PREFIX": "stockroom-test"}},
        API_RATE_LIMIT_WINDOW_SECONDS=3600,
        API_RATE_LIMIT_STORE="cache",
    ):
        bucket = f"client:{secrets.randbelow(10**12) + 10**12}"
        seen = _count_concurrently(bucket=bucket, threads=8, each=25)

    assert sorted(seen) == list(range(1, 201))


def test_an_unreachable_cache_does_not_take_the_api_down(api_client_factory, api):
    _, token = api_client_factory([])
    down = cache_from_url("redis://127.0.0.1:1/0")

    with override_settings(CACHES={"default": down}, API_RATE_LIMIT_STORE="cache"):
        response = api(token).get(PING)

    assert response.status_code == 200
    assert "X-Rate-Limit-Requests-Left" not in response


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache", ""),
        (
            "redis://127.0.0.1:6379/1",
            "django.core.cache.backends.redis.RedisCache",
            "redis://127.0.0.1:6379/1",
        ),
        ("db://stockroom_cache", "django.core.cache.backends.db.DatabaseCache", "stockroom_cache"),
    ],
)
def test_cache_url(url, backend, location):
    assert cache_from_url(url) == {"BACKEND": backend, "LOCATION": location}


@pytest.mark.parametrize("url", ["redis", "memcached://127.0.0.1", "db://", ""])
def test_bad_cache_url(url):
    with pytest.raises(ImproperlyConfigured):
        cache_from_url(url)
