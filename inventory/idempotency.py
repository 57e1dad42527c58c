"""Idempotency keys: a retried write is answered from the first one's record instead of being
applied twice.

- `run_once` is the claim -> act -> remember sequence every write entry point uses: the ledger
  writes (`stock.apply_adjustment` and `stock.update_settings`, so every API adjustment and the
  admin's adjust form), API writes without a ledger (locations, catalog, Zettle's
  `externalUuid`), the stocktake forms and the admin's API client form. (A write without a
  key has nothing to claim: `apply_adjustment` offers it to its one-statement fast path first.)
- `fingerprint` is the one hash that tells a retry from a different request.
- `scope_of` and `key_of` name every scope and key family, so two kinds of key never meet.
"""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction

from inventory.errors import IdempotencyKeyInFlight, IdempotencyKeyReused
from inventory.models import Adjustment, ApiClient, IdempotencyRecord

T = TypeVar("T")

# Key families that share a scope with plain keys: the prefix keeps them apart.
ZETTLE_EXTERNAL_UUID = "zettle-externalUuid"
API_CLIENT_FORM = "api-client-add"
# Scope areas: a user's form tokens in one area never meet their keys elsewhere.
STOCKTAKE_FORMS = "stocktakes"
MOVEMENT_FORMS = "movements"  # transfers and supplier deliveries, their receiving included


def scope_of(
    *,
    actor: AbstractBaseUser | None = None,
    api_client: ApiClient | None = None,
    area: str | None = None,
) -> str:
    """Whose keys a key is compared with: one client's (or one user's) never meet another's,
    and a user's keys in an `area` (STOCKTAKE_FORMS) never meet their other keys."""
    if api_client is not None:
        return f"client:{api_client.pk}"
    if actor is not None:
        return f"{area}:user:{actor.pk}" if area else f"user:{actor.pk}"
    return "system"


def key_of(family: str, value: object) -> str:
    """A key of one family (ZETTLE_EXTERNAL_UUID, API_CLIENT_FORM): never equal to a plain key
    or another family's."""
    return f"{family}:{value}"


def fingerprint(*parts: object) -> str:
    """SHA-256 of the parts as canonical JSON: the same request hashes the same whatever the key
    order or spacing of its JSON."""
    canonical = json.dumps(list(parts), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Kept:
    """What `run_once` keeps of a first request's outcome."""

    body: object = None
    status: int = 200
    adjustment: Adjustment | None = None
    adjustment_id: int | None = None


def run_once(
    *,
    scope: str,
    key: str | None,
    fingerprint: str | Callable[[], str],
    act: Callable[[], T],
    keep: Callable[[T], Kept],
    replay: Callable[[IdempotencyRecord], T],
    wait: bool = False,
) -> T:
    """Run `act` in one transaction with the record of its key: the first request with `key`
    acts and `keep`s its outcome; a repeat gets `replay` of that record and acts not at all.
    Without a key, `act` simply runs in a transaction. A refused `act` (any exception) stores
    nothing, so it may be retried under the same key. See `_claim` for reuse, in-flight and
    `wait`. `fingerprint` may be a callable, so a request without a key is never hashed."""
    with transaction.atomic():
        if key is None:
            return act()
        digest = fingerprint() if callable(fingerprint) else fingerprint
        previous = _claim(scope=scope, key=key, fingerprint=digest, wait=wait)
        if previous is not None:
            return replay(previous)
        result = act()
        kept = keep(result)
        _remember(
            scope=scope,
            key=key,
            fingerprint=digest,
            adjustment=kept.adjustment,
            adjustment_id=kept.adjustment_id,
            status=kept.status,
            body=kept.body,
        )
    return result


def _claim(
    *, scope: str, key: str, fingerprint: str, wait: bool = False
) -> IdempotencyRecord | None:
    """The record of an earlier request with this key, or None when this request is the first.

    Raises IdempotencyKeyReused when the key was used for a different request, and (unless
    `wait`) IdempotencyKeyInFlight when another request with the key is still running. With
    `wait`, it waits for that request to finish and then answers as it did: right for a form
    clicked twice, where the second click should simply see the first one's result. Runs
    inside the transaction that will also `_remember` the outcome.
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


def _remember(
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
