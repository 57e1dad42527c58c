"""A manager's answer to a submitted count that is right except for a few lines: send those
lines back to be counted again, or apply everything else and leave those items as they are.

Sending back reopens the whole count (status "counting"), not just the chosen lines: the
counters see, at the top of the count page, which items to recount; the other lines keep their
counts. Each chosen line's count is set aside in a `StocktakeRecount` row (who counted what,
when, against which expected on-hand; who sent it back, when, and why) and the line starts
again from nothing, so the recount is counted as any count is: scans add up from 0, and its
`counted_at` and expected on-hand are the recount's. The count-time rule then nets only what
the ledger moved after the recount. Submitting waits until every line sent back is recounted.

Applying the rest closes the count as applied, in one adjustment of the other lines, and marks
the chosen lines "left out": their counts stay on record, unapplied, and their items keep their
stock (a whole-location count that zeroes uncounted items does not zero them either). The
other choice, applying now and keeping the chosen lines open for a recount in the same count,
would give one count two adjustments and a state that is both applied and counting, while
apply's rule that a count is applied once, whole, is what keeps the ledger simple to read. To
count the left-out items again, start a count of just those items.

Both are for Inventory managers at the count's location, and only on a submitted count;
anything else is refused with nothing changed. Each step is recorded in the count's events.
"""

from collections.abc import Collection

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from inventory.models import Adjustment, Stocktake, StocktakeLine, StocktakeRecount
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.selectors import lines_to_apply
from inventory.stocktakes.services import StocktakeError, names
from locations.selectors import locations_visible_to

Status = Stocktake.Status
NOTE_LENGTH = 500


def send_back_for_recount(
    *, stocktake: Stocktake, lines: Collection[int], actor: AbstractBaseUser, note: str = ""
) -> list[StocktakeLine]:
    """Reopen a submitted count for the recount of `lines` (line ids), with the manager's
    optional `note` for the counters. Returns the chosen lines, as they were counted."""
    note = note.strip()[:NOTE_LENGTH]
    with transaction.atomic():
        stocktake = stocktakes.locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        require_manager_here(stocktake, actor)
        stocktakes._require(stocktake, Status.SUBMITTED)
        stocktakes.refuse_while_late_scans_wait(stocktake)
        chosen = _chosen_lines(stocktake, lines)
        now = timezone.now()
        StocktakeRecount.objects.bulk_create(
            StocktakeRecount(
                line=line,
                requested_by=actor,
                requested_at=now,
                note=note,
                counted_quantity=line.counted_quantity,
                counted_at=line.counted_at,
                counted_by_id=line.counted_by_id,
                expected_quantity=line.expected_quantity,
            )
            for line in chosen
        )
        StocktakeLine.objects.filter(pk__in=[line.pk for line in chosen]).update(
            counted_quantity=None, counted_at=None, counted_by=None, expected_quantity=None
        )
        # Counting again: the approval and the submit were of the count before the recount.
        stocktake.status = Status.COUNTING
        stocktake.submitted_at = None
        stocktake.needs_approval = False
        stocktake.approved_by = None
        stocktake.approved_at = None
        stocktake.save(
            update_fields=["status", "submitted_at", "needs_approval", "approved_by", "approved_at"]
        )
        detail = f"recount {names([line.item for line in chosen])}"
        stocktakes.record_event(
            stocktake, actor, "sent back", detail + (f": “{note}”" if note else "")
        )
    return chosen


def apply_all_but(
    *, stocktake: Stocktake, lines: Collection[int], actor: AbstractBaseUser
) -> Adjustment:
    """Approve and apply a submitted count except `lines` (line ids), whose items keep their
    stock; the count closes as applied. Stock is written as `services.apply_stocktake` writes
    it (the count-time rule, a sale during the write read again)."""
    return stocktakes._retry_when_stale(
        lambda: _apply_all_but_once(stocktake=stocktake, lines=lines, actor=actor)
    )


def _apply_all_but_once(
    *, stocktake: Stocktake, lines: Collection[int], actor: AbstractBaseUser
) -> Adjustment:
    with transaction.atomic():
        stocktake = stocktakes.locked_stocktakes().select_related("location").get(pk=stocktake.pk)
        require_manager_here(stocktake, actor)
        stocktakes._require(stocktake, Status.SUBMITTED)
        stocktakes.refuse_while_late_scans_wait(stocktake)
        chosen = _chosen_lines(stocktake, lines)
        StocktakeLine.objects.filter(pk__in=[line.pk for line in chosen]).update(left_out=True)
        to_apply = lines_to_apply(stocktake)
        if not to_apply:
            raise StocktakeError(
                "nothing_to_apply",
                "Every counted item is chosen, so nothing is left to apply. Send them back for "
                "a recount, or cancel the count.",
            )
        stocktake.approved_by = actor
        stocktake.approved_at = timezone.now()
        stocktake.save(update_fields=["approved_by", "approved_at"])
        stocktakes.record_event(
            stocktake, actor, "approved", f"all but {names([line.item for line in chosen])}"
        )
        stocktakes.record_event(
            stocktake,
            actor,
            "left out",
            f"not applied, stock unchanged: {names([line.item for line in chosen])}",
        )
        return stocktakes._write_count(stocktake, actor, to_apply)


def require_manager_here(
    stocktake: Stocktake,
    actor: AbstractBaseUser,
    doing: str = "send items back for a recount or apply part of a count",
) -> None:
    if not actor.has_perm(stocktakes.APPROVE):
        raise StocktakeError("not_allowed", f"Only an Inventory manager can {doing}.")
    if not locations_visible_to(actor).filter(pk=stocktake.location_id).exists():
        raise StocktakeError(
            "not_your_location",
            f"{stocktake.location.label} is not one of your locations: a manager there can "
            "review this count.",
        )


def _chosen_lines(stocktake: Stocktake, ids: Collection[int]) -> list[StocktakeLine]:
    """The counted lines of `stocktake` that `ids` name; every id must name one."""
    wanted = set(ids)
    if not wanted:
        raise StocktakeError("nothing_chosen", "Choose the items first: tick the box by each.")
    chosen = list(
        stocktake.lines.filter(pk__in=wanted, counted_quantity__isnull=False, left_out=False)
        .select_related("item")
        .order_by("item__sku")
    )
    if len(chosen) != len(wanted):
        raise StocktakeError(
            "not_in_count",
            "Some of the chosen items are no longer counted lines of this count. Nothing was "
            "changed: reload the page and choose again.",
        )
    return chosen
