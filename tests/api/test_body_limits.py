"""Oversized bodies are refused (413) before they are read; non-JSON bodies are 415."""

import pytest
from django.conf import settings
from django.contrib import admin
from django.test import override_settings
from django.urls import include, path
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope
from tests.api.problems import assert_problem


class Echo(APIView):
    permission_classes = [InventoryScope]

    def put(self, request):
        return Response({"received": request.data})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v3/", include("inventory.api.urls")),
    path("api/v3/test/echo", Echo.as_view()),
]
pytestmark = pytest.mark.urls(__name__)

ECHO = "/api/v3/test/echo"


class UnreadableBody:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


@pytest.fixture
def writer(api_client_factory, api):
    _, token = api_client_factory(["store_inventory"])
    return api(token)


def test_default_limit_is_5_mb_and_django_reads_no_more():
    assert settings.API_MAX_BODY_BYTES == 5 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == settings.API_MAX_BODY_BYTES


@pytest.mark.parametrize(
    "route", [ECHO, "/api/v3/inventory/adjustments/absolute", "/api/v3/no-such-route"]
)
def test_oversized_content_length_is_413_without_reading_the_body(writer, route):
    response = writer.generic(
        "PUT",
        route,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
        **{"wsgi.input": UnreadableBody()},
    )

    body = assert_problem(response, 413)
    assert "body" in body["errors"]


@override_settings(API_MAX_BODY_BYTES=100)
def test_a_body_at_the_limit_passes_and_one_byte_more_is_refused(writer):
    at_limit = b'{"a": "' + b"x" * 91 + b'"}'
    assert len(at_limit) == 100

    accepted = writer.generic("PUT", ECHO, at_limit, content_type="application/json")
    refused = writer.generic("PUT", ECHO, at_limit + b" ", content_type="application/json")

    assert accepted.status_code == 200
    assert accepted.json() == {"received": {"a": "x" * 91}}
    assert_problem(refused, 413)


def test_oversized_body_is_refused_even_without_a_token(db, api):
    response = api(None).generic(
        "PUT",
        ECHO,
        b"{}",
        content_type="application/json",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
        **{"wsgi.input": UnreadableBody()},
    )

    assert_problem(response, 413)


def test_a_chunked_body_without_content_length_is_411(writer):
    # Django's WSGI handler would read such a body as empty and the view answer a puzzling 422.
    response = writer.generic(
        "PUT",
        ECHO,
        b"",
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableBody()},
    )

    assert_problem(response, 411)


def test_the_limit_applies_only_to_the_api(admin_client):
    # The admin's own forms keep Django's handling (DATA_UPLOAD_MAX_MEMORY_SIZE).
    response = admin_client.generic(
        "GET",
        "/admin/",
        b"",
        CONTENT_LENGTH=str(settings.API_MAX_BODY_BYTES + 1),
        **{"wsgi.input": UnreadableBody()},
    )

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"sku=A&quantity=1", "application/x-www-form-urlencoded"),
        (b'{"items": []}', "text/plain"),
        (
            b"--b\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n--b--\r\n",
            "multipart/form-data; boundary=b",
        ),
        (b"<items/>", "application/xml"),
    ],
)
def test_non_json_body_is_415(writer, body, content_type):
    response = writer.generic("PUT", ECHO, body, content_type=content_type)

    assert_problem(response, 415)


def test_json_body_is_accepted(writer):
    response = writer.put(ECHO, {"items": [1]}, format="json")

    assert response.status_code == 200
    assert response.json() == {"received": {"items": [1]}}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"items": []}', "text/plain"),
        (b"items=1", "application/x-www-form-urlencoded"),
    ],
)
def test_the_absolute_adjustment_route_refuses_non_json(writer, body, content_type):
    response = writer.generic(
        "PUT", "/api/v3/inventory/adjustments/absolute", body, content_type=content_type
    )

    assert_problem(response, 415)
