"""Ecwid's error shape: an HTTP status with `{"errorMessage": …}` (research/seed-apis.md §3.3),
plus our stable `errorCode`. Every refusal on an Ecwid route is answered in it: by the views'
exception handler, and before any view (no such route, a body too large) by
inventory.api.surfaces."""

from drf_spectacular.utils import OpenApiResponse
from pydantic import BaseModel, Field

from inventory.api.vendor import Refusal


class EcwidError(BaseModel):
    """Ecwid's error body."""

    errorMessage: str
    errorCode: str | None = Field(default=None, description="Ours: a stable code.")


def render_error(refusal: Refusal) -> dict:
    """`{"errorMessage", "errorCode"}`; the fields at fault are named in the message."""
    details = "; ".join(f"{name}: {message}" for name, message in refusal.fields.items())
    message = f"{refusal.message} ({details})" if details else refusal.message
    return {"errorMessage": message, "errorCode": refusal.type_name}


REASONS = {
    400: "Request parameters are malformed (the message names them).",
    401: "No token, or not a valid one.",
    403: "The token lacks the scope, or may not use the default location.",
    404: "Not found.",
    405: "Method not allowed.",
    409: "A request with the same Idempotency-Key is still running.",
    413: "The body is larger than the API accepts.",
    415: "The body is not application/json or text/json.",
    422: "Refused by the stock rules (not enough stock where negative stock is off, a disabled "
    "location); nothing changed.",
    429: "Rate limited: retry after `Retry-After` seconds.",
}


def ecwid_errors(*codes: int, described: dict[int, str] | None = None) -> dict:
    """`responses=` entries: each status answered in Ecwid's shape; `described` words some
    statuses for one operation."""
    reasons = {**REASONS, **(described or {})}
    return {
        (code, "application/json"): OpenApiResponse(EcwidError, description=reasons[code])
        for code in codes
    }
