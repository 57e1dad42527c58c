"""What the vendor-shaped APIs (Ecwid's under /api/ecwid, Zettle's under /api/zettle) share:
Bearer tokens, as their clients send them, and errors in the vendor's own body instead of
problem+json, so that a client written for the vendor understands our refusals too.

Each vendor view keeps the API's rules (scopes, location restrictions, rate limits, the write
path) and only changes the error body: `vendor_exception_handler` asks the API's own handler
what it would answer, then hands status, message and field paths to the vendor's renderer."""

from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus

import pydantic
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import ApiClientAuthentication
from inventory.api.errors import Problem, exception_handler, pydantic_errors
from inventory.api_clients import client_for_token
from inventory.errors import IdempotencyKeyInFlight, InventoryError, StaleBalances


class BearerTokenAuthentication(ApiClientAuthentication):
    """A Stockroom token as `Authorization: Bearer <token>`, as Ecwid's and Zettle's clients send
    theirs. Vendor views list it first and ApiClientAuthentication (`X-Auth-Token`) second, so
    both work (the OpenAPI document offers both: inventory/api/schema.py); a request with
    neither gets 401 with `WWW-Authenticate: Bearer`, as OAuth clients expect."""

    def authenticate(self, request: Request):
        token = self.bearer_token(request)
        if token is None:
            return None  # X-Auth-Token: ApiClientAuthentication, next in the view's list
        # No credential a request carries is ignored: a bad Bearer token sent beside an
        # X-Auth-Token (which the parent prefers) is refused.
        if "HTTP_X_AUTH_TOKEN" in request.META and client_for_token(token) is None:
            self.refuse(request, "The Bearer token is not valid or has been revoked.")
        return super().authenticate(request)

    def bearer_token(self, request: Request) -> str | None:
        """The token of the Authorization header: None without the header, 401 when it is not
        `Bearer <token>`."""
        header = request.META.get("HTTP_AUTHORIZATION")
        if header is None:
            return None
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            self.refuse(request, "Send the token as `Authorization: Bearer <token>`.")
        return token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="stockroom"'


VENDOR_AUTHENTICATION = [BearerTokenAuthentication, ApiClientAuthentication]


class VendorError(Problem):
    """A refusal of a vendor-shaped endpoint, with a stable `code` for the vendor's error type."""

    def __init__(
        self, status_code: int, title: str, errors: dict[str, str] | None = None, *, code: str
    ):
        super().__init__(status_code, title, errors)
        self.code = code


def domain_refusal(error: InventoryError, errors: dict[str, str] | None = None) -> VendorError:
    """The write path's refusal as a VendorError: a conflict with a concurrent request (409) or
    a broken rule (422), keeping the domain error's stable code."""
    conflict = isinstance(error, StaleBalances | IdempotencyKeyInFlight)
    status_code = status.HTTP_409_CONFLICT if conflict else status.HTTP_422_UNPROCESSABLE_ENTITY
    return VendorError(status_code, error.message, errors, code=str(error.code))


@dataclass(frozen=True, slots=True)
class Refusal:
    """What any refusal says, whatever the shape it is rendered in."""

    status: int
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    code: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def type_name(self) -> str:
        """The stable code, or the status's name: `INSUFFICIENT_STOCK`, `NOT_FOUND`."""
        return (self.code or HTTPStatus(self.status).name).upper()


def describe(exc: Exception, context: dict) -> Refusal | None:
    """How the API's own handler would refuse `exc` (None for an unexpected error: a 500)."""
    if isinstance(exc, pydantic.ValidationError):
        # The vendors call a body of the wrong shape malformed (400), not unprocessable.
        return Refusal(
            status.HTTP_400_BAD_REQUEST, "The request body is malformed.", pydantic_errors(exc)
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    headers = {name: value for name, value in response.items() if name.lower() != "content-type"}
    return Refusal(
        response.status_code,
        response.data["title"],
        response.data["errors"],
        getattr(exc, "code", "") if isinstance(exc, VendorError) else "",
        headers,
    )


def vendor_exception_handler(
    render: Callable[[Refusal], dict],
) -> Callable[[Exception, dict], Response | None]:
    """A DRF exception handler answering every refusal as `render` shapes it (application/json)."""

    def handle(exc: Exception, context: dict) -> Response | None:
        refusal = describe(exc, context)
        if refusal is None:
            return None
        return Response(render(refusal), status=refusal.status, headers=refusal.headers)

    return handle
