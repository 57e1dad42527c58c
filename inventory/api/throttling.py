"""Rate limits, BigCommerce-style: a fixed window of `API_RATE_LIMIT_WINDOW_SECONDS` in which a
caller may make `API_RATE_LIMIT_REQUESTS` requests.

Every request that presents a token is counted when the token is checked (inventory/api/auth.py),
before anything else can refuse it: against its client when the token is valid (a missing scope
is counted too), against the caller's address (REMOTE_ADDR) when it is not, so guessing tokens
runs into the same quota as using one.

The counts must be shared by every process of a deployment, or each worker grants the whole
quota again. `API_RATE_LIMIT_STORE` says where they live:
- `database` (the default without Redis): one row per caller and window, bumped with one atomic
  upsert (`INSERT … ON CONFLICT DO UPDATE … RETURNING`, the same SQL on SQLite and PostgreSQL);
- `cache`: Django's `default` cache, atomic and shared when `CACHE_URL` is Redis. A per-process
  cache (locmem) or one whose increments are not atomic (the database cache) cannot enforce the
  quota: `manage.py check --deploy` warns about it (inventory/checks.py).
Every response to a valid token carries BigCommerce's headers (RateLimitHeadersMiddleware)."""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from rest_framework import exceptions
from rest_framework.request import Request

from inventory.models import ApiClient, RateLimitCounter

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Where a caller stands in its current window."""

    quota: int
    used: int
    window_ms: int
    reset_ms: int

    @property
    def left(self) -> int:
        return max(0, self.quota - self.used)

    @property
    def exceeded(self) -> bool:
        return self.used > self.quota

    def headers(self) -> dict[str, str]:
        return {
            "X-Rate-Limit-Time-Window-Ms": str(self.window_ms),
            "X-Rate-Limit-Time-Reset-Ms": str(self.reset_ms),
            "X-Rate-Limit-Requests-Quota": str(self.quota),
            "X-Rate-Limit-Requests-Left": str(self.left),
        }


def admit_client(request: Request, client: ApiClient) -> None:
    """Count a request made with `client`'s valid token; 429 (Throttled) beyond the quota. The
    standing is left on the Django request, where RateLimitHeadersMiddleware finds it."""
    rate_limit = count_request(f"client:{client.pk}")
    request._request.rate_limit = rate_limit
    _refuse_if_exceeded(rate_limit)


def admit_bad_credentials(request: Request) -> None:
    """Count a request whose token is not valid against the caller's address; 429 beyond the
    quota (the caller then learns nothing more about the tokens it tries)."""
    _refuse_if_exceeded(count_request(f"address:{request.META.get('REMOTE_ADDR', '')}"))


def _refuse_if_exceeded(rate_limit: RateLimit | None) -> None:
    if rate_limit is not None and rate_limit.exceeded:
        raise exceptions.Throttled(wait=rate_limit.reset_ms / 1000)


def count_request(bucket: str) -> RateLimit | None:
    """Count one request of `bucket` (a caller) in its current window. None when the store is
    down: a rate limiter outage should not take the inventory API down with it."""
    window_ms = settings.API_RATE_LIMIT_WINDOW_SECONDS * 1000
    now_ms = int(time.time() * 1000)
    index = now_ms // window_ms
    expires_ms = (index + 1) * window_ms
    # The window length is part of the key so a changed setting starts clean counters.
    key = f"api-rate:{bucket}:{window_ms}:{index}"
    try:
        if settings.API_RATE_LIMIT_STORE == "cache":
            used = _count_in_cache(key, timeout=math.ceil(window_ms / 1000) + 1)
        else:
            used = _count_in_database(key, expires_ms=expires_ms, now_ms=now_ms)
    except Exception:
        logger.warning("Rate limit store unavailable; request not counted", exc_info=True)
        return None
    return RateLimit(
        quota=settings.API_RATE_LIMIT_REQUESTS,
        used=used,
        window_ms=window_ms,
        reset_ms=expires_ms - now_ms,
    )


def _count_in_cache(key: str, *, timeout: int) -> int:
    # `add` then `incr`: both atomic in Redis, so concurrent requests never lose a count. The
    # key outlives its window (whose index is in the key), so nothing needs to reset it.
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr, at the very end of a window
        cache.add(key, 0, timeout=timeout)
        return cache.incr(key)


_TABLE = RateLimitCounter._meta.db_table
_UPSERT = (
    f'INSERT INTO "{_TABLE}" ("key", "used", "expires_ms") VALUES (%s, 1, %s) '
    f'ON CONFLICT ("key") DO UPDATE SET "used" = "{_TABLE}"."used" + 1 RETURNING "used"'
)


def _count_in_database(key: str, *, expires_ms: int, now_ms: int) -> int:
    # One statement, so the read and the increment cannot interleave with another process's:
    # the row lock (PostgreSQL) or the write lock (SQLite) orders them.
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT, [key, expires_ms])
        (used,) = cursor.fetchone()
    if used == 1:
        # The first request of a caller's window: clear the windows that are over, so the
        # table holds about one row per recent caller.
        RateLimitCounter.objects.filter(expires_ms__lte=now_ms).delete()
    return used
