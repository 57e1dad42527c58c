"""Every API error as `application/problem+json`, BigCommerce's shape:
`{"status", "title", "type", "errors": {"<field path>": "<message>"}}`.

Domain errors keep their stable codes; the mapping to HTTP statuses lives here and only here."""

import logging
from collections.abc import Iterable

import pydantic
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from inventory.errors import (
    AdjustmentRejected,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    InventoryError,
    LineError,
    StaleBalances,
)

PROBLEM_TYPE = "https://developer.bigcommerce.com/api-docs/getting-started/api-status-codes"
PROBLEM_CONTENT_TYPE = "application/problem+json"
TITLE_MESSAGES = 10  # a 2000-line refusal lists every line in `errors`, a few in the title

logger = logging.getLogger(__name__)


class Problem(exceptions.APIException):
    """An API error with BigCommerce's title and a field-path keyed `errors` object."""

    def __init__(self, status_code: int, title: str, errors: dict[str, str] | None = None):
        super().__init__(title)
        self.status_code = status_code
        self.title = title
        self.errors = errors or {}


def problem_body(status_code: int, title: str, errors: dict[str, str] | None = None) -> dict:
    return {"status": status_code, "title": title, "type": PROBLEM_TYPE, "errors": errors or {}}


def problem_response(
    status_code: int, title: str, errors: dict[str, str] | None = None, headers=None
) -> Response:
    body = problem_body(status_code, title, errors)
    return Response(body, status=status_code, headers=headers, content_type=PROBLEM_CONTENT_TYPE)


def line_errors(
    errors: Iterable[LineError],
    *,
    prefix: str = "items",
    rename: dict[str, str] | None = None,
    whole: dict[str, str] | None = None,
) -> dict[str, str]:
    """`items.3.sku: message`; errors about the batch as a whole go under `prefix` itself, or
    under the path `whole` gives their field (a document's `destination` → the request's
    `destination_location_id`). `rename` maps the service's field names of lines to the
    request's (`location_id` → `from_location_id`)."""
    rename = rename or {}
    whole = whole or {}
    keyed: dict[str, str] = {}
    for error in errors:
        field = rename.get(error.field, error.field)
        if error.index is None:
            path = whole.get(error.field, prefix)
        else:
            path = f"{prefix}.{error.index}.{field}"
        keyed[path] = f"{keyed[path]} {error.message}" if path in keyed else error.message
    return keyed


def listing_title(messages: list[str]) -> str:
    """BigCommerce lists the failing identities in the title: `[Item with … , …]`."""
    shown = messages[:TITLE_MESSAGES]
    more = len(messages) - len(shown)
    return "[" + ", ".join(shown) + (f", and {more} more" if more > 0 else "") + "]"


def domain_error_response(
    error: InventoryError,
    *,
    prefix: str = "items",
    rename: dict[str, str] | None = None,
    whole: dict[str, str] | None = None,
) -> Response:
    if isinstance(error, StaleBalances):
        return problem_response(
            status.HTTP_409_CONFLICT,
            "Stock changed since it was read: " + listing_title([e.message for e in error.errors]),
            line_errors(error.errors, prefix=prefix, rename=rename, whole=whole),
        )
    if isinstance(error, AdjustmentRejected):
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            listing_title([e.message for e in error.errors]),
            line_errors(error.errors, prefix=prefix, rename=rename, whole=whole),
        )
    if isinstance(error, IdempotencyKeyInFlight):
        return problem_response(status.HTTP_409_CONFLICT, error.message)
    if isinstance(error, IdempotencyKeyReused):
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            error.message,
            {"Idempotency-Key": "Already used for a different request."},
        )
    return problem_response(status.HTTP_422_UNPROCESSABLE_ENTITY, error.message)


def pydantic_errors(error: pydantic.ValidationError) -> dict[str, str]:
    """`items.3.quantity: Input should be a valid integer`, from pydantic's error locations."""
    keyed: dict[str, str] = {}
    for item in error.errors(include_url=False):
        path = ".".join(str(part) for part in item["loc"]) or "body"
        keyed.setdefault(path, item["msg"])
    return keyed


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's EXCEPTION_HANDLER: every error the API can raise becomes problem+json."""
    if isinstance(exc, Problem):
        return problem_response(exc.status_code, exc.title, exc.errors)
    if isinstance(exc, InventoryError):
        return domain_error_response(exc)
    if isinstance(exc, pydantic.ValidationError):
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Payload contains invalid fields",
            pydantic_errors(exc),
        )
    if isinstance(exc, exceptions.ParseError):
        # The body parser names what it refused (`body`) and why.
        detail = exc.detail
        errors = _flatten(detail) if isinstance(detail, dict) else {"body": str(detail)}
        return problem_response(
            status.HTTP_400_BAD_REQUEST, "The request body is malformed.", errors
        )
    if isinstance(exc, RequestDataTooBig):
        return problem_response(status.HTTP_413_REQUEST_ENTITY_TOO_LARGE, "The body is too large.")
    if isinstance(exc, exceptions.ValidationError):
        return problem_response(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Payload contains invalid fields",
            _flatten(exc.detail),
        )
    if isinstance(exc, OperationalError | InterfaceError):
        # The database is down or unreachable: tell the client to retry, not that we broke.
        # The client's answer says nothing more, so the log says why (a lost connection, a
        # timeout, a deadlock: psycopg files them all under OperationalError).
        logger.warning("Answered 503: %s: %s", type(exc).__name__, exc)
        return problem_response(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "The database is unavailable; retry shortly.",
            headers={"Retry-After": "5"},
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", "")
    title = str(detail) if not isinstance(detail, dict | list) else "Invalid request"
    headers = {name: value for name, value in response.items() if name != "Content-Type"}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["X-Retry-After"] = str(max(1, int(exc.wait)))
    return problem_response(response.status_code, title, headers=headers)


def _flatten(detail: object, path: str = "") -> dict[str, str]:
    """DRF's nested error detail as `{"items.3.sku": "message"}`."""
    if isinstance(detail, dict):
        flat: dict[str, str] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{path}.{key}" if path else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(value, dict | list) for value in detail):
            return {path or "body": " ".join(str(value) for value in detail)}
        flat = {}
        for index, value in enumerate(detail):
            flat.update(_flatten(value, f"{path}.{index}" if path else str(index)))
        return flat
    return {path or "body": str(detail)}
