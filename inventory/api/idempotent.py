"""`Idempotency-Key` for writes that keep no ledger (locations, the item catalog): the key, the
write and the stored response share one transaction, so a retry finds either the first
request's response (and gets it again) or no trace of it."""

from collections.abc import Callable
from typing import Any, TypeVar

from django.http import QueryDict
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import idempotency
from inventory.api.errors import Problem
from inventory.api.paths import canonical_path
from inventory.api.query_token import QUERY_TOKEN
from inventory.idempotency import Kept
from inventory.models import IdempotencyRecord

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

T = TypeVar("T")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get(HEADER, "").strip()
    if len(key) > MAX_KEY_LENGTH:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Invalid Idempotency-Key",
            {HEADER: f"At most {MAX_KEY_LENGTH} characters."},
        )
    return key or None


def request_fingerprint(request: Request) -> str:
    """The method, path (in its /api/v3 form), query and JSON body of a request, hashed by
    `idempotency.fingerprint`. A token in the query is a credential, not part of the request:
    left out."""
    data = request.data
    body = None if isinstance(data, QueryDict) else data
    path = canonical_path(request.path_info)
    query = sorted(pair for pair in request.query_params.lists() if pair[0] != QUERY_TOKEN)
    return idempotency.fingerprint(request.method, path, query, body)


def replay(record: IdempotencyRecord) -> Response:
    """The stored answer to the first request with a key, marked as a replay."""
    return Response(
        record.response_body,
        status=record.response_status,
        headers={"Idempotent-Replayed": "true"},
    )


def run_once(
    request: Request, key: str | None, act: Callable[[], T], keep: Callable[[T], Kept]
) -> T | Response:
    """`idempotency.run_once` for an API request: keys scoped to its client, the request
    fingerprinted, a repeat answered with the stored response."""
    return idempotency.run_once(
        scope=idempotency.scope_of(api_client=request.auth),
        key=key,
        fingerprint=lambda: request_fingerprint(request),
        act=act,
        keep=keep,
        replay=replay,
    )


def idempotent_write(request: Request, write: Callable[[], Any]) -> Response:
    """Run `write()` (which returns the 200 response body) in one transaction with the request's
    Idempotency-Key, if any. A repeat of the same request replays the stored response; the key
    reused for another request raises IdempotencyKeyReused, and while the first is still
    running IdempotencyKeyInFlight (the exception handler maps both)."""
    answer = run_once(request, idempotency_key(request), write, lambda body: Kept(body=body))
    return answer if isinstance(answer, Response) else Response(answer)
