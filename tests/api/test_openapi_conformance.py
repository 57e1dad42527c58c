"""Schemathesis over our own OpenAPI document: for every operation, generated requests (valid
and invalid) never get a 5xx, and every response matches what the document promises (status
code, content type, body schema). The examples per operation are bounded to keep CI quick;
the fuzzing run of issue 5 raises them."""

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings

from inventory.api.auth import issue_token
from inventory.models import ApiClient

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


# Loaded through the app itself (the schema view needs no database).
schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


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


@pytest.fixture
def token(db):
    client = ApiClient(name="fuzzer", scopes=[scope.value for scope in ApiClient.Scope])
    secret = issue_token(client)
    client.save()
    return secret


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)
@override_settings(API_RATE_LIMIT_REQUESTS=1_000_000)
def test_operation_conforms_to_the_schema(case, token):
    # Left out: positive_data_acceptance, because a schema cannot say "this SKU exists", so a
    # schema-valid line naming an unknown item is rightly refused with 422; and
    # negative_data_rejection, because like BigCommerce we ignore unknown query parameters
    # and body fields instead of refusing them.
    case.call_and_validate(
        headers={"X-Auth-Token": token},
        excluded_checks=[
            schemathesis.checks.positive_data_acceptance,
            schemathesis.checks.negative_data_rejection,
        ],
    )


def test_swagger_ui_is_served_without_a_cdn(client):
    page = client.get("/api/docs/").content.decode()

    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn.jsdelivr" not in page
    assert client.get("/api/schema/").status_code == 200
