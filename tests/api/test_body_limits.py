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
    path("api/v3/", include("inventory.api.bigcommerce.urls")),
    path("api/v3/test/echo", Echo.as_view()),
    path("stocktakes/", include("inventory.stocktakes.urls")),
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


# --- pages outside the API ----------------------------------------------------------------------

MB = 1024 * 1024
LOGIN = "/admin/login/"
UPLOAD = "/stocktakes/1/upload/"


def test_each_page_has_a_limit_that_fits_its_form():
    assert settings.MAX_BODY_BYTES_BY_VIEW == {
        "admin:login": 16 * 1024,
        "stocktakes:upload": 5 * MB,
    }
    assert settings.FORM_MAX_BODY_BYTES == 1 * MB


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (LOGIN, 16 * 1024),
        (UPLOAD, 5 * MB),
        ("/admin/inventory/item/add/", 1 * MB),
        ("/stocktakes/", 1 * MB),
        ("/no-such-page/", 16 * 1024),  # no page there takes a body at all
    ],
)
def test_an_anonymous_oversized_multipart_post_is_a_plain_413_without_reading_it(
    client, db, path, limit
):
    # The attack: 150 MB to the sign-in page or a stocktake upload, read in full and spooled
    # to disk (the CSRF check parses the multipart body before anything else).
    for declared in (limit + 1, 150 * MB):
        response = client.generic(
            "POST",
            path,
            b"",
            content_type="multipart/form-data; boundary=x",
            CONTENT_LENGTH=str(declared),
            **{"wsgi.input": UnreadableBody()},
        )

        assert response.status_code == 413
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response["Content-Length"] == str(len(response.content))
        page = response.content.decode()
        assert "Too large to send" in page
        assert "Nothing was saved" in page


@pytest.mark.parametrize(("path", "limit"), [(UPLOAD, 5 * MB), ("/stocktakes/", 1 * MB)])
def test_at_its_limit_a_page_answers_for_itself(client, db, path, limit):
    response = client.generic(
        "POST",
        path,
        b"",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(limit),
        **{"wsgi.input": UnreadableBody()},
    )

    assert response.status_code == 302  # to the sign-in page, the body unread
    assert response["Location"].startswith("/admin/login/")


def test_the_sign_in_page_at_its_limit_reads_the_form(client, db):
    # A sign-in form padded to exactly the limit is read and answered by the page itself.
    data = b"username=someone&password=wrong&next=/admin/&pad="
    data += b"x" * (16 * 1024 - len(data))

    response = client.generic("POST", LOGIN, data, content_type="application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "Please enter the correct username and password" in response.content.decode()


def test_a_get_with_a_declared_body_is_refused_like_a_post(admin_client):
    response = admin_client.generic(
        "GET",
        "/admin/",
        b"",
        CONTENT_LENGTH=str(settings.FORM_MAX_BODY_BYTES + 1),
        **{"wsgi.input": UnreadableBody()},
    )

    assert response.status_code == 413


def test_a_chunked_body_to_a_page_is_a_plain_411(client, db):
    response = client.generic(
        "POST",
        LOGIN,
        b"",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": UnreadableBody()},
    )

    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()


@override_settings(FORM_MAX_BODY_BYTES=1000, MAX_BODY_BYTES_BY_VIEW={"admin:login": 500})
def test_the_limits_come_from_the_settings(client, db):
    def post(path, size):
        return client.generic(
            "POST",
            path,
            b"",
            content_type="application/x-www-form-urlencoded",
            CONTENT_LENGTH=str(size),
            **{"wsgi.input": UnreadableBody()},
        ).status_code

    assert post(LOGIN, 501) == 413
    assert post("/stocktakes/", 1001) == 413


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
