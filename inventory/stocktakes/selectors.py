"""What a stocktake's review shows and what applying it writes: each line's variance, the ledger
movements since it was counted, and the on-hand applying will set (the count-time rule, in
`inventory.stocktakes.services`' docstring). Reads only."""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, Min, OuterRef, QuerySet, Subquery, Sum

from inventory.models import (
    AdjustmentLine,
    Balance,
    Item,
    Stocktake,
    StocktakeLine,
    StocktakeRecount,
    StocktakeScan,
)
from inventory.stock import LineInput
from locations.models import Location

Status = Stocktake.Status


def variance_threshold(location: Location) -> int:
    if location.stocktake_variance_threshold is not None:
        return location.stocktake_variance_threshold
    return settings.STOCKTAKE_VARIANCE_THRESHOLD


def lines_over_threshold(stocktake: Stocktake, lines: list[LineInput]) -> int:
    """How many of the lines applying writes change on-hand by more than the threshold:
    every line counts, items nobody counted that applying sets to 0 included."""
    limit = variance_threshold(stocktake.location)
    return sum(1 for line in lines if abs(line.quantity - line.expected_quantity) > limit)


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """What review shows for one item, and what applying will set."""

    item: Item
    line_id: int | None  # None: an item of the location that the count has no line for
    counted: int | None
    counted_at: object
    expected_at_count: int | None
    moved_since: int
    on_hand_now: int
    will_set: int | None
    recounts: tuple[StocktakeRecount, ...] = ()  # earlier counts a manager sent back, oldest first

    @property
    def variance(self) -> int | None:
        if self.counted is None or self.expected_at_count is None:
            return None
        return self.counted - self.expected_at_count

    @property
    def change(self) -> int | None:
        """What applying does to on-hand now: what the threshold is measured on."""
        return None if self.will_set is None else self.will_set - self.on_hand_now


def review(stocktake: Stocktake) -> list[ReviewLine]:
    """Every line with its variance, the movements since it was counted, and the on-hand that
    applying will set; uncounted items of the location too (set to 0 only with
    `zero_uncounted`). A constant number of queries whatever the stocktake's size."""
    lines = stocktake.lines.select_related("item").order_by("item__sku")
    reviewed = reviewed_lines(stocktake, lines, whole=True)
    if stocktake.full:
        reviewed += _uncounted(stocktake)
    return reviewed


def reviewed_lines(
    stocktake: Stocktake, lines: QuerySet[StocktakeLine], *, whole: bool = False
) -> list[ReviewLine]:
    """`lines` of the stocktake as review shows them, reading the movements and on-hand of
    their items only: a page of a 100,000-line count reads a page's worth. `whole`: they are
    all its lines, read without a list of ids that would grow with the count. Five queries,
    with `lines` read with their items (`counted_lines`)."""
    lines = list(lines)
    items = None if whole else [line.item_id for line in lines]
    moved, now = _moved_since_counted(stocktake, items), _on_hand(stocktake, items)
    history = recount_history(stocktake)
    return [
        ReviewLine(
            item=line.item,
            line_id=line.pk,
            counted=line.counted_quantity,
            counted_at=line.counted_at,
            expected_at_count=line.expected_quantity,
            moved_since=moved.get(line.item_id, 0),
            on_hand_now=now.get(line.item_id, 0),
            will_set=_will_set(stocktake, line.counted_quantity, moved.get(line.item_id, 0)),
            recounts=tuple(history.get(line.pk, ())),
        )
        for line in lines
    ]


def counted_lines(stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    """The counted lines with their items, in SKU order: what review pages through."""
    counted = stocktake.lines.filter(counted_quantity__isnull=False)
    return counted.select_related("item").order_by("item__sku", "pk")


def not_counted(stocktake: Stocktake, limit: int) -> list[ReviewLine]:
    """The first `limit` items nobody counted, in SKU order: the count's own uncounted lines,
    then (a whole-location count) the location's other items holding stock."""
    waiting = stocktake.lines.filter(counted_quantity__isnull=True)
    rows = reviewed_lines(stocktake, waiting.select_related("item").order_by("item__sku")[:limit])
    if stocktake.full and len(rows) < limit:
        rows += _uncounted(stocktake, limit - len(rows))
    return rows


def _moved_since_counted(stocktake: Stocktake, items: list[int] | None = None) -> dict[int, int]:
    """Net ledger movement of each counted item at the location after it was counted.

    One grouped query over the ledger lines written since the first count (a range of the
    created_at index: the count's duration, however long the history). Per line, a subquery
    would read its balance's whole history; worse, for a location the planner's statistics do
    not know yet (a new store), it scanned every line of the location for each counted line
    (README, Performance: figures behind the design)."""
    # The uncounted lines have no count time: left out, the first is read from the end of
    # the counted lines' index instead of every line.
    counted = stocktake.lines.filter(counted_quantity__isnull=False)
    first = counted.aggregate(first=Min("counted_at"))["first"]
    if first is None:
        return {}
    counted_at = (
        StocktakeLine.objects.filter(stocktake=stocktake, item=OuterRef("item_id"))
        .order_by()  # the default ordering, by SKU, would join the item for each ledger line
        .values("counted_at")
    )
    moves = AdjustmentLine.objects.filter(location=stocktake.location_id, created_at__gt=first)
    if items is not None:
        moves = moves.filter(item_id__in=items)
    moves = (
        moves.filter(created_at__gt=Subquery(counted_at))
        .order_by()
        .values("item_id")
        .annotate(total=Sum("delta"))
        .values_list("item_id", "total")
    )
    return dict(moves)


def _on_hand(stocktake: Stocktake, items: list[int] | None = None) -> dict[int, int]:
    """On-hand now of `items`, or of every item the stocktake lists (an item without a balance
    holds 0)."""
    if items is not None:
        balances = Balance.objects.filter(location=stocktake.location_id, item__in=items)
        return dict(balances.order_by().values_list("item_id", "quantity"))
    # Each line looks its balance up through the (item, location) index. As a join, the plan
    # rests on the statistics: for a new store whose 100,000 balances and count lines are not
    # analysed yet, the planner expects one row of each and loops over both (minutes).
    balance = Balance.objects.filter(location=stocktake.location_id, item=OuterRef("item_id"))
    rows = (
        stocktake.lines.order_by()
        .annotate(on_hand=Subquery(balance.order_by().values("quantity")))
        .values_list("item_id", "on_hand")
    )
    return {item_id: on_hand for item_id, on_hand in rows if on_hand is not None}


def _will_set(stocktake: Stocktake, counted: int | None, moved: int) -> int | None:
    if counted is not None:
        # Sold more after the count than was counted: the shelf is empty, not negative.
        return max(counted + moved, 0)
    return 0 if stocktake.zero_uncounted else None


def will_set_sql(counted: str, moved: str, zero_uncounted: bool) -> str:
    """`_will_set` as an SQL expression of the columns `counted` and `moved` (the review's
    totals, `inventory.stocktakes.totals`)."""
    uncounted = "0" if zero_uncounted else "NULL"
    return (
        f"CASE WHEN {counted} IS NULL THEN {uncounted}"
        f" WHEN {counted} + {moved} > 0 THEN {counted} + {moved} ELSE 0 END"
    )


def _uncounted(stocktake: Stocktake, limit: int | None = None) -> list[ReviewLine]:
    balances = _uncounted_balances(stocktake).select_related("item").order_by("item__sku")
    if limit is None:
        balances, moved = list(balances), _moved_since_start(stocktake)
    else:
        balances = list(balances[:limit])
        moved = _moved_since_start(stocktake, [balance.item_id for balance in balances])
    return [
        ReviewLine(
            item=balance.item,
            line_id=None,
            counted=None,
            counted_at=None,
            expected_at_count=None,
            moved_since=moved.get(balance.item_id, 0),
            on_hand_now=balance.quantity,
            will_set=_zeroed(moved.get(balance.item_id, 0)) if stocktake.zero_uncounted else None,
        )
        for balance in balances
    ]


def _zeroed(moved: int) -> int:
    """What an item nobody counted is set to by a count that zeroes them: counted 0 when the
    count started, plus what moved since, so a delivery received during the count (never on
    the shelf to be counted) is kept; sales since take it no lower than 0."""
    return max(moved, 0)


def zeroed_sql(moved: str) -> str:
    """`_zeroed` as an SQL expression of the column `moved`."""
    return f"CASE WHEN {moved} > 0 THEN {moved} ELSE 0 END"


def _moved_since_start(stocktake: Stocktake, items: list[int] | None = None) -> dict[int, int]:
    """Net ledger movement of `items` (or of every item) at the location since the count
    started (one grouped query over the count's duration, a range of the created_at index)."""
    moves = AdjustmentLine.objects.filter(
        location=stocktake.location_id, created_at__gt=stocktake.created_at
    )
    if items is not None:
        moves = moves.filter(item_id__in=items)
    moves = (
        moves.order_by()
        .values("item_id")
        .annotate(total=Sum("delta"))
        .values_list("item_id", "total")
    )
    return dict(moves)


def _uncounted_balances(stocktake: Stocktake) -> QuerySet[Balance]:
    """Balances at the location that no line mentions (full counts only)."""
    return (
        Balance.objects.filter(location=stocktake.location_id)
        .exclude(item__in=stocktake.lines.values("item"))
        .exclude(quantity=0)
    )


def lines_to_apply(stocktake: Stocktake) -> list[LineInput]:
    """What applying writes: review's `will_set` per item, with the on-hand it was computed
    from as `expected_quantity`. Review's numbers, read as plain values: building a review
    row (a model instance with its item) for each of 5,000 lines cost as much as the write.
    Lines a manager left out (`recounts.apply_all_but`) are not applied, and their items are
    not uncounted ones either: they stay as they are."""
    moved, now = _moved_since_counted(stocktake), _on_hand(stocktake)
    counted = (
        stocktake.lines.filter(left_out=False)
        .order_by("item_id")
        .values_list("item_id", "counted_quantity")
    )
    sets = [
        (item_id, _will_set(stocktake, quantity, moved.get(item_id, 0)), now.get(item_id, 0))
        for item_id, quantity in counted
    ]
    if stocktake.full and stocktake.zero_uncounted:
        uncounted = _uncounted_balances(stocktake).order_by("item_id")
        since_start = _moved_since_start(stocktake)
        sets += [
            (item_id, _zeroed(since_start.get(item_id, 0)), now)
            for item_id, now in uncounted.values_list("item_id", "quantity")
        ]
    return [
        LineInput(
            location_id=stocktake.location_id,
            item_id=item_id,
            quantity=quantity,
            expected_quantity=now,
        )
        for item_id, quantity, now in sets
        if quantity is not None
    ]


# --- recounts ------------------------------------------------------------------------------------


def recount_history(stocktake: Stocktake) -> dict[int, list[StocktakeRecount]]:
    """The counts a manager sent back, per line id, oldest first: one query for the whole count
    (by stocktake, not by a list of line ids, which grows with the count)."""
    history: dict[int, list[StocktakeRecount]] = {}
    recounts = StocktakeRecount.objects.filter(line__stocktake=stocktake).select_related(
        "requested_by", "counted_by"
    )
    for recount in recounts.order_by("id"):
        history.setdefault(recount.line_id, []).append(recount)
    return history


def lines_awaiting_recount(stocktake: Stocktake) -> QuerySet[StocktakeLine]:
    """Lines sent back for a recount that nobody has counted again yet, with their item and,
    from the latest send-back, `previous` (the count set aside), `note` and `requested_by_name`.
    One query."""
    latest = StocktakeRecount.objects.filter(line=OuterRef("pk")).order_by("-id")
    return (
        stocktake.lines.filter(counted_quantity__isnull=True)
        .filter(Exists(latest))
        .annotate(
            previous=Subquery(latest.values("counted_quantity")[:1]),
            note=Subquery(latest.values("note")[:1]),
            requested_by_name=Subquery(latest.values("requested_by__username")[:1]),
        )
        .select_related("item")
        .order_by("item__sku")
    )


def late_scans(stocktake: Stocktake) -> QuerySet[StocktakeScan]:
    """Scans that arrived after the count was submitted (or cancelled) and that no manager has
    added or discarded yet, in the order they were made."""
    return stocktake.scans.filter(outcome=StocktakeScan.Outcome.LATE, resolution="").order_by(
        "scanned_at", "id"
    )
