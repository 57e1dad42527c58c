"""The totals a stocktake's review shows over every line: how many were counted and not, the
variance in units, and how many lines applying would change by more than the threshold.

Summed by the database in one statement: the lines joined with their balances and with the
ledger's movements since each line was counted. Its rules are the selectors' `will_set` and
`zeroed`, in their SQL forms.

Summing a 100,000-line count reads every line and balance; a review reads far less. Once the
lines are final (`keep`, at submit and when late scans are added), their totals are summed as
of a moment LEDGER_SETTLED_AFTER ago and kept. An item with no ledger line at the location
since then counts now exactly as it did then. So a review takes the kept totals and, for the
items that moved since (what the store sold and received, not its size), takes out their part
as of then and puts in their part now: exact, and as cheap at 100,000 lines as at 1,000."""

from dataclasses import asdict, dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from inventory.models import AdjustmentLine, Balance, Stocktake, StocktakeLine, StocktakeTotals
from inventory.models.ledger import LEDGER_SETTLED_AFTER
from inventory.sql import db_datetime, table
from inventory.stocktakes.selectors import variance_threshold, will_set_sql, zeroed_sql

# Each ledger line at the location written after its item was counted: the lines since the
# count's first count (a range of the created_at index, however long the history), each held
# against its own line's count time through the (stocktake, item) index.
MOVED_SINCE_COUNTED = """
SELECT a.item_id, SUM(a.delta) AS total
FROM {ledger} a
WHERE a.location_id = %(location)s
  AND a.created_at > (SELECT MIN(f.counted_at) FROM {line} f
                      WHERE f.stocktake_id = %(stocktake)s AND f.counted_quantity IS NOT NULL)
  AND a.created_at > (SELECT c.counted_at FROM {line} c
                      WHERE c.stocktake_id = %(stocktake)s AND c.item_id = a.item_id)
  {until}
GROUP BY a.item_id
"""

MOVED_SINCE_START = """
SELECT a.item_id, SUM(a.delta) AS total
FROM {ledger} a
WHERE a.location_id = %(location)s AND a.created_at > %(started)s {until}
GROUP BY a.item_id
"""

# The items that moved at the location after `as_of`, with their net movement since.
MOVED_LATER = """
SELECT a.item_id, SUM(a.delta) AS total
FROM {ledger} a
WHERE a.location_id = %(location)s AND a.created_at > %(as_of)s
GROUP BY a.item_id
"""

LINES = """
SELECT COUNT(l.counted_quantity),
       COUNT(*) - COUNT(l.counted_quantity),
       SUM(l.counted_quantity - l.expected_quantity),
       SUM(CASE WHEN NOT l.left_out AND ({sets}) IS NOT NULL
                     AND ABS(({sets}) - ({on_hand})) > %(limit)s
                THEN 1 ELSE 0 END)
FROM {line} l
{later}
LEFT JOIN {balance} b ON b.location_id = %(location)s AND b.item_id = l.item_id
LEFT JOIN ({moved}) m ON m.item_id = l.item_id
WHERE l.stocktake_id = %(stocktake)s
"""

# A whole-location count's other items: the location's balances holding stock that no line
# names. Applying leaves them as they are, or (zero_uncounted) sets them to `zeroed`.
OTHERS = """
SELECT COUNT(*), SUM(CASE WHEN {zeroing} AND ABS(({zeroed}) - ({on_hand})) > %(limit)s
                          THEN 1 ELSE 0 END)
FROM {balance} b
{later}
{since_start}
WHERE b.location_id = %(location)s AND ({on_hand}) <> 0
  AND NOT EXISTS (SELECT 1 FROM {line} l
                  WHERE l.stocktake_id = %(stocktake)s AND l.item_id = b.item_id)
"""


@dataclass(frozen=True, slots=True)
class ReviewTotals:
    counted: int
    not_counted: int  # the count's uncounted lines, and a whole-location count's other items
    variance: int  # counted minus expected at count, over every counted line
    over: int  # lines whose change to on-hand now is over the threshold

    @classmethod
    def of(cls, stocktake: Stocktake) -> "ReviewTotals":
        """The totals now. `over` counts what applying would write
        (`selectors.lines_over_threshold` of `selectors.lines_to_apply`), so it is what
        approval is decided on. From the kept totals where there are some, counted against
        the location's threshold of now; else summed over every line."""
        limit = variance_threshold(stocktake.location)
        kept = None
        if stocktake.status == Stocktake.Status.SUBMITTED:  # sent back, its lines change again
            kept = StocktakeTotals.objects.filter(stocktake=stocktake, threshold=limit).first()
        if kept is None:
            return _summed(stocktake, limit)
        return cls.from_kept(stocktake, kept)

    @classmethod
    def from_kept(cls, stocktake: Stocktake, kept: StocktakeTotals) -> "ReviewTotals":
        """The kept totals less the part of the items moved since, as it stood then, plus
        their part now."""
        then = _summed(stocktake, kept.threshold, as_of=kept.as_of, moved_after=kept.as_of)
        now = _summed(stocktake, kept.threshold, moved_after=kept.as_of)
        return cls(
            counted=kept.counted,
            not_counted=kept.not_counted - then.not_counted + now.not_counted,
            variance=kept.variance,
            over=kept.over - then.over + now.over,
        )


def keep(stocktake: Stocktake) -> StocktakeTotals:
    """Sum the totals as of LEDGER_SETTLED_AFTER ago and keep them. Call whenever the lines
    are final for review, in the same transaction: submitting, adding late scans."""
    limit = variance_threshold(stocktake.location)
    as_of = timezone.now() - LEDGER_SETTLED_AFTER
    totals = _summed(stocktake, limit, as_of=as_of)
    kept, _ = StocktakeTotals.objects.update_or_create(
        stocktake=stocktake, defaults={"as_of": as_of, "threshold": limit, **asdict(totals)}
    )
    return kept


def _summed(
    stocktake: Stocktake,
    limit: int,
    *,
    as_of: datetime | None = None,
    moved_after: datetime | None = None,
) -> ReviewTotals:
    """The totals summed by the database, in one query. `as_of`: as they stood then, every
    movement since taken back out (on-hand then is on-hand now less what moved since).
    `moved_after`: only the items that moved at the location after that moment."""
    names = {"ledger": table(AdjustmentLine), "line": table(StocktakeLine)}
    names["balance"] = table(Balance)
    params = {"stocktake": stocktake.pk, "location": stocktake.location_id, "limit": limit}
    later_since = moved_after or as_of
    later = ""
    if later_since is not None:
        params["as_of"] = db_datetime(later_since)
        join = "LEFT JOIN" if moved_after is None else "JOIN"
        later = f"{join} ({MOVED_LATER.format(**names)}) t ON t.item_id = {{alias}}.item_id"
    until = ""
    on_hand = "COALESCE(b.quantity, 0)"
    if as_of is not None:
        until = "AND a.created_at <= %(until)s"
        params["until"] = db_datetime(as_of)
        on_hand = "COALESCE(b.quantity, 0) - COALESCE(t.total, 0)"
    moved = MOVED_SINCE_COUNTED.format(until=until, **names)
    sets = will_set_sql("l.counted_quantity", "COALESCE(m.total, 0)", stocktake.zero_uncounted)
    sql = LINES.format(
        sets=sets, on_hand=on_hand, moved=moved, later=later.format(alias="l"), **names
    )
    if stocktake.full:
        zeroing = stocktake.zero_uncounted
        since_start = ""
        if zeroing:
            params["started"] = db_datetime(stocktake.created_at)
            since_start = (
                f"LEFT JOIN ({MOVED_SINCE_START.format(until=until, **names)}) s"
                " ON s.item_id = b.item_id"
            )
        others = OTHERS.format(
            zeroing="1 = 1" if zeroing else "1 = 0",
            zeroed=zeroed_sql("COALESCE(s.total, 0)") if zeroing else "0",
            on_hand=on_hand,
            later=later.format(alias="b"),
            since_start=since_start,
            **names,
        )
        sql = f"SELECT * FROM ({sql}) lines CROSS JOIN ({others}) others"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        counted, waiting, variance, over, *rest = cursor.fetchone()
    others, others_over = rest or (0, 0)
    return ReviewTotals(
        counted=counted,
        not_counted=waiting + others,
        variance=variance or 0,
        over=(over or 0) + (others_over or 0),
    )
