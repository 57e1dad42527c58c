"""The totals a stocktake's review shows over every line: how many were counted and not, the
variance in units, and how many lines applying would change by more than the threshold.

One statement whatever the count's size: the lines joined with their balances and with the
ledger's movements since each line was counted, summed by the database. Building each line in
Python to add them up (`selectors.lines_to_apply`) cost a 100,000-line review most of its time.
Its rules are the selectors' `will_set` and `zeroed`, in their SQL forms."""

from dataclasses import dataclass

from django.db import connection

from inventory.models import AdjustmentLine, Balance, Stocktake, StocktakeLine
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
GROUP BY a.item_id
"""

MOVED_SINCE_START = """
SELECT a.item_id, SUM(a.delta) AS total
FROM {ledger} a
WHERE a.location_id = %(location)s AND a.created_at > %(started)s
GROUP BY a.item_id
"""

LINES = """
SELECT COUNT(l.counted_quantity),
       COUNT(*) - COUNT(l.counted_quantity),
       SUM(l.counted_quantity - l.expected_quantity),
       SUM(CASE WHEN NOT l.left_out AND ({sets}) IS NOT NULL
                     AND ABS(({sets}) - COALESCE(b.quantity, 0)) > %(limit)s
                THEN 1 ELSE 0 END)
FROM {line} l
LEFT JOIN {balance} b ON b.location_id = %(location)s AND b.item_id = l.item_id
LEFT JOIN ({moved}) m ON m.item_id = l.item_id
WHERE l.stocktake_id = %(stocktake)s
"""

# A whole-location count's other items: the location's balances holding stock that no line
# names. Applying leaves them as they are, or (zero_uncounted) sets them to `zeroed`.
OTHERS = """
SELECT COUNT(*), SUM(CASE WHEN {zeroing} AND ABS(({zeroed}) - b.quantity) > %(limit)s
                          THEN 1 ELSE 0 END)
FROM {balance} b
{since_start}
WHERE b.location_id = %(location)s AND b.quantity <> 0
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
        """Every line's numbers, read in one query; `over` counts what applying would write
        (`selectors.lines_over_threshold` of `selectors.lines_to_apply`), so it is what
        approval is decided on."""
        names = {"ledger": table(AdjustmentLine), "line": table(StocktakeLine)}
        names["balance"] = table(Balance)
        params = {
            "stocktake": stocktake.pk,
            "location": stocktake.location_id,
            "limit": variance_threshold(stocktake.location),
        }
        moved = MOVED_SINCE_COUNTED.format(**names)
        sets = will_set_sql("l.counted_quantity", "COALESCE(m.total, 0)", stocktake.zero_uncounted)
        sql = LINES.format(sets=sets, moved=moved, **names)
        if stocktake.full:
            zeroing = stocktake.zero_uncounted
            since_start = ""
            if zeroing:
                params["started"] = db_datetime(stocktake.created_at)
                since_start = (
                    f"LEFT JOIN ({MOVED_SINCE_START.format(**names)}) s ON s.item_id = b.item_id"
                )
            others = OTHERS.format(
                zeroing="1 = 1" if zeroing else "1 = 0",
                zeroed=zeroed_sql("COALESCE(s.total, 0)") if zeroing else "0",
                since_start=since_start,
                **names,
            )
            sql = f"SELECT * FROM ({sql}) lines CROSS JOIN ({others}) others"
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            counted, waiting, variance, over, *rest = cursor.fetchone()
        others, others_over = rest or (0, 0)
        return cls(
            counted=counted,
            not_counted=waiting + others,
            variance=variance or 0,
            over=(over or 0) + (others_over or 0),
        )
