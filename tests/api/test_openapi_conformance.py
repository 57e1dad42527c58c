"""Schemathesis over our own OpenAPI document: for every operation, generated requests (valid
and invalid) never get a 5xx, and every response matches what the document promises (status
code, content type, body schema).

The quick run (`SCHEMATHESIS_EXAMPLES` per operation, default 15) is part of every test run.
The fuzzing run (marker `fuzz`, deselected by default; `pytest -m fuzz`, once per CI run on
PostgreSQL) sends many more random examples per operation
(`SCHEMATHESIS_FUZZ_EXAMPLES`, default 150), then runs sequences that follow the links
Schemathesis infers from the document (history → one adjustment, stock → one location's stock
and its settings, catalog → upsert) over real stock (`SCHEMATHESIS_STATEFUL_EXAMPLES`, 100)."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings

from inventory.api_clients import issue_token
from inventory.models import ApiClient
from tests.factories import ItemFactory, LocationFactory, set_stock

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
FUZZ_EXAMPLES = int(os.environ.get("SCHEMATHESIS_FUZZ_EXAMPLES", "150"))
STATEFUL_EXAMPLES = int(os.environ.get("SCHEMATHESIS_STATEFUL_EXAMPLES", "100"))

# Left out: positive_data_acceptance, because a schema cannot say "this SKU exists", so a
# schema-valid line naming an unknown item is rightly refused with 422; and
# negative_data_rejection, because like BigCommerce we ignore unknown query parameters and
# body fields instead of refusing them.
EXCLUDED_CHECKS = ["positive_data_acceptance", "negative_data_rejection"]


def load_schema():
    # Through the app itself (the schema view needs no database).
    loaded = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
    loaded.config.checks.update(excluded_check_names=EXCLUDED_CHECKS)
    return loaded


schema = load_schema()
# The fuzzing run leaves the deterministic phases (the same coverage cases every time) to the
# quick run and spends its time on random examples and linked sequences.
fuzz_schema = load_schema()
fuzz_schema.config.phases.update(phases=["fuzzing", "stateful"])


def hypothesis_settings(examples: int, **kwargs) -> settings:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
        ],
        **kwargs,
    )


# Every request of these tests counts against one client's rate limit.
unlimited = override_settings(API_RATE_LIMIT_REQUESTS=1_000_000)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    # Schemathesis calls the WSGI app directly, and Django closes "old" connections at every
    # request's start and end: that would close the test's own transaction. Django's test
    # client disconnects these signals for the same reason.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@fuzz_schema.auth(refresh_interval=None)  # asked for every request: each test has its own client
class FuzzerToken:
    """The fuzzing run's requests carry the token of the test's API client as auth that
    Schemathesis knows is valid, so that its checks also try them without it, and so that it
    reaches the linked requests of the state machine too. (Schemathesis generates the quick
    run's coverage cases before any fixture runs: those pass the token explicitly.)"""

    current: str | None = None  # set by the `token` fixture

    def get(self, case, context):
        return FuzzerToken.current

    def set(self, case, token, context):
        case.headers = {**(case.headers or {}), "X-Auth-Token": token}


@pytest.fixture
def token(db):
    """An API client with every scope, whose token FuzzerToken sends."""
    client = ApiClient(name="fuzzer", scopes=[scope.value for scope in ApiClient.Scope])
    FuzzerToken.current = issue_token(client)
    client.save()
    yield FuzzerToken.current
    FuzzerToken.current = None


@schema.parametrize()
@hypothesis_settings(EXAMPLES)
@unlimited
def test_operation_conforms_to_the_schema(case, token):
    case.call_and_validate(headers={"X-Auth-Token": token})


@pytest.mark.fuzz
@fuzz_schema.parametrize()
@hypothesis_settings(FUZZ_EXAMPLES)
@unlimited
def test_operation_conforms_to_the_schema_under_fuzzing(case, token):
    case.call_and_validate()


@pytest.fixture
def stock(db):
    """Items with stock at a few locations, so the links lead to things that exist."""
    locations = LocationFactory.create_batch(2)
    for item in ItemFactory.create_batch(3):
        for quantity, location in enumerate(locations, start=4):
            set_stock(item, location, quantity)


class LinkedOperations(fuzz_schema.as_state_machine()):
    """Schemathesis' linked sequences, each scenario from the same database: a savepoint taken
    at its start is rolled back at its end. Hypothesis replays a scenario to shrink a failure,
    and the replay must meet the data the first run met; over a database that kept every earlier
    scenario's writes it need not (a bundle of links full the first time is empty the next), and
    Hypothesis then fails the test as "inconsistent data generation"."""

    def setup(self) -> None:
        self.savepoint = transaction.savepoint()

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)


@pytest.mark.fuzz
@unlimited
def test_linked_operations_conform_to_the_schema(token, stock):
    LinkedOperations.run(settings=hypothesis_settings(STATEFUL_EXAMPLES, stateful_step_count=10))


def test_swagger_ui_is_served_without_a_cdn(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn.jsdelivr" not in page
    assert client.get("/api/schema/").status_code == 200
