"""How webhook requests are signed, and how a receiver checks them.

Every POST carries:

    X-Stockroom-Event-Id:  the event's UUID; the same on every retry of that event, so a
                           receiver that stores the ids it processed can drop duplicates
                           (delivery is at least once).
    X-Stockroom-Event:     the scope, e.g. store/channel/*/inventory/product/stock_changed
    X-Stockroom-Timestamp: Unix seconds when this attempt was signed
    X-Stockroom-Signature: t=<timestamp>,v1=<hex HMAC-SHA256>

The signature is HMAC-SHA256, keyed with the endpoint's secret (the whole string shown in the
admin, `whsec_…`, as UTF-8), over the timestamp, a full stop, and the raw request body bytes:

    import hashlib, hmac, time

    def verify(secret: str, signature_header: str, body: bytes, tolerance=300) -> bool:
        fields = dict(part.split("=", 1) for part in signature_header.split(","))
        signed = fields["t"].encode() + b"." + body
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        fresh = abs(time.time() - int(fields["t"])) <= tolerance
        return fresh and hmac.compare_digest(expected, fields["v1"])

Use the body exactly as received (before any JSON parsing); refuse stale timestamps, so a
captured request cannot be replayed later; compare in constant time. Answer 2xx once the
event is safely stored: anything else (or no answer within WEBHOOK_TIMEOUT_SECONDS) is retried.
"""

import hashlib
import hmac
import time

EVENT_ID_HEADER = "X-Stockroom-Event-Id"
SCOPE_HEADER = "X-Stockroom-Event"
TIMESTAMP_HEADER = "X-Stockroom-Timestamp"
SIGNATURE_HEADER = "X-Stockroom-Signature"
DEFAULT_TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `timestamp.body` under `secret`."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """The recipe above: True when `header` signs `body` under `secret` and is fresh."""
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), given)
