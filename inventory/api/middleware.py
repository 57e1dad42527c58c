"""Middleware for the API's edges: bodies too large to read, and rate-limit headers on every
response of an authenticated API request, errors included; and for every page's: a NUL in the
query string."""

import json
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from inventory.api.errors import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE
from inventory.api.throttling import current
from inventory.models import ApiClient

API_PREFIX = "/api/"


class ApiBodyLimitMiddleware:
    """Refuses an API request whose declared Content-Length exceeds `API_MAX_BODY_BYTES` with
    413, before anything reads the body (DRF's parsers stream it in whole, without Django's
    DATA_UPLOAD_MAX_MEMORY_SIZE check).

    A chunked body without Content-Length is never read by Django's WSGI handler: the view
    would see an empty body and answer with a misleading 422. Such a request gets 411 instead,
    telling the client what to send."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(API_PREFIX):
            return self.get_response(request)
        if _declared_length(request) > settings.API_MAX_BODY_BYTES:
            return _problem(
                413,
                "The request body is too large.",
                {"body": f"At most {settings.API_MAX_BODY_BYTES} bytes are accepted."},
            )
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            return _problem(
                411,
                "Content-Length is required.",
                {"body": "Send the body with a Content-Length header, not chunked."},
            )
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty too


def _problem(status: int, title: str, errors: dict[str, str]) -> HttpResponse:
    # Outside DRF, so no renderer: the same problem+json body errors.problem_response builds.
    body = {"status": status, "title": title, "type": PROBLEM_TYPE, "errors": errors}
    response = HttpResponse(
        json.dumps(body, separators=(",", ":")), status=status, content_type=PROBLEM_CONTENT_TYPE
    )
    # Answered before CommonMiddleware, which would otherwise add it: the client may still be
    # sending the body it was refused, and should know where this answer ends.
    response["Content-Length"] = str(len(response.content))
    return response


class NulInQueryMiddleware:
    """Refuses a page whose query string holds the NUL character (`?sku=%00`) with 400:
    PostgreSQL cannot compare text containing it, and the admin's lists filter by what the
    query string says. The API checks its own parameters, naming them in its 422."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        names = [] if request.path_info.startswith(API_PREFIX) else _names_with_nul(request)
        if not names:
            return self.get_response(request)
        shown = ", ".join(f"“{name}”".replace("\x00", "%00") for name in names)
        return _page(
            400,
            "Not a valid address",
            f"The address holds the NUL character (%00) in {shown}, which no page accepts. "
            "Remove it and try again.",
        )


def _names_with_nul(request: HttpRequest) -> list[str]:
    if "%00" not in request.META.get("QUERY_STRING", ""):
        return []  # the query string is parsed only when it may hold one
    return [name for name, values in request.GET.lists() if "\x00" in name + "".join(values)]


def _page(status: int, title: str, message: str) -> HttpResponse:
    """A refusal outside the API: a plain page (no admin chrome: it is answered before the
    session and the user are known)."""
    body = render_to_string("request_refused.html", {"title": title, "message": message})
    response = HttpResponse(body, status=status)
    response["Content-Length"] = str(len(response.content))
    return response


class RateLimitHeadersMiddleware:
    """Adds BigCommerce's `X-Rate-Limit-*` headers to every response of a request made with a
    valid token: the numbers the throttle counted, or, when the request was refused before the
    throttle ran (a missing scope), the client's current standing without counting it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        client = getattr(request, "auth", None)  # DRF copies request.auth onto this request
        if not hasattr(request, "rate_limit") and isinstance(client, ApiClient):
            rate_limit = current(client=client)
        if rate_limit is not None:
            for name, value in rate_limit.headers().items():
                response[name] = value
        return response
