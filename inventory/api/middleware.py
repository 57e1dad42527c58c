"""Middleware at the edges of requests: bodies too large to read and NUL in query strings on
every route (they began as the API's own and now guard every page, answering the API in its
surface's error shape and the pages in plain HTML), 404s under the API in JSON, and
rate-limit headers on every response of an authenticated API request, errors included."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve

from inventory.api.paths import is_api_path
from inventory.api.surfaces import surface_of


class BodyLimitMiddleware:
    """Refuses a request whose declared Content-Length exceeds its route's limit with 413,
    before anything reads the body: DRF's parsers stream a body in whole, and Django's
    multipart parser (which the CSRF check runs, for anonymous requests too) spools every
    uploaded file to disk. The limits: `API_MAX_BODY_BYTES` for the API (is_api_path), the
    page's entry in `MAX_BODY_BYTES_BY_VIEW` (by URL name: the sign-in form, the stocktake CSV
    upload), else `FORM_MAX_BODY_BYTES`. Each is above what its form needs, so a form's own
    check speaks first (a 3 MB CSV file is told "at most 2 MB").

    A chunked body without Content-Length is never read by Django's WSGI handler: the view
    would see an empty body and answer with a misleading 422. Such a request gets 411 instead,
    telling the client what to send."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        declared = _declared_length(request)
        if declared > _smallest_limit():
            limit = _limit(request)
            if declared > limit:
                return _too_large(request, declared, limit)
        if "HTTP_TRANSFER_ENCODING" in request.META and not request.META.get("CONTENT_LENGTH"):
            return _refusal(
                request,
                411,
                "Content-Length is required.",
                "Send the body with a Content-Length header, not chunked.",
            )
        return self.get_response(request)


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0  # Django reads such a body as empty too


def _smallest_limit() -> int:
    """No route takes less: a body this small passes without looking its route up."""
    by_view = settings.MAX_BODY_BYTES_BY_VIEW.values()
    return min(settings.API_MAX_BODY_BYTES, settings.FORM_MAX_BODY_BYTES, *by_view)


def _limit(request: HttpRequest) -> int:
    if is_api_path(request.path_info):
        return settings.API_MAX_BODY_BYTES
    try:
        view_name = resolve(request.path_info, getattr(request, "urlconf", None)).view_name
    except Resolver404:
        return _smallest_limit()  # no page here to take a body
    return settings.MAX_BODY_BYTES_BY_VIEW.get(view_name, settings.FORM_MAX_BODY_BYTES)


def _too_large(request: HttpRequest, declared: int, limit: int) -> HttpResponse:
    if surface := surface_of(request.path_info):
        errors = {"body": f"At most {limit} bytes are accepted."}
        return surface.refuse(413, "The request body is too large.", errors)
    return _page(
        413,
        "Too large to send",
        f"This page takes at most {filesizeformat(limit)} at a time, and this was "
        f"{filesizeformat(declared)}. Nothing was saved: go back and send less, such as a "
        "smaller file.",
    )


class NulInQueryMiddleware:
    """Refuses a page whose query string holds the NUL character (`?sku=%00`) with 400:
    PostgreSQL cannot compare text containing it, and the admin's lists filter by what the
    query string says. The API checks its own parameters, naming them in its 422."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        names = [] if is_api_path(request.path_info) else _names_with_nul(request)
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


def _refusal(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if surface := surface_of(request.path_info):
        return surface.refuse(status, title, {"body": message})
    return _page(status, title, message)


def _page(status: int, title: str, message: str) -> HttpResponse:
    """A refusal outside the API: a plain page (no admin chrome: it is answered before the
    session and the user are known)."""
    body = render_to_string("request_refused.html", {"title": title, "message": message})
    return _with_length(HttpResponse(body, status=status))


def _with_length(response: HttpResponse) -> HttpResponse:
    # Answered before CommonMiddleware, which would otherwise add it: the client may still be
    # sending the body it was refused, and should know where this answer ends.
    response["Content-Length"] = str(len(response.content))
    return response


class ApiNotFoundMiddleware:
    """Answers a 404 under an API surface in that surface's shape when Django answered it with
    an HTML page: with DEBUG on, Django shows its debug page for a path that names no route
    (or a plain view's Http404) and never calls handler404, which does the same with DEBUG off.
    The API's own views answer their 404s in JSON and pass untouched, as do the OpenAPI pages,
    which are no surface."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code != 404 or not _is_html(response):
            return response
        surface = surface_of(request.path_info)
        return response if surface is None else surface.not_found(request.path_info)


def _is_html(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


class RateLimitHeadersMiddleware:
    """Adds BigCommerce's `X-Rate-Limit-*` headers to every response of a request made with a
    valid token, refusals included: the numbers counted when the token was checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            for name, value in rate_limit.headers().items():
                response[name] = value
        return response
