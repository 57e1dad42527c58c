"""The demo's calendar (`manage.py seed_demo`): HISTORY_DAYS trading days, 09:00-18:00 each, and
the simulated clock the demo history is written by."""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.utils import timezone

HISTORY_DAYS = 75
# Each day's writes fall in opening hours, in the time zone the back office shows times in.
OPENING, CLOSING = time(9), time(18)


class SimulatedClock:
    """Stands in for `django.utils.timezone.now` while the demo is written, and only then
    (`with clock.running(): ...`).

    Why: the write path stamps each adjustment, ledger line, alert and stocktake step with
    `timezone.now()` as it writes them, and the ledger is append-only, so a history cannot be
    back-dated afterwards: demo history spanning past days has to be written *at* those days.
    Everything that reads the time as `timezone.now()` (the services, the stocktake functions,
    Django's auto_now fields) sees this clock. It only moves forward, at least a second per
    move, so ledger ids and times keep one order (the charts rely on it), and never beyond
    `end`, the real time at which seeding began.
    """

    def __init__(self, *, start: datetime, end: datetime) -> None:
        self.start = self._now = min(start, end)
        self.end = end

    def now(self) -> datetime:
        return self._now

    def move_to(self, when: datetime) -> None:
        self._now = min(max(when, self._now + timedelta(seconds=1)), self.end)

    @contextmanager
    def running(self) -> Iterator["SimulatedClock"]:
        # Patches the module attribute that `timezone.now()` callers look up at call time; the
        # real function is back when the block ends, also when a write in it raised.
        with mock.patch.object(timezone, "now", self.now):
            yield self


def history_clock() -> SimulatedClock:
    """A clock at the opening of the history's first trading day. The last trading day is the
    latest that has closed (today's, once it is past closing time)."""
    now = timezone.now()
    last_day = timezone.localdate(now)
    if moment(last_day, CLOSING) > now:
        last_day -= timedelta(days=1)
    first_day = last_day - timedelta(days=HISTORY_DAYS - 1)
    return SimulatedClock(start=moment(first_day, OPENING), end=now)


def moment(day: date, at: time) -> datetime:
    """`at` o'clock on `day` in the current time zone (DST-aware)."""
    return timezone.make_aware(datetime.combine(day, at))
