"""A location's activity, the dashboard's chart: stock adjustments per local day and source over
the last ACTIVITY_DAYS days, each adjustment counted once however many of its lines touched
the location, settings changes left out.

A busy location writes tens of thousands of ledger lines a day; counting a month of them on
every view cost the page nearly all of its time. So a closed day is counted once and kept
(`DailyActivity`): the ledger only appends, each line dated when it is written, so a day that
has ended never changes. Only the days not yet closed are counted on each view.

A day is closed LEDGER_SETTLED_AFTER after it ends, not at midnight: a write made just before
midnight commits its line, dated the day before, a moment later. The grace also covers a
replica that lags by less than that; a replica lagging further is not read
(inventory_project/replicas).

The kept counts hold every line at the location, so they serve a user from whom no open blind
count hides stock here. For one whom a blind count hides items from, every day is counted live
without those items' lines, as the rest of the history is shown to them."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine, DailyActivity
from inventory.models.ledger import LEDGER_SETTLED_AFTER
from inventory.reports.visibility import history_visible_to
from locations.models import Location

ACTIVITY_DAYS = 30

DayCounts = dict[date, dict[str, int]]  # day -> source code -> adjustments


@dataclass(frozen=True, slots=True)
class Activity:
    """Adjustments per day (oldest first) and source, over the last ACTIVITY_DAYS days."""

    days: list[date]
    by_source: dict[str, list[int]]  # source label -> count per day

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.by_source.values())


def location_activity(
    location: Location, user: AbstractBaseUser, now: datetime, *, hidden: bool
) -> Activity:
    """`hidden`: an open blind count hides some of the location's stock from `user`."""
    today = timezone.localdate(now)
    days = [today - timedelta(days=back) for back in range(ACTIVITY_DAYS - 1, -1, -1)]
    lines = history_visible_to(user).filter(location=location)
    if hidden:
        counts = _count(lines, since=days[0])
    else:
        first_open = max(days[0], timezone.localdate(now - LEDGER_SETTLED_AFTER))
        closed = [day for day in days if day < first_open]
        counts = _kept(location, closed) | _count(lines, since=first_open)
    return Activity(
        days=days,
        by_source={
            label: [counts.get(day, {}).get(source, 0) for day in days]
            for source, label in Adjustment.Source.choices
        },
    )


def _kept(location: Location, closed: list[date]) -> DayCounts:
    """The closed days' counts, counting (once, in one query) and keeping the days not kept yet.
    Two concurrent views may both count a day; the second's rows are dropped as duplicates."""
    if not closed:
        return {}
    zone = timezone.get_current_timezone_name()
    kept: DayCounts = {
        row.day: row.adjustments
        for row in DailyActivity.objects.filter(
            location=location, time_zone=zone, day__range=(closed[0], closed[-1])
        )
    }
    missing = [day for day in closed if day not in kept]
    if missing:
        lines = AdjustmentLine.objects.filter(location=location)
        counted = _count(lines, since=missing[0], until=closed[-1] + timedelta(days=1))
        fresh = {day: counted.get(day, {}) for day in missing}
        DailyActivity.objects.bulk_create(
            [
                DailyActivity(location=location, time_zone=zone, day=day, adjustments=counts)
                for day, counts in fresh.items()
            ],
            ignore_conflicts=True,
        )
        kept |= fresh
    return kept


def _count(lines: QuerySet[AdjustmentLine], *, since: date, until: date | None = None) -> DayCounts:
    """Adjustments per local day and source among `lines`, from `since` (up to `until`)."""
    lines = lines.filter(created_at__gte=_start_of(since))
    if until is not None:
        lines = lines.filter(created_at__lt=_start_of(until))
    # Each line looks its adjustment up by primary key, rather than joining the adjustments:
    # the planner would hash the whole table of them to match one day's lines.
    adjustment = Adjustment.objects.filter(pk=OuterRef("adjustment_id"))
    rows = (
        lines.annotate(
            day=TruncDate("created_at"),
            source=Subquery(adjustment.exclude(kind=Adjustment.Kind.SETTINGS).values("source")),
        )
        .order_by()
        .values("day", "source")
        .annotate(adjustments=Count("adjustment_id", distinct=True))
    )
    counts: DayCounts = defaultdict(dict)
    for row in rows:
        if row["source"] is not None:  # None: settings changes
            counts[row["day"]][row["source"]] = row["adjustments"]
    return dict(counts)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))
