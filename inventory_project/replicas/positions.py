"""Read-your-writes: after a client writes, the primary's WAL position, kept in the cache
(shared by every process when CACHE_URL is Redis) for DATABASE_REPLICA_STICKY_SECONDS. A read
by that client uses a replica only once the replica has replayed that far."""

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error, connections
from django.http import HttpRequest

logger = logging.getLogger(__name__)

KEY = "replicas:wal:{client}"
# Further than any replica will ever replay: "read from the primary" while it is remembered.
UNKNOWN_POSITION = "FFFFFFFF/FFFFFFFF"


def client_of(request: HttpRequest) -> str | None:
    """Who wrote: the API token (hashed: it is a secret), else the signed-in user, else nobody
    (an anonymous write changes nothing a later read could miss)."""
    token = request.META.get("HTTP_X_AUTH_TOKEN", "")
    scheme, _, bearer = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if not token and scheme.lower() == "bearer":
        token = bearer
    token = (token or request.GET.get("token", "")).strip()
    if token:
        return "token:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    session = getattr(request, "session", None)
    user_id = session.get(SESSION_KEY) if session is not None else None
    return f"user:{user_id}" if user_id else None


def remember_write(client: str | None) -> None:
    if client is None:
        return
    cache.set(
        KEY.format(client=client), _primary_position(), settings.DATABASE_REPLICA_STICKY_SECONDS
    )


def last_write(client: str | None) -> str | None:
    return cache.get(KEY.format(client=client)) if client is not None else None


def _primary_position() -> str:
    # The insert position, not the flushed one: it is past the end of every commit made so
    # far, this request's included, even with asynchronous commits.
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
            return cursor.fetchone()[0]
    except Error:
        logger.warning("Could not read the primary's WAL position; this client reads from it.")
        return UNKNOWN_POSITION
