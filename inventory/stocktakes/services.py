"""Stocktakes: counting a location while it keeps selling, then applying the count without
losing the sales and receipts that happened during it.

The count-time rule: each line remembers when it was last counted (`counted_at`) and what the
ledger said on-hand was at that moment (`expected_quantity`). Applying sets on-hand to

    counted + (net ledger movement of that balance after counted_at)

so a sale recorded through the API while the shelf was being counted is kept, and the variance
shown for review is `counted - expected`, measured at count time. Stock is only ever written by
`stock.apply_adjustment` (kind `stocktake`).
"""

from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.utils.formats import date_format

from inventory.errors import InventoryError, StaleBalances
from inventory.models import (
    Adjustment,
    Balance,
    Item,
    Stocktake,
    StocktakeEvent,
    StocktakeLine,
    StocktakeUnknownCode,
)
from inventory.stock import LineInput, apply_adjustment
from inventory.stocktakes.selectors import (
    late_scans,
    lines_awaiting_recount,
    lines_over_threshold,
    lines_to_apply,
    variance_threshold,
)
from inventory.stocktakes.totals import ReviewTotals
from inventory.stocktakes.totals import keep as keep_review_totals
from locations.models import Location

Status = Stocktake.Status

APPROVE = "inventory.approve_stocktake"
APPLY_ATTEMPTS = 3  # a sale landing between reading movements and locking them: read again
T = TypeVar("T")


class StocktakeError(InventoryError):
    """A step that the stocktake's state does not allow, or a code that names nothing."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code  # type: ignore[assignment]


def locked_stocktakes():
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


def record_event(
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
        record_event(stocktake, actor, "started", f"{scope}{', blind' if blind else ''}")
    return stocktake


def _refuse_overlap(location: Location, items: list[Item] | None) -> None:
    open_counts = Stocktake.objects.filter(location=location, status__in=Stocktake.OPEN_STATUSES)
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
        what = names([line.item for line in shared.select_related("item").order_by("item__sku")])
    raise StocktakeError(
        "overlapping_count",
        f"Stocktake #{clash.pk}, started by {clash.created_by} on "
        f"{date_format(timezone.localtime(clash.created_at), 'MONTH_DAY_FORMAT')}, is already counting "
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
            stocktake = locked_stocktakes().get(pk=stocktake.pk)
            _require(stocktake, Status.COUNTING)
            StocktakeUnknownCode.objects.create(
                stocktake=stocktake, code=code.strip()[:255], scanned_by=actor
            )
        raise StocktakeError("unknown_code", f"No item has SKU or barcode “{code.strip()}”.")
    with transaction.atomic():
        stocktake = locked_stocktakes().get(pk=stocktake.pk)
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
        raise StocktakeError(
            "not_in_count", f"{item} is not part of this count: count only the items it lists."
        )
    return line


def submit_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    """Counting is done. An Inventory manager must approve before the count is applied when
    it is blind (its counters learn nothing of the variances, not even whether they are
    large), or when applying would change any line by more than the location's threshold."""
    with transaction.atomic():
        stocktake = locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        _require(stocktake, Status.COUNTING)
        _refuse_pending_recounts(stocktake)
        stocktake.status = Status.SUBMITTED
        stocktake.submitted_at = timezone.now()
        # The totals the review starts from are summed once, here; how many lines are over
        # the threshold now is read from them, as the review reads it.
        over = ReviewTotals.from_kept(stocktake, keep_review_totals(stocktake)).over
        stocktake.needs_approval = stocktake.blind or over > 0
        stocktake.save(update_fields=["status", "submitted_at", "needs_approval"])
        if stocktake.blind:
            detail = "blind: a manager approves"
        elif over:
            detail = f"{over} lines over the threshold of {variance_threshold(stocktake.location)}"
        else:
            detail = "within threshold"
        record_event(stocktake, actor, "submitted", detail)
    return stocktake


def _refuse_pending_recounts(stocktake: Stocktake) -> None:
    """A manager asked for these items to be counted again: a submit without them would hand
    the review a count with holes where the doubtful lines were."""
    pending = [line.item for line in lines_awaiting_recount(stocktake)]
    if pending:
        raise StocktakeError(
            "recount_pending",
            f"Recount {names(pending)} before submitting (count 0 if there are none).",
        )


def names(items: Sequence[Item], limit: int = 5) -> str:
    """Items as people read them, "TEE-BLA-M · Tee black M", the first few then how many more."""
    shown = ", ".join(str(item) for item in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def refuse_while_late_scans_wait(stocktake: Stocktake) -> None:
    """Scans a device delivered after the count was submitted wait for a manager to add or
    discard them: approving or applying past them would drop them without anyone deciding."""
    waiting = late_scans(stocktake).count()
    if waiting:
        raise StocktakeError(
            "late_scans_waiting",
            f"{waiting} scan{pluralize(waiting)} arrived after this count was submitted: add "
            "them to the count or discard them first.",
        )


def approve_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    """An Inventory manager accepts the variances (the caller checks the permission)."""
    with transaction.atomic():
        stocktake = locked_stocktakes().get(pk=stocktake.pk)
        _require(stocktake, Status.SUBMITTED)
        refuse_while_late_scans_wait(stocktake)
        stocktake.approved_by = actor
        stocktake.approved_at = timezone.now()
        stocktake.save(update_fields=["approved_by", "approved_at"])
        record_event(stocktake, actor, "approved")
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
        stocktake = locked_stocktakes().get(pk=stocktake.pk)
        _require(stocktake, Status.COUNTING, Status.SUBMITTED)
        if not may_cancel(stocktake, actor):
            raise StocktakeError("not_yours", who_may_cancel(stocktake))
        stocktake.status = Status.CANCELLED
        stocktake.closed_at = timezone.now()
        stocktake.save(update_fields=["status", "closed_at"])
        record_event(stocktake, actor, "cancelled")
    return stocktake


def apply_stocktake(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Adjustment | None:
    """Write the count through the write path, as one adjustment of kind `stocktake`; or,
    when stock moved since submitting so that applying now would change a line by more than
    the threshold, hold it for a manager's approval instead (None), which is kept.

    Each line sets on-hand to counted + movements since it was counted. The on-hand read for
    that sum is passed as `expected_quantity`, so a sale landing between the read and the lock
    makes the write stale instead of lost; then the sum is read again (a few attempts).
    """
    return _retry_when_stale(lambda: _apply_once(stocktake=stocktake, actor=actor))


def _retry_when_stale(apply: Callable[[], T]) -> T:
    for attempt in range(APPLY_ATTEMPTS):
        try:
            return apply()
        except StaleBalances:
            if attempt == APPLY_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


NEEDS_APPROVAL = "An Inventory manager must approve this count before it is applied."


def _apply_once(*, stocktake: Stocktake, actor: AbstractBaseUser) -> Adjustment | None:
    with transaction.atomic():
        stocktake = locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        _require(stocktake, Status.SUBMITTED)
        refuse_while_late_scans_wait(stocktake)
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
            record_event(
                stocktake, actor, "held", "stock moved since submitting: a manager approves"
            )
            return None
        return _write_count(stocktake, actor, lines)


def _write_count(
    stocktake: Stocktake, actor: AbstractBaseUser, lines: list[LineInput]
) -> Adjustment:
    """Inside the caller's transaction, with the stocktake locked: `lines` through the write
    path as one adjustment, and the count closed as applied."""
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
    record_event(
        stocktake,
        actor,
        "applied",
        f"{len(lines)} lines, transaction {adjustment.transaction_id}",
    )
    return adjustment
