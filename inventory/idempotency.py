"""Idempotency keys: a retried write is answered from the first one's record instead of being
applied twice. Callers run `claim` and `remember` inside the transaction of the write itself."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from inventory.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from inventory.models import Adjustment, ApiClient, IdempotencyRecord


def claim(
    *, scope: str, key: str, fingerprint: str, wait: bool = False
) -> IdempotencyRecord | None:
    """The record of an earlier request with this key, or None when this request is the first.

    Raises IdempotencyKeyReused when the key was used for a different request, and (unless
    `wait`) IdempotencyKeyInFlight when another request with the key is still running. With
    `wait`, it waits for that request to finish and then answers as it did: right for a form
    clicked twice, where the second click should simply see the first one's result. Must run
    inside the transaction that will also `remember` the outcome.
    """
    if connection.vendor == "postgresql" and wait:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"{scope}\n{key}"]
            )
    elif connection.vendor == "postgresql":
        # Held until this transaction ends. A second request with the same key, arriving while
        # the first is still running, is told so at once (409) rather than queueing behind it
        # and racing it to the unique constraint. SQLite's IMMEDIATE transactions already
        # serialise writers, so there the first request has always finished.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(hashtextextended(%s, 0))", [f"{scope}\n{key}"]
            )
            (acquired,) = cursor.fetchone()
        if not acquired:
            raise IdempotencyKeyInFlight(key)
    previous = (
        IdempotencyRecord.objects.select_related("adjustment").filter(scope=scope, key=key).first()
    )
    if previous is not None and previous.fingerprint != fingerprint:
        raise IdempotencyKeyReused(key)
    return previous


def remember(
    *,
    scope: str,
    key: str,
    fingerprint: str,
    adjustment: Adjustment | None = None,
    adjustment_id: int | None = None,
    status: int = 200,
    body: object = None,
) -> None:
    """Record the outcome of the first request with this key (in the write's transaction)."""
    IdempotencyRecord.objects.create(
        scope=scope,
        key=key,
        fingerprint=fingerprint,
        adjustment=adjustment,
        adjustment_id=adjustment.pk if adjustment is not None else adjustment_id,
        response_status=status,
        response_body=body,
    )


def scope_of(*, actor: AbstractBaseUser | None = None, api_client: ApiClient | None = None) -> str:
    """Whose keys a key is compared with: one client's (or one user's) never meet another's."""
    if api_client is not None:
        return f"client:{api_client.pk}"
    if actor is not None:
        return f"user:{actor.pk}"
    return "system"
