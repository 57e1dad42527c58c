"""The one check every API error answer must pass."""

from tests.api.bigcommerce.schema import assert_matches


def assert_problem(response, status: int) -> dict:
    """`response` is problem+json in BigCommerce's ErrorResponse shape with this status."""
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert_matches(body, "ErrorResponse")
    assert body["status"] == status
    return body
