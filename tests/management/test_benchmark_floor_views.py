"""The contention benchmark's floor: a bare view that makes exactly our write's durable work.
Held here to the same record as the endpoint, so the ratio compares like with like."""

import json

import pytest
from django.test import Client, override_settings

from inventory.api_clients import issue_token
from inventory.models import Adjustment, AdjustmentLine, ApiClient, Balance
from tests.factories import ItemFactory, LocationFactory, set_stock

pytestmark = [
    pytest.mark.postgres,  # the bare view is the fast path's statement, PostgreSQL's only
    pytest.mark.django_db,
    pytest.mark.urls("inventory.management.benchmark.urls"),
]


@pytest.fixture
def token():
    client = ApiClient(name="benchmark", scopes=list(ApiClient.Scope.values))
    secret = issue_token(client)
    client.save()
    return secret


def sale(item, location, quantity=-1):
    return json.dumps(
        {"items": [{"location_id": location.pk, "sku": item.sku, "quantity": quantity}]}
    )


def test_it_writes_what_the_endpoint_writes(token):
    location = LocationFactory()
    item = ItemFactory()
    set_stock(item, location, 5)
    client = Client(HTTP_X_AUTH_TOKEN=token)

    bare = client.post("/benchmark/bare-relative", sale(item, location), "application/json")
    ours = client.post(
        "/api/v3/inventory/adjustments/relative", sale(item, location), "application/json"
    )

    assert (bare.status_code, ours.status_code) == (200, 200)
    assert Balance.objects.get(item=item, location=location).quantity == 3
    lines = AdjustmentLine.objects.filter(item=item, adjustment__kind=Adjustment.Kind.RELATIVE)
    written = [
        (line.delta, line.quantity_after, line.adjustment.api_client_id is not None)
        for line in lines.select_related("adjustment").order_by("id")
    ]
    assert written == [(-1, 4, True), (-1, 3, True)]


def test_no_token_writes_nothing(token):
    location = LocationFactory()
    item = ItemFactory()
    set_stock(item, location, 5)

    refused = Client().post("/benchmark/bare-relative", sale(item, location), "application/json")

    assert refused.status_code == 401
    assert Balance.objects.get(item=item, location=location).quantity == 5


def test_a_sale_past_zero_is_refused_and_writes_nothing(token):
    location = LocationFactory()
    item = ItemFactory()
    set_stock(item, location, 0)

    refused = Client(HTTP_X_AUTH_TOKEN=token).post(
        "/benchmark/bare-relative", sale(item, location), "application/json"
    )

    assert refused.status_code == 422
    assert Balance.objects.get(item=item, location=location).quantity == 0


def test_the_project_does_not_serve_it(token):
    with override_settings(ROOT_URLCONF="inventory_project.urls"):
        response = Client(HTTP_X_AUTH_TOKEN=token).post(
            "/benchmark/bare-relative", "{}", "application/json"
        )
    assert response.status_code == 404
