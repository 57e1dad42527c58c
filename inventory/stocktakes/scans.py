"""Scans queued on a device and delivered later, in batches, each under an id the device made.

Each scan id is applied at most once per stocktake: a batch sent again after a lost answer, or
the same queue delivered from two tabs, counts nothing twice (`StocktakeScan`'s unique
constraint, and the stocktake's row lock that serializes every batch of one count: under it,
the ids already recorded are read, and only the others are inserted and applied).

A scan counts at the moment the device made it, not when it arrived: a line's `counted_at`
moves to the latest of its new scans (bounded to the count's start and now) and its
`expected_quantity` is the ledger's on-hand at that moment, so a scan made offline at 10:02 and
delivered at 10:40 is netted against a sale at 10:20 (the count-time rule, in
`inventory.stocktakes.services`). A constant number of queries whatever the batch's size.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import IntegerField, Max, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from inventory.models import (
    AdjustmentLine,
    Balance,
    Item,
    Stocktake,
    StocktakeLine,
    StocktakeRecount,
    StocktakeScan,
    StocktakeUnknownCode,
)
from inventory.stocktakes.recounts import require_manager_here
from inventory.stocktakes.selectors import late_scans, lines_over_threshold, lines_to_apply
from inventory.stocktakes.services import StocktakeError, locked_stocktakes, record_event
from inventory.stocktakes.totals import keep as keep_review_totals

Outcome = StocktakeScan.Outcome
MAX_BATCH = 500


@dataclass(frozen=True, slots=True)
class ScanInput:
    scan_id: uuid.UUID
    code: str
    scanned_at: datetime  # aware
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class ScanResult:
    scan_id: uuid.UUID
    outcome: str
    duplicate: bool  # already recorded (an earlier batch, or earlier in this one): nothing added
    item_id: int | None
    counted: int | None  # the line's total after this batch

    def as_json(self) -> dict:
        return {
            "id": str(self.scan_id),
            "outcome": self.outcome,
            "duplicate": self.duplicate,
            "item": self.item_id,
            "counted": self.counted,
        }


def record_scans(
    *, stocktake: Stocktake, scans: Sequence[ScanInput], actor: AbstractBaseUser | None
) -> list[ScanResult]:
    """Record a device's batch of scans and count the ones not seen before, in order. Scans
    for a stocktake no longer counting are kept as `late` and change nothing. Returns one
    result per scan given, in the same order."""
    with transaction.atomic():
        # Every batch (and count_item) of this count waits here: the ids read below as known
        # are all the committed ones. NO KEY: sales at the location go on.
        stocktake = locked_stocktakes().get(pk=stocktake.pk)
        now = timezone.now()
        known = {
            row["scan_id"]: row
            for row in StocktakeScan.objects.filter(
                stocktake=stocktake, scan_id__in={scan.scan_id for scan in scans}
            ).values("scan_id", "outcome", "line_id", "line__item_id")
        }
        new: list[ScanInput] = []
        seen: set[uuid.UUID] = set()
        for scan in scans:
            if scan.scan_id not in known and scan.scan_id not in seen:
                new.append(scan)
            seen.add(scan.scan_id)
        rows = _apply(stocktake, new, actor, now)
        # No ignore_conflicts: under the lock the known ids were all read, so a conflict here is
        # a bug, and the unique constraint refuses it (the whole batch rolls back, the device
        # sends it again) rather than keeping a scan whose quantity was already added.
        StocktakeScan.objects.bulk_create(rows)
        totals = dict(
            StocktakeLine.objects.filter(
                pk__in={row.line_id for row in rows} | {k["line_id"] for k in known.values()}
            ).values_list("pk", "counted_quantity")
        )
    recorded = {row.scan_id: row for row in rows}
    results: list[ScanResult] = []
    answered: dict[uuid.UUID, ScanResult] = {}
    for scan in scans:
        if scan.scan_id in answered:  # the same id twice in one batch: its first copy counted
            first = answered[scan.scan_id]
            results.append(
                ScanResult(first.scan_id, first.outcome, True, first.item_id, first.counted)
            )
            continue
        if (row := recorded.get(scan.scan_id)) is not None:
            outcome, line_id, item_id, duplicate = row.outcome, row.line_id, row.item_id, False
        else:
            k = known[scan.scan_id]
            outcome, line_id, item_id = k["outcome"], k["line_id"], k["line__item_id"]
            duplicate = True
        result = ScanResult(
            scan_id=scan.scan_id,
            outcome=outcome,
            duplicate=duplicate,
            item_id=item_id,
            counted=totals.get(line_id) if line_id else None,
        )
        answered[scan.scan_id] = result
        results.append(result)
    return results


def add_late_scans(*, stocktake: Stocktake, actor: AbstractBaseUser) -> int:
    """A manager adds the scans that arrived after submit to the count, as if they had arrived
    in time: counted at the moments they were made, under the count-time rule. The numbers
    under review change, so an approval given before is withdrawn and the threshold is checked
    again. Returns how many were added."""
    with transaction.atomic():
        stocktake = _locked_for_late_scans(stocktake, actor)
        rows = list(late_scans(stocktake).select_related("actor"))
        count_scans(stocktake, rows)
        for row in rows:
            _resolve(row, StocktakeScan.Resolution.ADDED, actor)
        StocktakeScan.objects.bulk_update(
            rows, ["outcome", "line", "resolution", "resolved_by", "resolved_at"]
        )
        over = lines_over_threshold(stocktake, lines_to_apply(stocktake))
        stocktake.needs_approval = stocktake.blind or over > 0
        stocktake.approved_by = stocktake.approved_at = None
        stocktake.save(update_fields=["needs_approval", "approved_by", "approved_at"])
        keep_review_totals(stocktake)
        counted = sum(1 for row in rows if row.outcome == Outcome.COUNTED)
        record_event(stocktake, actor, "added late scans", f"{len(rows)} scans, {counted} counted")
    return len(rows)


def discard_late_scans(*, stocktake: Stocktake, actor: AbstractBaseUser) -> int:
    """A manager discards the scans that arrived after submit: kept on record as discarded,
    nothing counted. Returns how many were discarded."""
    with transaction.atomic():
        stocktake = _locked_for_late_scans(stocktake, actor)
        rows = list(late_scans(stocktake))
        for row in rows:
            _resolve(row, StocktakeScan.Resolution.DISCARDED, actor)
        StocktakeScan.objects.bulk_update(rows, ["resolution", "resolved_by", "resolved_at"])
        record_event(stocktake, actor, "discarded late scans", f"{len(rows)} scans")
    return len(rows)


def _locked_for_late_scans(stocktake: Stocktake, actor: AbstractBaseUser) -> Stocktake:
    stocktake = locked_stocktakes().select_related("location").get(pk=stocktake.pk)
    require_manager_here(stocktake, actor, "add or discard scans that arrived late")
    if stocktake.status != Stocktake.Status.SUBMITTED:
        raise StocktakeError(
            "wrong_status",
            f"{stocktake} is {stocktake.get_status_display().lower()}: late scans can be "
            "added or discarded only while it is under review.",
        )
    if not late_scans(stocktake).exists():
        raise StocktakeError("no_late_scans", "No scans are waiting: nothing was changed.")
    return stocktake


def _resolve(row: StocktakeScan, resolution: str, actor: AbstractBaseUser) -> None:
    row.resolution = resolution
    row.resolved_by = actor
    row.resolved_at = timezone.now()


def bounded(stocktake: Stocktake, at: datetime, now: datetime) -> datetime:
    """A device's time, kept within the count: not before it started, not in the future."""
    return min(max(at, stocktake.created_at), now)


def _apply(
    stocktake: Stocktake, scans: list[ScanInput], actor: AbstractBaseUser | None, now: datetime
) -> list[StocktakeScan]:
    """The scan rows to insert for the new scans, with the lines' totals and count times
    changed accordingly (none when the stocktake is no longer counting)."""
    rows = [
        StocktakeScan(
            stocktake=stocktake,
            scan_id=scan.scan_id,
            code=scan.code.strip()[:255],
            quantity=scan.quantity,
            scanned_at=bounded(stocktake, scan.scanned_at, now),
            received_at=now,
            actor=actor,
        )
        for scan in scans
    ]
    if stocktake.status != Stocktake.Status.COUNTING:
        for row in rows:
            row.item_id = None  # the item counted, for the answer (not a field of the scan)
            row.outcome = Outcome.LATE
        return rows
    count_scans(stocktake, rows)
    return rows


def count_scans(stocktake: Stocktake, rows: list[StocktakeScan]) -> None:
    """Count these scan rows into their lines, in order: each row's `outcome` (and `line`) is
    set, and the lines' totals, count times and expected quantities are written. The caller
    holds the stocktake's lock and saves the rows. A constant number of queries."""
    items = items_by_code({row.code for row in rows})
    lines = _lines_for_update(stocktake, {item.pk for item in items.values()})
    sent_back = _sent_back_at(lines.values())
    touched: dict[int, StocktakeLine] = {}
    moved_at: set[int] = set()  # lines whose count time moves: their expected is read again
    unknown = []
    for row in rows:
        row.item_id = None  # the item counted, for the answer (not a field of the scan)
        item = items.get(row.code)
        if item is None:
            row.outcome = Outcome.UNKNOWN_CODE
            unknown.append(
                StocktakeUnknownCode(stocktake=stocktake, code=row.code, scanned_by=row.actor)
            )
            continue
        row.item_id = item.pk
        line = lines.get(item.pk)
        if line is None:
            row.outcome = Outcome.NOT_IN_COUNT
            continue
        if line.pk in sent_back and row.scanned_at < sent_back[line.pk]:
            # Made before a manager sent the line back: it belongs to the count set aside,
            # and the recount starts from nothing.
            row.outcome = Outcome.SUPERSEDED
            continue
        row.outcome, row.line = Outcome.COUNTED, line
        line.counted_quantity = (line.counted_quantity or 0) + row.quantity
        line.counted_by = row.actor
        if line.counted_at is None or row.scanned_at > line.counted_at:
            line.counted_at = row.scanned_at
            moved_at.add(line.pk)
        touched[line.pk] = line
    if unknown:
        StocktakeUnknownCode.objects.bulk_create(unknown)
    if touched:
        StocktakeLine.objects.bulk_update(
            list(touched.values()), ["counted_quantity", "counted_at", "counted_by"]
        )
    if moved_at:
        _expected_at_count_time(stocktake, moved_at)


def items_by_code(codes: set[str]) -> dict[str, Item]:
    """The item each code names, its SKU before another item's barcode (as `find_item`
    means it): one query."""
    codes.discard("")
    if not codes:
        return {}
    found: dict[str, Item] = {}
    matches = list(Item.objects.filter(Q(sku__in=codes) | Q(barcode__in=codes)).order_by("pk"))
    for item in matches:
        if item.barcode in codes:
            found.setdefault(item.barcode, item)
    for item in matches:
        if item.sku in codes:
            found[item.sku] = item
    return found


def _lines_for_update(stocktake: Stocktake, item_ids: set[int]) -> dict[int, StocktakeLine]:
    """The lines of these items, locked; a whole-location count makes the missing ones."""
    if not item_ids:
        return {}
    if stocktake.full:
        StocktakeLine.objects.bulk_create(
            [StocktakeLine(stocktake=stocktake, item_id=item_id) for item_id in item_ids],
            ignore_conflicts=True,
        )
    lines = (
        StocktakeLine.objects.select_for_update()
        .filter(stocktake=stocktake, item_id__in=item_ids)
        .order_by("pk")
    )
    return {line.item_id: line for line in lines}


def _sent_back_at(lines) -> dict[int, object]:
    """When each of these lines was last sent back for a recount, if ever: one query."""
    return dict(
        StocktakeRecount.objects.filter(line__in=[line.pk for line in lines])
        .order_by()
        .values("line_id")
        .annotate(at=Max("requested_at"))
        .values_list("line_id", "at")
    )


def _expected_at_count_time(stocktake: Stocktake, line_ids: set[int]) -> None:
    """Each line's expected quantity: on-hand at its (new) `counted_at` by the ledger, that is
    on-hand now less what moved after. One statement, so one snapshot: a sale committing in
    between cannot be in one read and not the other."""
    on_hand = Balance.objects.filter(
        item=OuterRef("item_id"), location=stocktake.location_id
    ).values("quantity")[:1]
    moved = (
        AdjustmentLine.objects.filter(
            location=stocktake.location_id,
            item=OuterRef("item_id"),
            created_at__gt=OuterRef("counted_at"),
        )
        .order_by()
        .values("item")
        .annotate(total=Sum("delta"))
        .values("total")
    )
    zero = Value(0, output_field=IntegerField())
    StocktakeLine.objects.filter(pk__in=line_ids).update(
        expected_quantity=Coalesce(Subquery(on_hand), zero) - Coalesce(Subquery(moved), zero)
    )
