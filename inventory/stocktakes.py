"""Stocktakes: counting a location while it keeps selling, then applying the count without
losing the sales and receipts that happened during it.

The count-time rule: each line remembers when it was last counted (`counted_at`) and what the
ledger said on-hand was at that moment (`expected_quantity`). Applying sets on-hand to

    counted + (net ledger movement of that balance after counted_at)

so a sale recorded through the API while the shelf was being counted is kept, and the variance
shown for review is `counted - expected`, measured at count time. Stock is only ever written by
`services.apply_adjustment` (kind `stocktake`).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.formats import date_format

from inventory.errors import InventoryError, StaleBalances
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    Item,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeUnknownCode,
)
from inventory.services import LineInput, apply_adjustment
from locations.models import Location

Status = Stocktake.Status
OPEN = (Status.COUNTING, Status.SUBMITTED)
APPROVE = "inventory.approve_stocktake"
APPLY_ATTEMPTS = 3  # a sale landing between reading movements and locking them: read again


class StocktakeError(InventoryError):
    """A step that the stocktake's state does not allow, or a code that names nothing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[assignment]


def _locked_stocktakes():
    """Stocktakes to lock for a state change. Only the stocktake row: with a join, FOR UPDATE
    would also lock the location row, and every sale at that location (which key-share locks it
    to insert ledger rows) would wait for the count. NO KEY, so counters can still add lines."""
    return Stocktake.objects.select_for_update(no_key=True, of=("self",))


def _require(stocktake: Stocktake, *statuses: str) -> None:
    if stocktake.status not in statuses:
        raise StocktakeError(
            "wrong_status",
            f"{stocktake} is {stocktake.get_status_display().lower()}; that step is not possible now.",
        )


def _record(
    stocktake: Stocktake, actor: AbstractBaseUser | None, action: str, detail: str = ""
) -> None:
    StocktakeEvent.objects.create(
        stocktake=stocktake, actor=actor, action=action, detail=detail[:500]
    )


def start_stocktake(
    *,
    location: Location,
    actor: AbstractBaseUser,
    blind: bool = False,
    items: Iterable[Item] | None = None,
    zero_uncounted: bool = False,
) -> Stocktake:
    """Open a count of `location`: the whole location, or only `items`. At most one open count
    covers an item at a location: two would disagree about what to apply, and a second,
    open-book count of a blind count's items would show its counters what they count blind."""
    items = list(items) if items is not None else None
    with transaction.atomic():
        # One start at a time per location, so two overlapping starts cannot both pass the
        # check below. NO KEY: sales there only key-share lock the row, and go on.
        Location.objects.select_for_update(no_key=True).filter(pk=location.pk).first()
        _refuse_overlap(location, items)
        stocktake = Stocktake.objects.create(
            location=location,
            blind=blind,
            full=items is None,
            zero_uncounted=zero_uncounted and items is None,
            created_by=actor,
        )
        if items:
            StocktakeLine.objects.bulk_create(
                StocktakeLine(stocktake=stocktake, item=item) for item in items
            )
        scope = "whole location" if items is None else f"{len(items)} items"
        _record(stocktake, actor, "started", f"{scope}{', blind' if blind else ''}")
    return stocktake


def _refuse_overlap(location: Location, items: list[Item] | None) -> None:
    open_counts = Stocktake.objects.filter(location=location, status__in=OPEN)
    if items is not None:
        open_counts = open_counts.filter(Q(full=True) | Q(lines__item__in=items)).distinct()
    clash = open_counts.select_related("created_by").order_by("pk").first()
    if clash is None:
        return
    if clash.full:
        what = "everything"
    elif items is None:
        what = "some items"
    else:
        shared = StocktakeLine.objects.filter(stocktake=clash, item__in=items)
        skus = sorted(shared.values_list("item__sku", flat=True))
        what = ", ".join(skus[:5]) + (f" and {len(skus) - 5} more" if len(skus) > 5 else "")
    raise StocktakeError(
        "overlapping_count",
        f"Stocktake #{clash.pk}, started by {clash.created_by} on "
        f"{date_format(timezone.localtime(clash.created_at), 'M j')}, is already counting "
        f"{what} at {location.label}. Finish or cancel it before starting another count "
        "of the same items.",
    )


def find_item(code: str) -> Item | None:
    """The item a scanned or typed code names: its SKU or its barcode."""
    code = code.strip()
    if not code:
        return None
    return Item.objects.filter(Q(sku=code) | Q(barcode=code)).first()


def count_item(
    *,
    stocktake: Stocktake,
    code: str,
    actor: AbstractBaseUser,
    add: int | None = None,
    quantity: int | None = None,
) -> StocktakeLine:
    """Count one item: `add` units to its running total (a scan adds 1), or set it to
    `quantity`. Several people may count the same stocktake at once: the line is locked while
    its total changes, so no scan is lost. An unknown code is kept in the stocktake's list of
    unknown codes and raises StocktakeError("unknown_code")."""
    if (add is None) == (quantity is None):
        raise ValueError("give either add or quantity")
    item = find_item(code)
    if item is None:
        # Kept (committed) for someone to look at, and only then refused.
        with transaction.atomic():
            stocktake = _locked_stocktakes().get(pk=stocktake.pk)
            _require(stocktake, Status.COUNTING)
            StocktakeUnknownCode.objects.create(
                stocktake=stocktake, code=code.strip()[:255], scanned_by=actor
            )
        raise StocktakeError("unknown_code", f"No item has SKU or barcode “{code.strip()}”.")
    with transaction.atomic():
        stocktake = _locked_stocktakes().get(pk=stocktake.pk)
        _require(stocktake, Status.COUNTING)
        line = _line_for_update(stocktake, item)
        total = (line.counted_quantity or 0) + add if add is not None else quantity
        if total is None or total < 0:
            raise StocktakeError("negative_count", "A count cannot be below zero.")
        line.counted_quantity = total
        line.counted_at = timezone.now()
        line.counted_by = actor
        # On-hand at the moment of counting, by the ledger: the variance is measured against it.
        line.expected_quantity = (
            Balance.objects.filter(item=item, location=stocktake.location_id)
            .values_list("quantity", flat=True)
            .first()
            or 0
        )
        line.save(
            update_fields=["counted_quantity", "counted_at", "counted_by", "expected_quantity"]
        )
    return line


def _line_for_update(stocktake: Stocktake, item: Item) -> StocktakeLine:
    lines = StocktakeLine.objects.select_for_update()
    if stocktake.full:
        line, _ = lines.get_or_create(stocktake=stocktake, item=item)
        return line
    line = lines.filter(stocktake=stocktake, item=item).first()
    if line is None:
        raise StocktakeError("not_in_count", f"{item.sku} is not part of this count.")
    return line


def variance_threshold(location: Location) -> int:
    if location.stocktake_variance_threshold is not None:
        return location.stocktake_variance_threshold
    return settings.STOCKTAKE_VARIANCE_THRESHOLD


def submit_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    """Counting is done. An Inventory manager must approve before the count is applied when
    it is blind (its counters learn nothing of the variances, not even whether they are
    large), or when applying would change any line by more than the location's threshold."""
    with transaction.atomic():
        stocktake = _locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        _require(stocktake, Status.COUNTING)
        over = lines_over_threshold(stocktake, lines_to_apply(stocktake))
        stocktake.status = Status.SUBMITTED
        stocktake.submitted_at = timezone.now()
        stocktake.needs_approval = stocktake.blind or over > 0
        stocktake.save(update_fields=["status", "submitted_at", "needs_approval"])
        if stocktake.blind:
            detail = "blind: a manager approves"
        elif over:
            detail = f"{over} lines over the threshold of {variance_threshold(stocktake.location)}"
        else:
            detail = "within threshold"
        _record(stocktake, actor, "submitted", detail)
    return stocktake


def lines_over_threshold(stocktake: Stocktake, lines: list[LineInput]) -> int:
    """How many of the lines applying writes change on-hand by more than the threshold:
    every line counts, items nobody counted that applying sets to 0 included."""
    limit = variance_threshold(stocktake.location)
    return sum(1 for line in lines if abs(line.quantity - line.expected_quantity) > limit)


def approve_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    """An Inventory manager accepts the variances (the caller checks the permission)."""
    with transaction.atomic():
        stocktake = _locked_stocktakes().get(pk=stocktake.pk)
        _require(stocktake, Status.SUBMITTED)
        stocktake.approved_by = actor
        stocktake.approved_at = timezone.now()
        stocktake.save(update_fields=["approved_by", "approved_at"])
        _record(stocktake, actor, "approved")
    return stocktake


def may_cancel(stocktake: Stocktake, user: AbstractBaseUser) -> bool:
    """Whoever started a count, or a manager: a counter cannot end someone else's count
    (a blind count cancelled by its counters would show them the stock it hid)."""
    return stocktake.created_by_id == user.pk or user.has_perm(APPROVE)


def who_may_cancel(stocktake: Stocktake) -> str:
    return (
        f"Only {stocktake.created_by}, who started {stocktake}, or an Inventory manager can "
        "cancel it."
    )


def cancel_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    with transaction.atomic():
        stocktake = _locked_stocktakes().get(pk=stocktake.pk)
        _require(stocktake, Status.COUNTING, Status.SUBMITTED)
        if not may_cancel(stocktake, actor):
            raise StocktakeError("not_yours", who_may_cancel(stocktake))
        stocktake.status = Status.CANCELLED
        stocktake.closed_at = timezone.now()
        stocktake.save(update_fields=["status", "closed_at"])
        _record(stocktake, actor, "cancelled")
    return stocktake


@dataclass(frozen=True, slots=True)
class ReviewLine:
    """What review shows for one item, and what applying will set."""

    item: Item
    counted: int | None
    counted_at: object
    expected_at_count: int | None
    moved_since: int
    on_hand_now: int
    will_set: int | None

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
    moved, now = _moved_since_counted(stocktake), _on_hand(stocktake)
    reviewed = [
        ReviewLine(
            item=line.item,
            counted=line.counted_quantity,
            counted_at=line.counted_at,
            expected_at_count=line.expected_quantity,
            moved_since=moved.get(line.item_id, 0),
            on_hand_now=now.get(line.item_id, 0),
            will_set=_will_set(stocktake, line.counted_quantity, moved.get(line.item_id, 0)),
        )
        for line in stocktake.lines.select_related("item").order_by("item__sku")
    ]
    if stocktake.full:
        reviewed += _uncounted(stocktake)
    return reviewed


def _moved_since_counted(stocktake: Stocktake) -> dict[int, int]:
    """Net ledger movement of each counted item at the location after it was counted.

    One grouped query over the ledger lines written since the first count (a range of the
    created_at index: the count's duration, however long the history). Per line, a subquery
    would read its balance's whole history; worse, for a location the planner's statistics do
    not know yet (a new store), it scanned every line of the location for each counted line:
    20 s instead of 50 ms for a 5,000-line count."""
    first = stocktake.lines.aggregate(first=Min("counted_at"))["first"]
    if first is None:
        return {}
    counted_at = (
        StocktakeLine.objects.filter(stocktake=stocktake, item=OuterRef("item_id"))
        .order_by()  # the default ordering, by SKU, would join the item for each ledger line
        .values("counted_at")
    )
    moves = (
        AdjustmentLine.objects.filter(location=stocktake.location_id, created_at__gt=first)
        .filter(created_at__gt=Subquery(counted_at))
        .order_by()
        .values("item_id")
        .annotate(total=Sum("delta"))
        .values_list("item_id", "total")
    )
    return dict(moves)


def _on_hand(stocktake: Stocktake) -> dict[int, int]:
    """On-hand now of every item the stocktake lists (an item without a balance holds 0)."""
    balances = Balance.objects.filter(
        location=stocktake.location_id, item__in=stocktake.lines.values("item")
    )
    return dict(balances.order_by().values_list("item_id", "quantity"))


def _will_set(stocktake: Stocktake, counted: int | None, moved: int) -> int | None:
    if counted is not None:
        # Sold more after the count than was counted: the shelf is empty, not negative.
        return max(counted + moved, 0)
    return 0 if stocktake.zero_uncounted else None


def _uncounted(stocktake: Stocktake) -> list[ReviewLine]:
    return [
        ReviewLine(
            item=balance.item,
            counted=None,
            counted_at=None,
            expected_at_count=None,
            moved_since=0,
            on_hand_now=balance.quantity,
            will_set=0 if stocktake.zero_uncounted else None,
        )
        for balance in _uncounted_balances(stocktake).select_related("item").order_by("item__sku")
    ]


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
    row (a model instance with its item) for each of 5,000 lines cost as much as the write."""
    moved, now = _moved_since_counted(stocktake), _on_hand(stocktake)
    counted = stocktake.lines.order_by("item_id").values_list("item_id", "counted_quantity")
    sets = [
        (item_id, _will_set(stocktake, quantity, moved.get(item_id, 0)), now.get(item_id, 0))
        for item_id, quantity in counted
    ]
    if stocktake.full and stocktake.zero_uncounted:
        uncounted = _uncounted_balances(stocktake).order_by("item_id")
        sets += [(item_id, 0, now) for item_id, now in uncounted.values_list("item_id", "quantity")]
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


def apply_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Adjustment | None:
    """Write the count through the write path, as one adjustment of kind `stocktake`; or,
    when stock moved since submitting so that applying now would change a line by more than
    the threshold, hold it for a manager's approval instead (None), which is kept.

    Each line sets on-hand to counted + movements since it was counted. The on-hand read for
    that sum is passed as `expected_quantity`, so a sale landing between the read and the lock
    makes the write stale instead of lost; then the sum is read again (a few attempts).
    """
    for attempt in range(APPLY_ATTEMPTS):
        try:
            return _apply_once(stocktake=stocktake, actor=actor)
        except StaleBalances:
            if attempt == APPLY_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


NEEDS_APPROVAL = "An Inventory manager must approve this count before it is applied."


def _apply_once(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Adjustment | None:
    with transaction.atomic():
        stocktake = _locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        _require(stocktake, Status.SUBMITTED)
        approved = stocktake.approved_at is not None
        if stocktake.needs_approval and not approved:
            raise StocktakeError("needs_approval", NEEDS_APPROVAL)
        lines = lines_to_apply(stocktake)
        if not lines:
            raise StocktakeError(
                "nothing_to_apply", "Nothing was counted: there is nothing to apply."
            )
        if not approved and lines_over_threshold(stocktake, lines):
            stocktake.needs_approval = True
            stocktake.save(update_fields=["needs_approval"])
            _record(stocktake, actor, "held", "stock moved since submitting: a manager approves")
            return None
        adjustment = apply_adjustment(
            kind=Adjustment.Kind.STOCKTAKE,
            lines=lines,
            reason=f"Stocktake #{stocktake.pk} at {stocktake.location.code}",
            source=Adjustment.Source.STOCKTAKE,
            actor=actor,
            max_lines=None,  # a whole location's count, not a partner's batch
        )
        stocktake.status = Status.APPLIED
        stocktake.closed_at = timezone.now()
        stocktake.adjustment = adjustment
        stocktake.save(update_fields=["status", "closed_at", "adjustment"])
        _record(
            stocktake,
            actor,
            "applied",
            f"{len(lines)} lines, transaction {adjustment.transaction_id}",
        )
    return adjustment
