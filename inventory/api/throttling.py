"""Rate limits per API client, BigCommerce-style: a fixed window of
`API_RATE_LIMIT_WINDOW_SECONDS` in which a client may make `API_RATE_LIMIT_REQUESTS` requests.

The counts live in Django's `default` cache, so every app process shares them when `CACHE_URL`
points at Redis. A window's counter is created with `cache.add` and bumped with `cache.incr`,
both atomic in Redis (and in the in-process cache), so concurrent requests never lose a count.
Every authenticated response carries BigCommerce's headers (RateLimitHeadersMiddleware)."""

import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from rest_framework.request import Request
from rest_framework.throttling import BaseThrottle

from inventory.models import ApiClient

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Where a client stands in its current window."""

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


def _window(*, client_id: int, now: float) -> tuple[str, int, int]:
    """The cache key of the current window, its length and the time left in it (ms)."""
    window_ms = settings.API_RATE_LIMIT_WINDOW_SECONDS * 1000
    now_ms = int(now * 1000)
    index = now_ms // window_ms
    # The window length is part of the key so a changed setting starts clean counters.
    key = f"api-rate:{client_id}:{window_ms}:{index}"
    return key, window_ms, (index + 1) * window_ms - now_ms


def count_request(*, client: ApiClient) -> RateLimit | None:
    """Count one request of `client` in its current window. None when the cache is down:
    a rate limiter outage should not take the inventory API down with it."""
    key, window_ms, reset_ms = _window(client_id=client.pk, now=time.time())
    # Outlives its window (whose index is in the key), so nothing needs to reset it.
    timeout = math.ceil(window_ms / 1000) + 1
    try:
        cache.add(key, 0, timeout=timeout)
        try:
            used = cache.incr(key)
        except ValueError:  # expired between add and incr, at the very end of a window
            cache.add(key, 0, timeout=timeout)
            used = cache.incr(key)
    except Exception:
        logger.warning("Rate limit cache unavailable; request not counted", exc_info=True)
        return None
    return RateLimit(
        quota=settings.API_RATE_LIMIT_REQUESTS, used=used, window_ms=window_ms, reset_ms=reset_ms
    )


def current(*, client: ApiClient) -> RateLimit | None:
    """Where `client` stands, without counting a request."""
    key, window_ms, reset_ms = _window(client_id=client.pk, now=time.time())
    try:
        used = cache.get(key, 0)
    except Exception:
        logger.warning("Rate limit cache unavailable", exc_info=True)
        return None
    return RateLimit(
        quota=settings.API_RATE_LIMIT_REQUESTS, used=used, window_ms=window_ms, reset_ms=reset_ms
    )


class ApiClientRateThrottle(BaseThrottle):
    """DRF throttle keyed by API client. Requests without a client (401s, the schema views)
    are not counted: there is nobody to count them against."""

    rate_limit: RateLimit | None = None

    def allow_request(self, request: Request, view: object) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return True
        self.rate_limit = count_request(client=client)
        # On the Django request, where RateLimitHeadersMiddleware finds it for the headers.
        request._request.rate_limit = self.rate_limit
        return self.rate_limit is None or not self.rate_limit.exceeded

    def wait(self) -> float | None:
        return None if self.rate_limit is None else self.rate_limit.reset_ms / 1000
