"""Reviewing a submitted count, approving and applying it; the outcome; the printable sheet."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import (
    HttpRequest,
    HttpResponse,
)
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.http import urlencode

from inventory.models import (
    AdjustmentLine,
    Balance,
    Stocktake,
    StocktakeRecount,
)
from inventory.stocktakes import scans
from inventory.stocktakes import selectors as stocktake_selectors
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.forms import (
    ChosenLinesForm,
    TokenForm,
)
from inventory.stocktakes.totals import ReviewTotals
from inventory.stocktakes.views.common import (
    APPROVE,
    COUNT,
    START,
    Status,
    expected_in_review,
    expected_while_counting,
    may_cancel,
    page,
    posted_once,
    redirect_to,
    require,
    stocktake_page,
)

# A 100,000-line count is reviewed a page at a time; its totals are of every line.
REVIEW_PAGE_SIZE = 100


class CountedLines(Paginator):
    """Pages of the counted lines, how many there are taken from the review's totals:
    counting them again would read every line of the count."""

    def __init__(self, lines, counted: int) -> None:
        super().__init__(lines, REVIEW_PAGE_SIZE)
        self.count = counted


@stocktake_page()
def review(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    if stocktake.status == Status.COUNTING:
        return redirect_to("count", stocktake)
    if stocktake.status != Status.SUBMITTED:
        return outcome(request, stocktake)
    show_expected = expected_in_review(stocktake, request.user)
    limit = stocktake_selectors.variance_threshold(stocktake.location)
    totals = ReviewTotals.of(stocktake)
    lines = CountedLines(stocktake_selectors.counted_lines(stocktake), totals.counted)
    shown = lines.get_page(request.GET.get("page"))
    counted = [
        _review_row(line, show_expected, limit)
        for line in stocktake_selectors.reviewed_lines(stocktake, shown.object_list)
    ]
    uncounted = []
    if show_expected and totals.not_counted:
        # Which items nobody counted still hold stock is what a blind counter must not learn.
        uncounted = [
            _review_row(line, show_expected, limit)
            for line in stocktake_selectors.not_counted(stocktake, REVIEW_PAGE_SIZE)
        ]
    approved = stocktake.approved_at is not None
    late = _late_scans(stocktake)
    # Scans waiting for a manager's choice come first: the services refuse to approve or apply.
    decided = not late["total"]
    can_apply = (
        decided and request.user.has_perm(COUNT) and (not stocktake.needs_approval or approved)
    )
    return page(
        request,
        "review.html",
        f"Review {stocktake}",
        stocktake=stocktake,
        show_expected=show_expected,
        threshold=limit,
        rows=counted,
        page=shown,
        uncounted=uncounted,
        totals=totals,
        can_apply=can_apply,
        can_approve=(
            decided and request.user.has_perm(APPROVE) and stocktake.needs_approval and not approved
        ),
        can_choose=request.user.has_perm(APPROVE),
        can_cancel=may_cancel(request, stocktake),
        apply_form=TokenForm(),
        approve_form=TokenForm(),
        chosen_form=ChosenLinesForm(),
        late=late,
        late_form=TokenForm(),
        events=stocktake.events.select_related("actor"),
    )


LATE_SHOWN = 50


def _late_scans(stocktake: Stocktake) -> dict:
    """The scans that arrived after submit, waiting for a manager: how many, the first few
    with the items their codes name, and the units per item."""
    waiting = stocktake_selectors.late_scans(stocktake)
    total = waiting.count()
    if not total:
        return {"total": 0}
    shown = list(waiting.select_related("actor")[:LATE_SHOWN])
    items = scans.items_by_code({row.code for row in shown})
    rows = [
        {
            "code": row.code,
            "item": items.get(row.code),
            "quantity": row.quantity,
            "scanned_at": row.scanned_at,
            "received_at": row.received_at,
            "actor": row.actor,
        }
        for row in shown
    ]
    return {"total": total, "rows": rows, "more": total - len(rows)}


@stocktake_page(("POST",))
def late(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """A manager's answer to the scans that arrived after submit: add them, or discard them."""
    require(request, APPROVE)
    choice = request.POST.get("choice")
    if choice not in ("add", "discard"):
        messages.error(request, "Choose “Add them to the count” or “Discard them”.")
        return redirect_to("review", stocktake)
    service = scans.add_late_scans if choice == "add" else scans.discard_late_scans

    def act() -> dict:
        return {
            "stocktake": stocktake.pk,
            "scans": service(stocktake=stocktake, actor=request.user),
        }

    outcome = posted_once(request, "late", stocktake, act, detail=choice)
    if outcome is None:
        return redirect_to("review", stocktake)
    result, replayed = outcome
    done = result["scans"]
    scans_word = f"{done} late scan{pluralize(done)}"
    if replayed:
        messages.info(
            request, f"Already done: {scans_word} {'added' if choice == 'add' else 'discarded'}."
        )
    elif choice == "add":
        messages.success(
            request, f"Added {scans_word} to the count. Check the numbers again before applying."
        )
    else:
        messages.success(request, f"Discarded {scans_word}: they changed nothing.")
    return redirect_to("review", stocktake)


def _review_row(line: stocktake_selectors.ReviewLine, show_expected: bool, limit: int) -> dict:
    row = {
        "line_id": line.line_id,
        "sku": line.item.sku,
        "name": line.item.name,
        "counted": line.counted,
        "counted_at": line.counted_at,
        "moved_since": line.moved_since,
        "will_set": line.will_set,
        "recounts": [_earlier_count(recount, show_expected) for recount in line.recounts],
    }
    if show_expected:
        row.update(
            expected=line.expected_at_count,
            variance=line.variance,
            on_hand_now=line.on_hand_now,
            over=line.change is not None and abs(line.change) > limit,
        )
    return row


def _earlier_count(recount: StocktakeRecount, show_expected: bool) -> dict:
    """A count a manager sent back, as review and the outcome show it."""
    earlier = {
        "counted": recount.counted_quantity,
        "counted_by": recount.counted_by,
        "counted_at": recount.counted_at,
        "requested_by": recount.requested_by,
        "requested_at": recount.requested_at,
        "note": recount.note,
    }
    if show_expected:
        earlier["expected"] = recount.expected_quantity
    return earlier


@stocktake_page(("POST",))
def approve(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    require(request, APPROVE)

    def act() -> dict:
        current = Stocktake.objects.get(pk=stocktake.pk)
        if current.approved_at is not None:
            return {"stocktake": stocktake.pk, "already": True}
        stocktakes.approve_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk}

    outcome = posted_once(request, "approve", stocktake, act)
    if outcome is None:
        return redirect_to("review", stocktake)
    result, replayed = outcome
    if replayed or result.get("already"):
        messages.info(request, "This count was already approved.")
    else:
        messages.success(request, "Approved. The count can now be applied.")
    return redirect_to("review", stocktake)


@stocktake_page(("POST",))
def apply(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    require(request, COUNT)

    def act() -> dict:
        adjustment = stocktakes.apply_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk, "adjustment": adjustment and adjustment.pk}

    outcome = posted_once(request, "apply", stocktake, act)
    if outcome is None:
        return redirect_to("review", stocktake)
    result, replayed = outcome
    if result["adjustment"] is None:
        messages.warning(
            request,
            "Not applied: stock changed since the count was submitted, and applying now would "
            "change some items by more than the threshold. An Inventory manager must approve.",
        )
        return redirect_to("review", stocktake)
    if replayed:
        messages.info(request, "This count was already applied; it was not applied twice.")
    else:
        messages.success(request, "Applied: stock was set from this count.")
    return redirect_to("count", stocktake)


def outcome(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """An applied or cancelled stocktake: what was counted, the steps, the adjustment."""
    show_expected = expected_in_review(stocktake, request.user)
    set_to = {}
    if stocktake.adjustment_id:
        set_to = dict(
            AdjustmentLine.objects.filter(adjustment=stocktake.adjustment_id).values_list(
                "item_id", "quantity_after"
            )
        )
    rows = []
    history = stocktake_selectors.recount_history(stocktake)
    for line in stocktake.lines.filter(counted_quantity__isnull=False).select_related(
        "item", "counted_by"
    ):
        row = {
            "item_id": line.item_id,
            "sku": line.item.sku,
            "name": line.item.name,
            "counted": line.counted_quantity,
            "counted_by": line.counted_by,
            "counted_at": line.counted_at,
            "set_to": set_to.get(line.item_id),
            "left_out": line.left_out,
            "recounts": [
                _earlier_count(recount, show_expected) for recount in history.get(line.pk, ())
            ],
        }
        if show_expected:
            row.update(expected=line.expected_quantity, variance=line.variance)
        rows.append(row)
    left_out = [row for row in rows if row["left_out"]]
    count_again_url = None
    if left_out and request.user.has_perm(START):
        query = {"location": stocktake.location_id, "scope": "subset"}
        query["codes"] = "\n".join(row["sku"] for row in left_out)
        count_again_url = f"{reverse('stocktakes:list')}?{urlencode(query)}#start-heading"
    adjustment_url = None
    if stocktake.adjustment_id:
        adjustment_url = reverse(
            "admin:inventory_adjustment_change", args=[stocktake.adjustment_id]
        )
    return page(
        request,
        "outcome.html",
        str(stocktake),
        stocktake=stocktake,
        show_expected=show_expected,
        rows=rows,
        applied=bool(set_to),
        left_out=left_out,
        count_again_url=count_again_url,
        adjustment_url=adjustment_url,
        late_total=stocktake_selectors.late_scans(stocktake).count(),
        events=stocktake.events.select_related("actor"),
    )


# --- printable sheet ----------------------------------------------------------------------------


@stocktake_page()
def sheet(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """A paper count sheet: the location's items (or the chosen ones) in bin order."""
    show_expected = expected_while_counting(stocktake)
    balances = Balance.objects.filter(location=stocktake.location_id).select_related("item")
    if stocktake.full:
        entries = [(balance.item, balance) for balance in balances]
    else:
        by_item = {
            balance.item_id: balance
            for balance in balances.filter(item__in=stocktake.lines.values("item"))
        }
        entries = [
            (line.item, by_item.get(line.item_id))
            for line in stocktake.lines.select_related("item")
        ]
    rows = []
    for item, balance in entries:
        row = {
            "sku": item.sku,
            "name": item.name,
            "barcode": item.barcode,
            "bin": balance.bin_picking_number if balance else "",
        }
        if show_expected:
            row["expected"] = balance.quantity if balance else 0
        rows.append(row)
    # Walking order: by bin, items without a bin last, then by SKU.
    rows.sort(key=lambda row: (row["bin"] == "", row["bin"], row["sku"]))
    return page(
        request,
        "sheet.html",
        f"Count sheet: {stocktake}",
        stocktake=stocktake,
        rows=rows,
        show_expected=show_expected,
    )
