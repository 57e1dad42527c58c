"""The API's root and any address under it that names no endpoint answer in the API's own
shape, pointing at its documentation, with DEBUG on or off: never Django's debug page."""

import json

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("debug", [True, False])
@pytest.mark.parametrize("path", ["/api/v3/", "/api/v3", "/api/", "/api", "/api/v3/nothing"])
def test_an_address_with_no_endpoint_is_a_problem_pointing_at_the_docs(client, path, debug):
    with override_settings(DEBUG=debug):
        response = client.get(path, HTTP_ACCEPT="text/html,application/xhtml+xml")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = json.loads(response.content)
    assert body["status"] == 404
    assert body["errors"] == {}
    assert "/api/docs/" in body["title"]
