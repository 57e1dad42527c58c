"""The replica routing's decisions, with no replica running: nothing changes without
DATABASE_REPLICA_URL, and each rule of the router, the middleware and the health check."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, router, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import resolve

from inventory.models import AdjustmentLine, ApiClient, Balance, RateLimitCounter
from inventory_project.replicas import health, positions, state
from inventory_project.replicas.config import replica_databases
from inventory_project.replicas.middleware import ReplicaReadsMiddleware
from inventory_project.replicas.router import ReplicaRouter
from inventory_project.replicas.views import may_read_replica
from tests.factories import ItemFactory, LocationFactory

PRIMARY = {
    "ENGINE": "django.db.backends.postgresql",
    "NAME": "stockroom",
    "OPTIONS": {"connect_timeout": 5},
    "CONN_MAX_AGE": 60,
    "CONN_HEALTH_CHECKS": True,
}
MIDDLEWARE = "inventory_project.replicas.middleware.ReplicaReadsMiddleware"


@pytest.fixture(autouse=True)
def _fresh():
    cache.clear()
    health.forget_down_marks()
    yield
    state.end()
    cache.clear()
    health.forget_down_marks()


# --- without DATABASE_REPLICA_URL nothing is installed --------------------------------------------


def test_without_replicas_there_is_no_router_and_no_middleware():
    # (DATABASES may hold the alias of the streaming replica conftest.py starts, unused here.)
    assert django_settings.DATABASE_REPLICAS == []
    assert router.routers == []
    assert MIDDLEWARE not in django_settings.MIDDLEWARE


def test_without_replicas_a_write_then_a_read_remember_nothing(client, db):
    from inventory.api_clients import issue_token

    location, item = LocationFactory(), ItemFactory(sku="SHIRT")
    api_client = ApiClient(name="writer", scopes=["store_inventory"])
    token = issue_token(api_client)
    api_client.save()
    headers = {"HTTP_X_AUTH_TOKEN": token}
    line = {"location_id": location.pk, "sku": item.sku, "quantity": 4}

    written = client.post(
        "/api/v3/inventory/adjustments/relative",
        json.dumps({"reason": "Delivery", "items": [line]}),
        content_type="application/json",
        **headers,
    )
    read = client.get("/api/v3/inventory/items", {"sku:in": "SHIRT"}, **headers)

    assert (written.status_code, read.status_code) == (200, 200)
    (entry,) = read.json()["data"]
    (row,) = [row for row in entry["locations"] if row["location_id"] == location.pk]
    assert row["total_inventory_onhand"] == 4
    request = RequestFactory().get("/", HTTP_X_AUTH_TOKEN=token)
    assert positions.last_write(positions.client_of(request)) is None
    assert state.current() is None


# --- the setting ----------------------------------------------------------------------------------


def test_no_url_no_replica():
    assert replica_databases("", PRIMARY) == {}
    assert replica_databases(" , ", PRIMARY) == {}


def test_each_url_is_a_replica_with_the_primarys_options_reading_the_test_database_in_tests():
    replicas = replica_databases(
        "postgres://reader@db-2:5432/stockroom, postgres://reader@db-3/stockroom", PRIMARY
    )

    assert list(replicas) == ["replica_1", "replica_2"]
    first = replicas["replica_1"]
    assert (first["HOST"], first["PORT"], first["USER"]) == ("db-2", 5432, "reader")
    assert first["OPTIONS"] == {"connect_timeout": 5}
    assert first["OPTIONS"] is not PRIMARY["OPTIONS"]
    assert (first["CONN_MAX_AGE"], first["CONN_HEALTH_CHECKS"]) == (60, True)
    assert first["TEST"] == {"MIRROR": "default"}
    assert replicas["replica_2"]["HOST"] == "db-3"


@pytest.mark.parametrize(
    ("primary_engine", "url"),
    [
        ("django.db.backends.sqlite3", "postgres://db-2/stockroom"),
        ("django.db.backends.postgresql", "sqlite:///replica.sqlite3"),
    ],
)
def test_replicas_are_postgresql_replicas_of_postgresql(primary_engine, url):
    with pytest.raises(ImproperlyConfigured, match="PostgreSQL streaming replicas"):
        replica_databases(url, {**PRIMARY, "ENGINE": primary_engine})


def settings_in_a_fresh_process(**environment) -> subprocess.CompletedProcess:
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.DATABASE_REPLICAS, getattr(s, 'DATABASE_ROUTERS', []), "
        "s.MIDDLEWARE, s.DATABASES.get('replica_1')], default=str))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "inventory_project.settings",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/stockroom",
        **environment,
    }
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )


def test_settings_install_the_router_and_the_middleware_only_with_a_replica_url():
    without = settings_in_a_fresh_process(DATABASE_REPLICA_URL="")
    with_one = settings_in_a_fresh_process(DATABASE_REPLICA_URL="postgres://db-2:5433/stockroom")

    aliases, routers, middleware, alias = json.loads(without.stdout)
    assert (aliases, routers, alias) == ([], [], None)
    assert MIDDLEWARE not in middleware
    aliases, routers, middleware, alias = json.loads(with_one.stdout)
    assert aliases == ["replica_1"]
    assert routers == ["inventory_project.replicas.router.ReplicaRouter"]
    # Right after the authentication middleware: the session is there to name the client.
    auth = middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware")
    assert middleware[auth + 1] == MIDDLEWARE
    assert (alias["HOST"], alias["PORT"]) == ("db-2", 5433)


def test_a_replica_url_with_sqlite_is_refused_at_start():
    started = settings_in_a_fresh_process(
        DATABASE_URL="sqlite:///x.sqlite3", DATABASE_REPLICA_URL="postgres://db-2/stockroom"
    )

    assert started.returncode != 0
    assert "PostgreSQL streaming replicas" in started.stderr


# --- which requests may read a replica --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/api/v3/inventory/items", True),
        ("HEAD", "/api/v3/inventory/items", True),
        ("GET", "/stores/stockroom/v3/inventory/items", True),
        ("GET", "/api/v3/inventory/locations/1/items", True),
        ("GET", "/api/v3/inventory/locations", True),
        ("GET", "/api/v3/inventory/adjustments", True),
        ("GET", "/api/v3/items", True),
        ("GET", "/admin/inventory/adjustmentline/", True),
        ("GET", "/admin/inventory/adjustmentline/export.csv", True),
        ("GET", "/admin/inventory/balance/dashboard/", True),
        ("GET", "/exports/balances.csv", True),
        # Writes, and pages that are not on the list.
        ("POST", "/api/v3/inventory/adjustments/relative", False),
        ("PUT", "/api/v3/inventory/locations/1/items", False),
        ("POST", "/api/v3/inventory/locations", False),
        ("POST", "/api/v3/items", False),
        ("OPTIONS", "/api/v3/inventory/items", False),
        ("GET", "/api/v3/ping", False),
        ("GET", "/admin/inventory/balance/adjust/", False),
        ("GET", "/stocktakes/1/", False),
        ("GET", "/admin/inventory/balance/1/change/", False),
    ],
)
def test_reads_opted_in_by_url_name_and_method(method, path, allowed):
    assert may_read_replica(method, resolve(path)) is allowed


def test_no_url_match_no_replica():
    assert may_read_replica("GET", None) is False


# --- the router ---------------------------------------------------------------------------------


@pytest.fixture
def one_replica(settings, monkeypatch):
    """A replica alias the router may choose, with its health check replaced."""
    settings.DATABASE_REPLICAS = ["replica_1"]
    chosen = []

    def choose(after_lsn):
        chosen.append(after_lsn)
        return "replica_1"

    monkeypatch.setattr("inventory_project.replicas.router.choose_replica", choose)
    return chosen


def opted_in(after_lsn=None) -> state.RequestReads:
    reads = state.begin()
    reads.may_use_replica = True
    reads.after_lsn = after_lsn
    return reads


def test_outside_an_opted_in_request_every_read_is_on_the_primary(one_replica):
    route = ReplicaRouter()
    assert route.db_for_read(Balance) == "default"
    state.begin()
    assert route.db_for_read(Balance) == "default"
    assert one_replica == []


def test_an_opted_in_request_checks_once_and_keeps_its_replica(one_replica):
    route = ReplicaRouter()
    opted_in(after_lsn="0/3000060")

    assert [route.db_for_read(model) for model in (Balance, AdjustmentLine, Balance)] == [
        "replica_1"
    ] * 3
    assert one_replica == ["0/3000060"]


@pytest.mark.parametrize("model", [ApiClient, RateLimitCounter, User])
def test_tokens_rate_limits_and_accounts_are_read_on_the_primary(one_replica, model):
    opted_in()
    assert ReplicaRouter().db_for_read(model) == "default"


@pytest.mark.django_db
def test_inside_a_transaction_reads_stay_on_the_primary(one_replica):
    route = ReplicaRouter()
    opted_in()
    # pytest-django's test transaction is an atomic block of its own: leave it out of this.
    with transaction.atomic():
        assert route.db_for_read(Balance) == "default"


def test_when_no_replica_is_fit_reads_go_to_the_primary(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica_1"]
    monkeypatch.setattr("inventory_project.replicas.router.choose_replica", lambda lsn: None)
    opted_in()
    assert ReplicaRouter().db_for_read(Balance) == "default"


def test_writes_and_migrations_are_the_primarys(one_replica):
    route = ReplicaRouter()
    opted_in()
    assert route.db_for_write(Balance) == "default"
    assert route.allow_migrate("replica_1", "inventory") is False
    assert route.allow_migrate("default", "inventory") is None


def test_objects_of_the_primary_and_its_replicas_may_be_related(one_replica):
    first, second, elsewhere = Balance(), Balance(), Balance()
    first._state.db, second._state.db, elsewhere._state.db = "default", "replica_1", "other"
    route = ReplicaRouter()
    assert route.allow_relation(first, second) is True
    assert route.allow_relation(first, elsewhere) is None


# --- the health check ---------------------------------------------------------------------------


@pytest.fixture
def checked(settings, monkeypatch):
    """Replace the replica's one query by an answer `(in_recovery, caught_up, replayed_all,
    lag_seconds)` or an error; count the queries."""
    settings.DATABASE_REPLICAS = ["replica_1"]
    settings.DATABASE_REPLICA_MAX_LAG_SECONDS = 30
    answer = {"row": (True, True, True, 0.0), "calls": []}

    def check(alias, after_lsn):
        answer["calls"].append((alias, after_lsn))
        if isinstance(answer["row"], Exception):
            raise answer["row"]
        return answer["row"]

    class Closable:
        def close(self):
            answer["closed"] = True

    monkeypatch.setattr(health, "_check", check)
    monkeypatch.setattr(health, "connections", {"replica_1": Closable()})
    return answer


@pytest.mark.parametrize(
    ("row", "fit"),
    [
        ((True, True, True, 500.0), True),  # idle primary: caught up, the old replay is fine
        ((True, True, False, 10.0), True),  # replaying, within the bound
        ((True, True, False, 31.0), False),  # replaying, past the bound
        ((True, True, False, None), False),  # nothing replayed yet
        ((True, False, True, 0.0), False),  # not yet at the client's last write
        ((False, None, None, None), False),  # promoted: no longer a replica
    ],
)
def test_a_replica_is_fit_when_up_caught_up_and_within_the_lag_bound(checked, row, fit):
    checked["row"] = row
    assert health.choose_replica("0/10") == ("replica_1" if fit else None)
    assert checked["calls"] == [("replica_1", "0/10")]


def test_with_no_write_to_wait_for_any_position_will_do(checked):
    health.choose_replica(None)
    assert checked["calls"] == [("replica_1", "0/0")]


def test_a_replica_that_fails_to_answer_is_left_out_for_a_while(checked, settings, monkeypatch):
    settings.DATABASE_REPLICA_RETRY_SECONDS = 10
    clock = [1000.0]
    monkeypatch.setattr(health.time, "monotonic", lambda: clock[0])
    checked["row"] = OperationalError("connection refused")

    assert health.choose_replica(None) is None
    assert health.choose_replica(None) is None
    assert len(checked["calls"]) == 1
    assert checked["closed"]  # a broken connection is not reused
    checked["row"] = (True, True, True, 0.0)
    clock[0] += 10.5
    assert health.choose_replica(None) == "replica_1"
    assert len(checked["calls"]) == 2


def test_replicas_take_turns_and_an_unfit_one_passes_to_the_next(settings, monkeypatch):
    settings.DATABASE_REPLICAS = ["replica_1", "replica_2"]
    fit = {"replica_1": True, "replica_2": True}
    monkeypatch.setattr(health, "is_fit", lambda alias, lsn: fit[alias])

    chosen = {health.choose_replica(None) for _ in range(4)}
    fit["replica_1"] = False
    only = {health.choose_replica(None) for _ in range(4)}

    assert chosen == {"replica_1", "replica_2"}
    assert only == {"replica_2"}


# --- the middleware -----------------------------------------------------------------------------


@pytest.fixture
def middleware(monkeypatch, settings):
    settings.DATABASE_REPLICAS = ["replica_1"]
    settings.DATABASE_REPLICA_STICKY_SECONDS = 120
    monkeypatch.setattr(positions, "_primary_position", lambda: "0/5000AB0")
    seen = []

    def view(request):
        seen.append(state.current())
        return HttpResponse("ok")

    handler = ReplicaReadsMiddleware(view)
    handler.seen = seen
    return handler


def _through(handler, request):
    # process_view runs inside __call__ in Django's handler: begin, then opt in, then the view.
    original = handler.get_response

    def with_view_step(request):
        handler.process_view(request, None, (), {})
        return original(request)

    handler.get_response = with_view_step
    try:
        return handler(request)
    finally:
        handler.get_response = original


def test_a_write_remembers_the_primarys_position_for_its_token(middleware):
    factory = RequestFactory()
    write = factory.post("/api/v3/inventory/adjustments/relative", HTTP_X_AUTH_TOKEN="ab.cd")
    write.resolver_match = resolve(write.path)
    _through(middleware, write)
    read = factory.get("/api/v3/inventory/items", HTTP_X_AUTH_TOKEN="ab.cd")
    read.resolver_match = resolve(read.path)
    _through(middleware, read)
    stranger = factory.get("/api/v3/inventory/items", HTTP_X_AUTH_TOKEN="ef.gh")
    stranger.resolver_match = resolve(stranger.path)
    _through(middleware, stranger)

    write_state, read_state, stranger_state = middleware.seen
    assert not write_state.may_use_replica
    assert (read_state.may_use_replica, read_state.after_lsn) == (True, "0/5000AB0")
    assert (stranger_state.may_use_replica, stranger_state.after_lsn) == (True, None)


def test_a_refused_or_anonymous_write_and_reads_remember_nothing_for_others(middleware):
    factory = RequestFactory()
    anonymous = factory.post("/api/v3/inventory/adjustments/relative")
    anonymous.resolver_match = resolve(anonymous.path)
    _through(middleware, anonymous)
    read = factory.get("/api/v3/inventory/items", HTTP_X_AUTH_TOKEN="ab.cd")
    read.resolver_match = resolve(read.path)
    _through(middleware, read)

    assert positions.last_write(positions.client_of(read)) is None


@pytest.mark.django_db
def test_a_request_finished_forgets_its_decisions(middleware):
    from django.core.signals import request_finished

    request = RequestFactory().get("/api/v3/inventory/items")
    request.resolver_match = resolve(request.path)
    _through(middleware, request)
    assert state.current() is not None
    request_finished.send(sender=None)
    assert state.current() is None


# --- who the client is --------------------------------------------------------------------------


def test_the_client_is_the_token_however_sent_else_the_signed_in_user():
    factory = RequestFactory()
    header = factory.get("/", HTTP_X_AUTH_TOKEN="ab.secret")
    bearer = factory.get("/", HTTP_AUTHORIZATION="Bearer ab.secret")
    query = factory.get("/", {"token": "ab.secret"})
    other = factory.get("/", HTTP_X_AUTH_TOKEN="ab.other")
    signed_in = factory.get("/")
    signed_in.session = {SESSION_KEY: "42"}
    anonymous = factory.get("/")
    anonymous.session = {}

    token = positions.client_of(header)
    assert token.startswith("token:")
    assert "secret" not in token
    assert positions.client_of(bearer) == positions.client_of(query) == token
    assert positions.client_of(other) != token
    assert positions.client_of(signed_in) == "user:42"
    assert positions.client_of(anonymous) is None


# --- check --deploy -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replicas", "backend", "warned"),
    [
        (["replica_1"], "django.core.cache.backends.locmem.LocMemCache", True),
        (["replica_1"], "django.core.cache.backends.redis.RedisCache", False),
        ([], "django.core.cache.backends.locmem.LocMemCache", False),
    ],
)
def test_deploy_check_warns_when_positions_are_not_shared_by_the_workers(
    settings, replicas, backend, warned
):
    from inventory.checks import replica_positions_shared

    settings.DATABASE_REPLICAS = replicas
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/0"}}

    messages = replica_positions_shared(None)

    assert [message.id for message in messages] == (["inventory.W002"] if warned else [])
