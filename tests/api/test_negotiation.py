"""The Accept header: BigCommerce's schema takes any value (defaulting to application/json) and
documents no 406, so an Accept no renderer satisfies is answered in JSON. Found by fuzzing."""

import pytest

from tests.api.problems import assert_problem

PING = "/api/v3/ping"


@pytest.mark.parametrize("accept", ["RLx", "text/html", "application/xml;q=1"])
def test_an_accept_header_nothing_satisfies_gets_json(api_client_factory, api, accept):
    _, token = api_client_factory([])

    response = api(token).get(PING, HTTP_ACCEPT=accept)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"ok": True}


def test_errors_too_are_answered_whatever_the_accept_header(db, api):
    response = api(None).get(PING, HTTP_ACCEPT="RLx")

    assert_problem(response, 401)


def test_the_schema_still_answers_in_the_format_asked(db, client):
    as_json = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    as_yaml = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")

    assert as_json["Content-Type"].startswith("application/vnd.oai.openapi+json")
    assert as_json.json()["info"]["title"] == "Stockroom API"
    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert as_yaml.content.startswith(b"openapi:")
