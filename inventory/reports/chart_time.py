"""The time axis of the charts (inventory/reports/charts.py): where its ticks fall and what
they say, in the datetimes' own time zone."""

from datetime import datetime, timedelta

_CLOCK_STEPS = [timedelta(minutes=m) for m in (1, 5, 10, 15, 30, 60, 120, 180, 360, 720)]
_DAY_STEPS = [1, 2, 7, 14]
_MONTH_STEPS = [1, 2, 3, 6, 12]
MAX_TIME_LABELS = 6
_HOURLY = _CLOCK_STEPS[-1] * MAX_TIME_LABELS  # up to 3 days: times of day
_DAILY = timedelta(days=_DAY_STEPS[-1] * MAX_TIME_LABELS)  # up to 12 weeks: days


def time_ticks(start: datetime, end: datetime) -> list[datetime]:
    """Round moments between start and end (whole minutes or hours, midnights, or firsts of
    months), at most MAX_TIME_LABELS of them, in the datetimes' own time zone."""
    span = end - start
    midnight = start.replace(hour=0, minute=0, second=0, microsecond=0)
    for step in _CLOCK_STEPS:
        if span <= step * MAX_TIME_LABELS:
            return _every(midnight + (start - midnight) // step * step, end, step, after=start)
    for days in _DAY_STEPS:
        if span <= timedelta(days=days * MAX_TIME_LABELS):
            return _every(midnight, end, timedelta(days=days), after=start)
    for months in [*_MONTH_STEPS, *range(24, 1200, 12)]:
        if span <= timedelta(days=31 * months * MAX_TIME_LABELS):
            return _months(start, end, months)
    return [start, end]


def _every(first: datetime, end: datetime, step: timedelta, *, after: datetime) -> list[datetime]:
    ticks, moment = [], first
    while moment <= end:
        if moment >= after:
            ticks.append(moment)
        moment += step
    return ticks


def _months(start: datetime, end: datetime, months: int) -> list[datetime]:
    """Firsts of months between start and end, every `months` months (counted from a January)."""
    ticks = []
    moment = start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while moment <= end:
        if moment >= start and (moment.year * 12 + moment.month - 1) % months == 0:
            ticks.append(moment)
        year, month = divmod(moment.month, 12)
        moment = moment.replace(year=moment.year + year, month=month + 1)
    return ticks


def tick_text(moment: datetime, span: timedelta) -> str:
    """A tick's label: a time of day, a day, a month, or a month and year, by the span shown."""
    midnight = not (moment.hour or moment.minute)
    if span <= _HOURLY and not midnight:
        return f"{moment:%H:%M}"
    if span <= _DAILY:
        return f"{moment.day} {moment:%b}"
    return f"{moment:%b %Y}" if moment.month == 1 or span > timedelta(days=400) else f"{moment:%b}"
