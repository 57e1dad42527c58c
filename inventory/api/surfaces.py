"""Which API surface a path belongs to, and how each surface words a refusal made before any
of its views runs: a path that names no route (404), a body too large (413) or sent without a
length (411). Views answer in their surface's shape through their own exception handlers.

- BigCommerce's problem+json: `/api/v3/…`, any other path under `/api/`, and its own
  `/stores/{store_hash}/v3/…` (a path naming another store is told so);
- Ecwid's `{"errorMessage", "errorCode"}`: `/api/ecwid/…`;
- Zettle's `{"developerMessage", "errorType", "violations"}`: `/api/zettle/…`.

The OpenAPI document and Swagger UI (`/api/schema/`, `/api/docs/`) are pages, not surfaces.
A new prefix for a surface is one line of PREFIXES."""

import json
from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.views.defaults import page_not_found

from inventory.api.ecwid.errors import render_error as ecwid_error
from inventory.api.errors import PROBLEM_CONTENT_TYPE, problem_body
from inventory.api.paths import STORE_PATHS, is_other_store
from inventory.api.vendor import Refusal
from inventory.api.zettle.shape import render_error as zettle_error

# Where a client that found no endpoint (the API's root, say) goes next.
NO_ROUTE = "Not found: no endpoint at this address. The endpoints are listed at /api/docs/."


@dataclass(frozen=True, slots=True)
class Surface:
    name: str
    render: Callable[[Refusal], dict]
    content_type: str = "application/json"

    def refuse(self, status: int, message: str, fields: dict[str, str] | None = None):
        """The refusal as this surface words it, with its length: the client may still be
        sending the body it was refused, and should know where this answer ends."""
        body = self.render(Refusal(status, message, fields or {}))
        response = HttpResponse(
            json.dumps(body, separators=(",", ":")), status=status, content_type=self.content_type
        )
        response["Content-Length"] = str(len(response.content))
        return response

    def not_found(self, path: str) -> HttpResponse:
        if is_other_store(path):
            errors = {"store_hash": "No store with this hash."}
            return self.refuse(404, "Not found: no store with this hash.", errors)
        return self.refuse(404, NO_ROUTE)


def _problem(refusal: Refusal) -> dict:
    return problem_body(refusal.status, refusal.message, refusal.fields)


BIGCOMMERCE = Surface("BigCommerce", _problem, PROBLEM_CONTENT_TYPE)
ECWID = Surface("Ecwid", ecwid_error)
ZETTLE = Surface("Zettle", zettle_error)

PAGES = ("/api/schema", "/api/docs")  # with or without the slash Django would add
PREFIXES = (
    ("/api/ecwid/", ECWID),
    ("/api/zettle/", ZETTLE),
    ("/api/", BIGCOMMERCE),
    (STORE_PATHS, BIGCOMMERCE),
)


def surface_of(path: str) -> Surface | None:
    """The API surface `path` (a request's path_info) belongs to; None outside the API."""
    if path.startswith(PAGES):
        return None
    if path == "/api":  # the API's root without its slash is the API's too
        return BIGCOMMERCE
    return next((surface for prefix, surface in PREFIXES if path.startswith(prefix)), None)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404: in the surface's shape under the API, the site's page elsewhere.
    (With DEBUG on, Django shows its debug page instead, which ApiNotFoundMiddleware
    replaces on the API.)"""
    surface = surface_of(request.path_info)
    if surface is None:
        return page_not_found(request, exception)
    return surface.not_found(request.path_info)
