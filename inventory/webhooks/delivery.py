"""Delivering the outbox: claim a due event, POST it signed, record the attempt.

At least once, never marked twice:
- A worker thread claims one event at a time in a short transaction (on PostgreSQL
  `SELECT … FOR NO KEY UPDATE SKIP LOCKED`, so threads and workers share the queue without
  waiting on each other; on SQLite the IMMEDIATE transaction serialises claims). Claiming moves
  `next_attempt_at` to the end of a lease (WEBHOOK_LEASE_SECONDS, longer than the HTTP
  timeout) under a fresh claim token. A worker killed mid-delivery leaves the event to become
  due again when the lease ends; the receiver may then get it twice, with the same event id,
  which is what the id is for.
- One delivery at a time per endpoint: the claim takes the endpoint under the same lease
  (`delivering_until`), and skips endpoints already taken. An endpoint that hangs holds one
  thread for at most WEBHOOK_TIMEOUT_SECONDS per attempt; the others deliver to everyone else.
  After WEBHOOK_PAUSE_AFTER_FAILURES failures in a row the endpoint is paused until a manager
  resumes it.
- The POST happens outside any transaction (no row is locked while we wait on a partner), to
  the addresses `destination.check` accepted just before (never a second DNS lookup), within
  WEBHOOK_TIMEOUT_SECONDS in all. Only the status code is kept: what an endpoint answers is
  not ours to show.
- The attempt is recorded, and the event marked delivered (2xx) or rescheduled (anything else:
  exponential backoff with jitter, capped) or failed (after WEBHOOK_MAX_ATTEMPTS), in one
  transaction, and only if the worker still holds the claim token: a late answer from a
  worker whose lease ran out cannot mark an event another worker has since taken.
"""

import hashlib
import http.client
import json
import random
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from inventory.models import WebhookAttempt, WebhookEndpoint, WebhookEvent
from inventory.webhooks import destination, signing

USER_AGENT = "Stockroom-Webhooks/1.0"
ERROR_CHARS = 500
TLS = ssl.create_default_context()  # verifies certificates and host names


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
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def summary(self) -> str:
        return self.error if self.status_code is None else f"it answered {self.status_code}"


def claim_next() -> Claim | None:
    """Claim the most overdue event of an active, unpaused endpoint that nobody is delivering
    to, and that endpoint with it; None when nothing is due."""
    now = timezone.now()
    with transaction.atomic():
        due = (
            WebhookEvent.objects.select_related("endpoint")
            .filter(
                delivered_at__isnull=True,
                failed_at__isnull=True,
                next_attempt_at__lte=now,
                endpoint__active=True,
                endpoint__paused_at__isnull=True,
            )
            .filter(
                Q(endpoint__delivering_until__isnull=True) | Q(endpoint__delivering_until__lte=now)
            )
            .order_by("next_attempt_at", "id")
        )
        if connection.vendor == "postgresql":
            # Locking the endpoint row too: a thread that finds it locked skips it, and one that
            # gets it just after another's claim committed sees `delivering_until` again (the
            # row changed, so PostgreSQL re-checks the condition) and skips it. NO KEY: events
            # being written for the endpoint meanwhile (their foreign key) do not wait.
            due = due.select_for_update(skip_locked=True, no_key=True, of=("self", "endpoint"))
        event = due.first()
        if event is None:
            return None
        token = uuid.uuid4()
        until = now + timedelta(seconds=settings.WEBHOOK_LEASE_SECONDS)
        WebhookEndpoint.objects.filter(pk=event.endpoint_id).update(delivering_until=until)
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
        "producer": f"stores/{settings.STORE_HASH}",
    }


def signed(event: WebhookEvent, *, now: float | None = None) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the POST for `event`, signed at `now` (each attempt afresh)."""
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
    return body, headers


def post(event: WebhookEvent) -> Outcome:
    """One attempt. Never raises: the error becomes part of the outcome. A redirect is an
    answer (3xx), not followed: it is not a delivery, and could lead anywhere."""
    started = time.monotonic()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    status, error, conn = None, "", None
    deadline = _Deadline(timeout)
    try:
        target = destination.check(event.endpoint.url)
        body, headers = signed(event)
        conn = _connection(target, timeout)
        with deadline.watching(conn):
            conn.request("POST", target.path, body=body, headers=headers)
            answered = conn.getresponse().status  # the body is never read
        status = answered  # only once the deadline has not cut the answer short
    except ValidationError as exc:
        error = "URL not allowed: " + " ".join(exc.messages)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = _in_plain_words(exc, timed_out=deadline.expired, timeout=timeout)
    finally:
        if conn is not None:
            conn.close()
    duration_ms = int((time.monotonic() - started) * 1000)
    return Outcome(status, error[:ERROR_CHARS], duration_ms)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the checked addresses, not to whatever the host name resolves to by then;
    the Host header still names the host."""

    def __init__(self, target: destination.Destination, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self.addresses = target.addresses

    def connect(self) -> None:
        self.sock = _open(self.addresses, self.port, self.timeout)


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = http.client.HTTPS_PORT

    def connect(self) -> None:
        super().connect()
        # The certificate is checked against the host name (SNI too), whatever address we used.
        self.sock = TLS.wrap_socket(self.sock, server_hostname=self.host)


def _connection(target: destination.Destination, timeout: float) -> _PinnedHTTPConnection:
    pinned = _PinnedHTTPSConnection if target.scheme == "https" else _PinnedHTTPConnection
    return pinned(target, timeout)


def _open(addresses: tuple[str, ...], port: int, timeout: float) -> socket.socket:
    """A connection to the first of `addresses` that answers."""
    failure: OSError | None = None
    for address in addresses:
        try:
            return socket.create_connection((address, port), timeout)
        except OSError as exc:
            failure = exc
    assert failure is not None  # destination.check never returns without an address
    raise failure


class _Deadline:
    """Cuts a delivery that has taken `seconds` in all. Socket timeouts bound each wait, not an
    endpoint that answers one byte at a time, which would hold a worker thread indefinitely."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False

    @contextmanager
    def watching(self, conn: http.client.HTTPConnection) -> Iterator[None]:
        timer = threading.Timer(self.seconds, self._cut, [conn])
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()
        if self.expired:
            raise TimeoutError  # what was read before the cut may look like a whole answer

    def _cut(self, conn: http.client.HTTPConnection) -> None:
        self.expired = True
        if conn.sock is None:
            return  # still connecting: the socket timeout ends that
        # The plain socket's shutdown, also under TLS: it wakes the waiting read without
        # touching the TLS state the delivering thread is using.
        with suppress(OSError):
            socket.socket.shutdown(conn.sock, socket.SHUT_RDWR)


def _in_plain_words(exc: Exception, *, timed_out: bool, timeout: float) -> str:
    """What went wrong, in our words: exception texts can quote the endpoint's answer (an
    http.client.BadStatusLine carries the first line it sent)."""
    if timed_out or isinstance(exc, TimeoutError):
        return f"No complete answer within {timeout:g} s: timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "Connection refused"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "The endpoint closed the connection without answering"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"Its TLS certificate was not accepted: {exc.verify_message}"
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({exc.reason})" if exc.reason else "TLS failed"
    if isinstance(exc, http.client.HTTPException):
        return "The answer was not HTTP"
    if isinstance(exc, OSError) and exc.strerror:
        return f"Connection failed: {exc.strerror}"
    return "Connection failed"


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
            duration_ms=outcome.duration_ms,
        )
        held = WebhookEvent.objects.filter(pk=claim.event.pk, claim_token=claim.token).update(
            attempts=F("attempts") + 1, claim_token=None, claimed_until=None, **changes
        )
        if held:
            _settle_endpoint(claim, outcome, now)
    return state if held else "lost"


def _settle_endpoint(claim: Claim, outcome: Outcome, now: datetime) -> None:
    """Free the endpoint for its next delivery (unless its lease ran out and another thread has
    it now), and keep its count of failures in a row, pausing it at
    WEBHOOK_PAUSE_AFTER_FAILURES."""
    endpoint = WebhookEndpoint.objects.filter(pk=claim.event.endpoint_id)
    endpoint.filter(delivering_until=claim.until).update(delivering_until=None)
    if outcome.succeeded:
        endpoint.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return
    endpoint.update(consecutive_failures=F("consecutive_failures") + 1)
    limit = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    endpoint.filter(paused_at__isnull=True, consecutive_failures__gte=limit).update(
        paused_at=now,
        pause_reason=f"{limit} deliveries in a row failed. The last: {outcome.summary}."[:600],
    )


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
