"""Is a replica fit to serve a read: one query on it, answering whether it is up, replayed past
the reader's last write, and not lagging past DATABASE_REPLICA_MAX_LAG_SECONDS."""

import contextlib
import itertools
import logging
import time

from django.conf import settings
from django.db import Error, connections

logger = logging.getLogger(__name__)

# An idle primary sends no WAL, so the age of the last replayed transaction grows on a replica
# that is fully caught up: it only measures lag while the replica has received WAL it has not
# replayed yet, or has lost its connection to the primary (then it cannot know what it lacks).
CHECK_SQL = """
SELECT pg_is_in_recovery(),
       pg_last_wal_replay_lsn() >= %s::pg_lsn,
       pg_last_wal_replay_lsn() >= pg_last_wal_receive_lsn()
           AND EXISTS (SELECT FROM pg_stat_wal_receiver),
       EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
"""
NO_WRITE_TO_WAIT_FOR = "0/0"

# Process-wide: a replica that failed to answer, left out until this monotonic time.
_down_until: dict[str, float] = {}
_turns = itertools.count()


def choose_replica(after_lsn: str | None) -> str | None:
    """The first fit replica, starting from a different one each time (round-robin per
    process); None: read from the primary."""
    aliases = settings.DATABASE_REPLICAS
    if not aliases:
        return None
    start = next(_turns) % len(aliases)
    for alias in aliases[start:] + aliases[:start]:
        if _down_until.get(alias, 0.0) > time.monotonic():
            continue
        if is_fit(alias, after_lsn or NO_WRITE_TO_WAIT_FOR):
            return alias
    return None


def is_fit(alias: str, after_lsn: str) -> bool:
    try:
        in_recovery, caught_up, replayed_all, lag_seconds = _check(alias, after_lsn)
    except Error as error:
        mark_down(alias, error)
        return False
    if not in_recovery or not caught_up:
        return False
    return bool(replayed_all) or (
        lag_seconds is not None and lag_seconds <= settings.DATABASE_REPLICA_MAX_LAG_SECONDS
    )


def _check(alias: str, after_lsn: str) -> tuple:
    with connections[alias].cursor() as cursor:
        cursor.execute(CHECK_SQL, [after_lsn])
        return cursor.fetchone()


def mark_down(alias: str, error: Exception) -> None:
    retry = settings.DATABASE_REPLICA_RETRY_SECONDS
    logger.warning(
        "Replica %s did not answer (%s); reads go to the primary for %s s.", alias, error, retry
    )
    _down_until[alias] = time.monotonic() + retry
    with contextlib.suppress(Error):
        connections[alias].close()


def forget_down_marks() -> None:
    """For tests: every replica is tried again at the next read."""
    _down_until.clear()
