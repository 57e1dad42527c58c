"""Reads behind the stock history charts: on-hand over time of a balance, or of an item.

History charts cost the same few queries whether a balance has ten ledger lines or a million,
and draw about the same number of points: the latest MARKED changes come one by one (each gets
a marker, the newest LISTED are listed beside the chart), and the older changes of the chosen
range are grouped in SQL into at most BUCKETS steps, each with the lowest and highest on-hand it
went through. Values are worked out backwards from the on-hand of today, so a chart of several
locations (an item's) is exactly the sum of its balances.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import connections, router
from django.db.models import Q, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.reports.charts import Band, Marker, StockSeries
from inventory.reports.moving_stock import DOCUMENT_JOINS
from inventory.reports.visibility import balances_visible_to
from inventory.sql import db_datetime, in_values, table

RANGES = {
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
    "1y": ("1 year", timedelta(days=365)),
    "all": ("All", None),
}
DEFAULT_RANGE = "90d"
MARKED = 30  # latest changes drawn one by one, with a marker each
LISTED = 10  # of which the newest are listed beside the chart
BUCKETS = 60  # older changes in the range are grouped into at most this many steps

# --- history charts --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LineChange:
    """What one adjustment did to one balance."""

    location_code: str
    before: int
    after: int


@dataclass(slots=True)
class Change:
    """One adjustment as a chart shows it: when, who, why, and the charted on-hand around it."""

    adjustment: Adjustment
    at: datetime
    lines: list[LineChange] = field(default_factory=list)
    delta: int = 0
    before: int = 0
    after: int = 0
    why: str = ""  # the note as its page shows it (the admin's, with its document linked)

    @property
    def url(self) -> str:
        return reverse("admin:inventory_adjustment_change", args=[self.adjustment.pk])

    @property
    def signed_delta(self) -> str:
        return f"{self.delta:+,d}" if self.delta else "±0"


@dataclass(frozen=True, slots=True)
class History:
    series: StockSeries
    changes: list[Change]  # newest first, at most LISTED
    range_key: str


@dataclass(slots=True)
class _Bucket:
    first_id: int
    last_id: int
    delta: int
    low: int  # running sums from the start of the grouped part; made absolute later
    high: int
    lines: int
    after: int = 0


def chart_range(value: str | None) -> str:
    """The range asked for in the query string, or the default."""
    return value if value in RANGES else DEFAULT_RANGE


def balance_history(balance: Balance, *, range_key: str, now: datetime | None = None) -> History:
    """On-hand of one balance over the range, its latest changes marked and listed."""
    return _history(
        item_id=balance.item_id,
        location_ids=[balance.location_id],
        on_hand=balance.quantity,
        warning_level=balance.warning_level,
        label=f"On-hand of {balance.item.sku} at {balance.location.code}",
        range_key=range_key,
        now=now or timezone.now(),
    )


def item_history(
    item: Item, *, user: AbstractBaseUser, range_key: str, now: datetime | None = None
) -> History:
    """On-hand of an item summed over the locations `user` may see (ledger lines only exist
    where a balance row does, so those balances name every location to chart)."""
    quantities = dict(
        balances_visible_to(user).filter(item=item).values_list("location", "quantity")
    )
    return _history(
        item_id=item.pk,
        location_ids=sorted(quantities),
        on_hand=sum(quantities.values()),
        warning_level=0,  # warning levels are per location: a sum of them means nothing
        label=f"On-hand of {item.sku}, {len(quantities)} locations together",
        range_key=range_key,
        now=now or timezone.now(),
    )


def _history(
    *,
    item_id: int,
    location_ids: Sequence[int],
    on_hand: int,
    warning_level: int,
    label: str,
    range_key: str,
    now: datetime,
) -> History:
    length = RANGES[range_key][1]
    since = now - length if length else None
    recent = list(
        _ledger(item_id, location_ids)
        .select_related(
            "adjustment__actor",
            "adjustment__api_client",
            "location",
            *(f"adjustment__{join}" for join in DOCUMENT_JOINS),
        )
        .order_by("-id")[:MARKED]
    )
    changes = _changes(recent, on_hand)
    buckets = _older_buckets(
        item_id, location_ids, since=since, before_id=recent[-1].pk if recent else None
    )
    times, first_at = _times(item_id, location_ids, buckets)
    shown = [change for change in changes if since is None or change.at >= since]
    start_value = _place_buckets(buckets, changes[-1].before if changes else on_hand)
    if not buckets:  # nothing grouped: the range opens before the oldest change it shows
        start_value = shown[-1].before if shown else on_hand
    start = _chart_start(since, first_at, now)
    series = StockSeries(
        start=timezone.localtime(start),
        end=timezone.localtime(now),
        start_value=start_value,
        steps=[(times[b.last_id], b.after) for b in buckets]
        + [(change.at, change.after) for change in reversed(shown)],
        bands=[
            Band(start=times[b.first_id], end=times[b.last_id], low=b.low, high=b.high)
            for b in buckets
            if b.lines > 1
        ],
        markers=[_marker(change) for change in reversed(shown)],
        warning_level=warning_level,
        label=label,
    )
    return History(series=series, changes=changes[:LISTED], range_key=range_key)


def _ledger(item_id: int, location_ids: Sequence[int]):
    return AdjustmentLine.objects.filter(item_id=item_id, location_id__in=location_ids)


def _changes(lines: list[AdjustmentLine], on_hand: int) -> list[Change]:
    """The lines (newest first) grouped by adjustment, with the charted on-hand before and
    after each, worked back from today's."""
    changes: dict[int, Change] = {}
    for line in lines:
        change = changes.setdefault(
            line.adjustment_id, Change(adjustment=line.adjustment, at=line.created_at)
        )
        change.lines.append(
            LineChange(line.location.code, line.quantity_before, line.quantity_after)
        )
        change.delta += line.delta
    value = on_hand
    for change in changes.values():
        change.after, change.before = value, value - change.delta
        change.lines.sort(key=lambda line: line.location_code)
        value = change.before
    return list(changes.values())


# Lines older than the marked ones, in the range, grouped by id into at most BUCKETS groups of
# about equal size: busy stretches keep more detail than quiet ones. `running` is on-hand
# relative to just before the first grouped line, so each group's lowest and highest come out
# of one pass. Integer division on both databases (ids are integers).
BUCKETS_SQL = """
WITH chart_lines AS (
    SELECT id, delta FROM {line} WHERE {conditions}
), numbered AS (
    SELECT id, delta,
           SUM(delta) OVER (ORDER BY id) AS running,
           (id - MIN(id) OVER ()) * {buckets} / (MAX(id) OVER () - MIN(id) OVER () + 1) AS bucket
    FROM chart_lines
)
SELECT MIN(id), MAX(id), SUM(delta), MIN(running), MAX(running), COUNT(*)
FROM numbered GROUP BY bucket ORDER BY bucket
"""


def _older_buckets(
    item_id: int, location_ids: Sequence[int], *, since: datetime | None, before_id: int | None
) -> list[_Bucket]:
    """Always one query, even when there is nothing older: the page costs the same for a
    balance with ten lines as for one with a million."""
    conditions, params = ["item_id = %s"], [item_id]
    location_condition, location_params = in_values("location_id", location_ids, "bigint")
    conditions.append(location_condition)
    params += location_params
    if since is not None:
        conditions.append("created_at >= %s")
        params.append(db_datetime(since))
    if before_id is not None:
        conditions.append("id < %s")
        params.append(before_id)
    sql = BUCKETS_SQL.format(
        line=table(AdjustmentLine), conditions=" AND ".join(conditions), buckets=BUCKETS
    )
    # Where the ledger's other reads go: a replica, when the page may read one.
    with connections[router.db_for_read(AdjustmentLine)].cursor() as cursor:
        cursor.execute(sql, params)
        return [_Bucket(*(int(value) for value in row)) for row in cursor.fetchall()]


def _times(
    item_id: int, location_ids: Sequence[int], buckets: list[_Bucket]
) -> tuple[dict[int, datetime], datetime | None]:
    """When each group began and ended, and when the charted history began (its first line
    ever), in one query."""
    first_line = _ledger(item_id, location_ids).order_by("id").values("pk")[:1]
    ids = [bucket.first_id for bucket in buckets] + [bucket.last_id for bucket in buckets]
    rows = dict(
        AdjustmentLine.objects.filter(Q(pk__in=ids) | Q(pk=Subquery(first_line))).values_list(
            "pk", "created_at"
        )
    )
    return rows, rows[min(rows)] if rows else None


def _place_buckets(buckets: list[_Bucket], end_value: int) -> int:
    """Turn the groups' relative sums into on-hand, given on-hand after the last group; returns
    on-hand before the first."""
    value = end_value
    for bucket in reversed(buckets):
        bucket.after = value
        value -= bucket.delta
    for bucket in buckets:
        bucket.low, bucket.high = value + bucket.low, value + bucket.high
    return value


def _chart_start(since: datetime | None, first_at: datetime | None, now: datetime) -> datetime:
    """The range's start, or a little before the first change when the history is younger,
    so the chart does not open with a long empty stretch."""
    if first_at is None:
        return since or now - timedelta(days=1)
    lead = max((now - first_at) / 25, timedelta(minutes=1))
    return max(since, first_at - lead) if since else first_at - lead


def _marker(change: Change) -> Marker:
    return Marker(
        at=change.at, value=change.after, delta=change.delta, title=describe(change), url=change.url
    )


def describe(change: Change) -> str:
    """A marker's tooltip: when, who, how, why, and what it did."""
    adjustment = change.adjustment
    when = date_format(timezone.localtime(change.at), "DATETIME_FORMAT")
    kind = f"{adjustment.get_kind_display()} · {adjustment.get_source_display()}"
    if len(change.lines) == 1:
        line = change.lines[0]
        effect = f"{line.before:,} → {line.after:,} ({change.signed_delta})"
    else:
        parts = [f"{line.location_code} {line.before:,} → {line.after:,}" for line in change.lines]
        effect = f"{', '.join(parts)} ({change.signed_delta} in all)"
    return f"{when} · {adjustment.made_by}\n{kind}: {reason_text(adjustment)}\n{effect}"


def reason_text(adjustment: Adjustment) -> str:
    """Why, in words: the reason's name, the note and the reference, each only when given."""
    parts = [
        adjustment.get_reason_code_display() if adjustment.reason_code else "",
        adjustment.reason,
        f"Ref. {adjustment.reference}" if adjustment.reference else "",
    ]
    return " · ".join(part for part in parts if part) or "(no reason given)"


# --- per-location dashboard ------------------------------------------------------------------
