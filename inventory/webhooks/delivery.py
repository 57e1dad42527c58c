"""Delivering the outbox: claim a due event, POST it signed, record the attempt.

At least once, never marked twice:
- A worker claims one event at a time in a short transaction (on PostgreSQL
  `SELECT … FOR UPDATE SKIP LOCKED`, so several workers share the queue without waiting on
  each other; on SQLite the IMMEDIATE transaction serialises claims, and one worker is enough).
  Claiming moves `next_attempt_at` to the end of a lease (WEBHOOK_LEASE_SECONDS, longer than
  the HTTP timeout) under a fresh claim token. A worker killed mid-delivery leaves the event
  to become due again when the lease ends; the receiver may then get it twice, with the same
  event id, which is what the id is for.
- The POST happens outside any transaction (no row is locked while we wait on a partner).
- The attempt is recorded, and the event marked delivered (2xx) or rescheduled (anything else:
  exponential backoff with jitter, capped) or failed (after WEBHOOK_MAX_ATTEMPTS), in one
  transaction, and only if the worker still holds the claim token: a late answer from a
  worker whose lease ran out cannot mark an event another worker has since taken.
"""

import hashlib
import http.client
import json
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from inventory.models import WebhookAttempt, WebhookEvent
from inventory.models.webhooks import validate_webhook_url
from inventory.webhooks import signing

USER_AGENT = "Stockroom-Webhooks/1.0"
EXCERPT_CHARS = 500


@dataclass(frozen=True, slots=True)
class Claim:
    """A due event this worker holds until `until`."""

    event: WebhookEvent
    token: uuid.UUID
    until: datetime


@dataclass(frozen=True, slots=True)
class Outcome:
    status_code: int | None
    error: str
    excerpt: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def claim_next() -> Claim | None:
    """Claim the most overdue event of an active endpoint, or None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            WebhookEvent.objects.select_related("endpoint")
            .filter(
                delivered_at__isnull=True,
                failed_at__isnull=True,
                next_attempt_at__lte=now,
                endpoint__active=True,
            )
            .order_by("next_attempt_at", "id")
        )
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True, of=("self",))
        event = due.first()
        if event is None:
            return None
        token = uuid.uuid4()
        until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        WebhookEvent.objects.filter(pk=event.pk).update(
            claim_token=token, claimed_until=until, next_attempt_at=until
        )
    return Claim(event, token, until)


def envelope(event: WebhookEvent) -> dict:
    """BigCommerce's callback: {scope, store_id, data, hash, created_at, producer}. `hash` is
    the SHA-1 of the JSON-encoded data, the same on every retry."""
    data_json = json.dumps(event.data, sort_keys=True, separators=(",", ":"))
    return {
        "scope": event.scope,
        "store_id": settings.WEBHOOK_STORE_ID,
        "data": event.data,
        "hash": hashlib.sha1(data_json.encode()).hexdigest(),  # BigCommerce: SHA-1
        "created_at": int(event.created_at.timestamp()),
        "producer": f"stores/{settings.WEBHOOK_STORE_HASH}",
    }


def request_for(event: WebhookEvent, *, now: float | None = None) -> urllib.request.Request:
    """The signed POST for `event`, signed at `now` (each attempt is signed afresh)."""
    body = json.dumps(envelope(event), separators=(",", ":")).encode()
    timestamp = int(time.time() if now is None else now)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        signing.EVENT_ID_HEADER: str(event.event_id),
        signing.SCOPE_HEADER: event.scope,
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature_header(event.endpoint.secret, timestamp, body),
    }
    return urllib.request.Request(event.endpoint.url, data=body, headers=headers, method="POST")


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a delivery: urllib would re-send a POST as a body-less GET
    and count the GET's 200 as success."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_RefuseRedirects)


def post(event: WebhookEvent) -> Outcome:
    """One attempt. Never raises: the error becomes part of the outcome."""
    started = time.monotonic()
    try:
        validate_webhook_url(event.endpoint.url)
        with _opener.open(request_for(event), timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as answer:
            status, excerpt, error = answer.status, _excerpt(answer), ""
    except urllib.error.HTTPError as exc:
        status, excerpt, error = exc.code, _excerpt(exc), ""
    except ValidationError as exc:
        status, excerpt, error = None, "", "URL not allowed: " + " ".join(exc.messages)
    except (OSError, http.client.HTTPException, ValueError) as exc:  # refused, timed out, …
        reason = getattr(exc, "reason", exc)
        status, excerpt, error = None, "", f"{type(exc).__name__}: {reason}"
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(status, error[:EXCERPT_CHARS], excerpt, duration_ms)


def _excerpt(answer) -> str:
    try:
        return answer.read(EXCERPT_CHARS).decode("utf-8", "replace")[:EXCERPT_CHARS]
    except OSError:
        return ""


def backoff_seconds(attempts: int, *, rng: random.Random | None = None) -> float:
    """How long to wait after the `attempts`-th failure: BASE * 2^(attempts-1), capped, of which
    a random half is kept ("equal jitter"), so retries after an outage do not stampede."""
    ceiling = min(
        settings.WEBHOOK_BACKOFF_CAP_SECONDS,
        settings.WEBHOOK_BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0),
    )
    return ceiling / 2 + (rng or random).uniform(0, ceiling / 2)


def record(claim: Claim, outcome: Outcome) -> str:
    """Store the attempt and the event's next state. Returns "delivered", "retry", "failed",
    or "lost" when the claim had expired and another worker took the event meanwhile."""
    now = timezone.now()
    attempts = claim.event.attempts + 1
    if outcome.succeeded:
        state, changes = "delivered", {"delivered_at": now}
    elif attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        state, changes = "failed", {"failed_at": now}
    else:
        delay = timedelta(seconds=backoff_seconds(attempts))
        state, changes = "retry", {"next_attempt_at": now + delay}
    with transaction.atomic():
        WebhookAttempt.objects.create(
            event_id=claim.event.pk,
            attempted_at=now,
            status_code=outcome.status_code,
            error=outcome.error,
            response_excerpt=outcome.excerpt,
            duration_ms=outcome.duration_ms,
        )
        held = WebhookEvent.objects.filter(pk=claim.event.pk, claim_token=claim.token).update(
            attempts=F("attempts") + 1, claim_token=None, claimed_until=None, **changes
        )
    return state if held else "lost"


def deliver_next() -> tuple[WebhookEvent, Outcome, str] | None:
    """Claim, post and record one due event; None when nothing is due."""
    claim = claim_next()
    if claim is None:
        return None
    outcome = post(claim.event)
    return claim.event, outcome, record(claim, outcome)


Report = Callable[[WebhookEvent, Outcome, str], None]


def deliver_due(
    *,
    limit: int | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    report: Report | None = None,
) -> int:
    """Deliver due events one by one until none is due, `limit` were tried or `should_stop()`.
    Returns how many were tried."""
    tried = 0
    while (limit is None or tried < limit) and not should_stop():
        delivered = deliver_next()
        if delivered is None:
            break
        tried += 1
        if report is not None:
            report(*delivered)
    return tried
