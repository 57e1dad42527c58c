"""`Idempotency-Key` for writes that keep no ledger (locations, the item catalog): the key, the
write and the stored response share one transaction, so a retry finds either the first
request's response (and gets it again) or no trace of it."""

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import QueryDict
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory import idempotency
from inventory.api.errors import Problem

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


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
    """SHA-256 of the method, path, query and canonical JSON body: a retry of the same request
    has the same fingerprint whatever the key order or spacing of its JSON."""
    data = request.data
    body = None if isinstance(data, QueryDict) else data
    canonical = json.dumps(
        [request.method, request.path, sorted(request.query_params.lists()), body],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_write(request: Request, write: Callable[[], Any]) -> Response:
    """Run `write()` (which returns the 200 response body) in one transaction with the request's
    Idempotency-Key, if any. A repeat of the same request replays the stored response; the key
    reused for another request raises IdempotencyKeyReused, and while the first is still
    running IdempotencyKeyInFlight (the exception handler maps both). A refused write (any
    exception) stores nothing, so it may be retried under the same key."""
    key = idempotency_key(request)
    if key is None:
        with transaction.atomic():
            return Response(write())
    scope = idempotency.scope_of(api_client=request.auth)
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        previous = idempotency.claim(scope=scope, key=key, fingerprint=fingerprint)
        if previous is not None:
            return Response(
                previous.response_body,
                status=previous.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        body = write()
        idempotency.remember(scope=scope, key=key, fingerprint=fingerprint, body=body)
    return Response(body)
