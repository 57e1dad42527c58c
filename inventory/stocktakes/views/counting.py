"""Starting a count, counting (a page, and scans through fetch), submitting and cancelling."""

from typing import Any

from django.contrib import messages
from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.loader import render_to_string
from django.urls import reverse

from inventory.errors import IdempotencyKeyReused
from inventory.models import (
    Stocktake,
    StocktakeLine,
    StocktakeRecount,
)
from inventory.stocktakes import selectors as stocktake_selectors
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.forms import (
    ScanForm,
    StartForm,
    TokenForm,
)
from inventory.stocktakes.services import StocktakeError
from inventory.stocktakes.views.common import (
    COUNT,
    RECENT,
    START,
    Status,
    expected_while_counting,
    form_errors,
    may_cancel,
    once,
    page,
    posted_once,
    redirect_to,
    require,
    stocktake_page,
)
from inventory.stocktakes.views.review import outcome
from locations.selectors import locations_visible_to


@stocktake_page(("GET", "POST"))
def stocktake_list(request: HttpRequest) -> HttpResponse:
    """Open and recent stocktakes of the user's locations, and the form to start a count."""
    locations = locations_visible_to(request.user)
    # A link may fill the form in: "count these items again" from a closed count.
    chosen = {
        name: request.GET[name] for name in ("location", "scope", "codes") if name in request.GET
    }
    form = StartForm(locations=locations, initial=chosen)
    if request.method == "POST":
        require(request, START)
        form = StartForm(request.POST, locations=locations)
        if form.is_valid():
            return _start(request, form)
    return _list_page(request, form, locations)


def _start(request: HttpRequest, form: StartForm) -> HttpResponse:
    data = form.cleaned_data

    def start() -> dict:
        stocktake = stocktakes.start_stocktake(
            location=data["location"],
            actor=request.user,
            blind=data["blind"],
            items=data["items"],
            zero_uncounted=data["zero_uncounted"],
        )
        return {"stocktake": stocktake.pk}

    try:
        result, replayed = once(request, data["token"], "start", start)
    except IdempotencyKeyReused:
        messages.error(request, "This form was already used. Please fill it in again.")
        return HttpResponseRedirect(reverse("stocktakes:list"))
    except StocktakeError as error:
        form.add_error(None, error.args[0])
        return _list_page(request, form, locations_visible_to(request.user))
    stocktake = Stocktake.objects.get(pk=result["stocktake"])
    if replayed:
        messages.info(request, f"{stocktake} was already started; it was not started twice.")
    else:
        messages.success(request, f"{stocktake} started. Scan or type the first item.")
    return redirect_to("count", stocktake)


def _list_page(request: HttpRequest, form: StartForm, locations) -> HttpResponse:
    visible = (
        Stocktake.objects.filter(location__in=locations)
        .select_related("location", "created_by")
        .annotate(
            counted_lines=Count("lines", filter=Q(lines__counted_quantity__isnull=False)),
        )
    )
    open_ones = list(visible.filter(status__in=Stocktake.OPEN_STATUSES))
    closed = list(visible.filter(status__in=[Status.APPLIED, Status.CANCELLED])[:RECENT])
    return page(
        request,
        "list.html",
        "Stock counts",
        open_stocktakes=open_ones,
        recent_stocktakes=closed,
        form=form,
        can_start=request.user.has_perm(START),
    )


# --- counting ----------------------------------------------------------------------------------


@stocktake_page(("GET", "POST"))
def count(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """The count page while counting (a no-JS scan posts here and comes back by redirect);
    the review while submitted; the outcome once applied or cancelled."""
    if request.method == "POST":
        require(request, COUNT)
        form = ScanForm(request.POST)
        if not form.is_valid():
            messages.error(request, form_errors(form))
            return redirect_to("count", stocktake)
        line, error = _scan(request, stocktake, form)
        if error is not None:
            messages.error(request, error.args[0])
            return redirect_to("count", stocktake)
        return redirect_to("count", stocktake, last=line.item_id)
    if stocktake.status == Status.SUBMITTED:
        return redirect_to("review", stocktake)
    if stocktake.status != Status.COUNTING:
        return outcome(request, stocktake)
    return page(
        request,
        "count.html",
        str(stocktake),
        stocktake=stocktake,
        scan_form=ScanForm(),
        submit_form=TokenForm(),
        last=_last_line(request, stocktake),
        can_count=request.user.has_perm(COUNT),
        can_cancel=may_cancel(request, stocktake),
        **_counting_context(stocktake),
    )


def _last_line(request: HttpRequest, stocktake: Stocktake) -> StocktakeLine | None:
    """The counted line of the item named by `?last=<item id>`, if any."""
    # Not isdigit(): "²" is a digit that int() refuses. 18 digits always fit an item id.
    if (last_id := request.GET.get("last", "")).isdecimal() and len(last_id) <= 18:
        return (
            stocktake.lines.filter(item_id=int(last_id), counted_quantity__isnull=False)
            .select_related("item")
            .first()
        )
    return None


def _scan(
    request: HttpRequest, stocktake: Stocktake, form: ScanForm
) -> tuple[StocktakeLine | None, StocktakeError | None]:
    data = form.cleaned_data
    try:
        if data["quantity"] is not None:
            line = stocktakes.count_item(
                stocktake=stocktake,
                code=data["code"],
                quantity=data["quantity"],
                actor=request.user,
            )
        else:
            line = stocktakes.count_item(
                stocktake=stocktake, code=data["code"], add=data["add"], actor=request.user
            )
    except StocktakeError as error:
        return None, error
    return line, None


# The count page lists the latest counted lines and the first items still to count: a page and
# each scan's answer cost the same for a 50-item shelf and a 100,000-item warehouse. The review
# lists every line.
LINES_SHOWN = 50


def _counting_context(stocktake: Stocktake) -> dict:
    """The latest counted lines (expected and variance only when the count is not blind), the
    unknown codes and the progress: what the count page shows and what a scan sends back."""
    show_expected = expected_while_counting(stocktake)
    counted = stocktake.lines.filter(counted_quantity__isnull=False)
    recounted = Exists(StocktakeRecount.objects.filter(line=OuterRef("pk")))
    lines = (
        counted.annotate(recounted=recounted)
        .select_related("item", "counted_by")
        .order_by("-counted_at", "-id")[:LINES_SHOWN]
    )
    rows = []
    for line in lines:
        row = {
            "item_id": line.item_id,
            "sku": line.item.sku,
            "barcode": line.item.barcode,
            "name": line.item.name,
            "counted": line.counted_quantity,
            "counted_by": line.counted_by,
            "counted_at": line.counted_at,
            "recounted": line.recounted,
        }
        if show_expected:
            row["expected"] = line.expected_quantity
            row["variance"] = line.variance
        rows.append(row)
    unknown = (
        stocktake.unknown_codes.values("code")
        .annotate(times=Count("id"), last_at=Max("created_at"))
        .order_by("-last_at")
    )
    counted_total = counted.count() if len(rows) == LINES_SHOWN else len(rows)
    to_recount = list(stocktake_selectors.lines_awaiting_recount(stocktake))
    not_counted, not_counted_total = [], 0
    if not stocktake.full:
        # Lines waiting for a recount are listed at the top of the page instead.
        waiting = stocktake.lines.filter(counted_quantity__isnull=True).exclude(
            pk__in=[line.pk for line in to_recount]
        )
        not_counted = list(waiting.select_related("item").order_by("item__sku")[:LINES_SHOWN])
        not_counted_total = waiting.count() if len(not_counted) == LINES_SHOWN else len(not_counted)
    return {
        "show_expected": show_expected,
        "rows": rows,
        "rows_hidden": counted_total - len(rows),
        "unknown_codes": list(unknown),
        "counted_total": counted_total,
        "lines_total": None if stocktake.full else stocktake.lines.count(),
        "not_counted": not_counted,
        "not_counted_hidden": not_counted_total - len(not_counted),
        "to_recount": to_recount,
        "recount_note": _shared_note(to_recount),
        # Only read when nothing waits for a recount: "every item sent back is recounted".
        "all_recounted": not to_recount and counted.filter(recounted).exists(),
    }


def _shared_note(to_recount: list[StocktakeLine]) -> tuple[str, str] | None:
    """The note and who wrote it, when every line to recount carries the same one (one
    send-back's): said once, rather than under each of its items."""
    notes = {(line.note, line.requested_by_name) for line in to_recount}
    return notes.pop() if len(notes) == 1 else None


@stocktake_page(("GET", "POST"))
def scan(request: HttpRequest, stocktake: Stocktake) -> JsonResponse:
    """The count page's scans through fetch: one JSON answer with the counted total and the
    page's fragments rendered again, under the same rules as the page itself. A GET sends only
    the fragments (the page refreshes them now and then to show what others counted, and after
    each batch of queued scans), with the last counted box too when `?last=<item id>` names a
    counted item."""
    body: dict[str, Any] = {"ok": True}
    line = None
    if request.method == "GET":
        line = _last_line(request, stocktake)
    if request.method == "POST":
        require(request, COUNT)
        form = ScanForm(request.POST)
        if not form.is_valid():
            body = {"ok": False, "error": "invalid", "message": form_errors(form)}
            return JsonResponse(body, status=400)
        line, error = _scan(request, stocktake, form)
        if error is not None:
            code = form.cleaned_data["code"]
            body = {"ok": False, "error": error.code, "message": error.args[0], "code": code}
        else:
            body["item"] = {"id": line.item_id, "sku": line.item.sku, "name": line.item.name}
            body["counted"] = line.counted_quantity
        stocktake.refresh_from_db(fields=["status"])
    body["status"] = stocktake.status
    if stocktake.status == Status.COUNTING:
        context = {
            **_counting_context(stocktake),
            "can_count": request.user.has_perm(COUNT),
        }
        for name in ("lines", "unknown", "progress", "not_counted", "recount"):
            body[f"{name}_html"] = render_to_string(
                f"stocktakes/_{name}.html", context, request=request
            )
        if line is not None:
            body["last_html"] = render_to_string(
                "stocktakes/_last.html", {**context, "line": line}, request=request
            )
    else:
        body["redirect"] = reverse("stocktakes:count", args=[stocktake.pk])
    if body["ok"]:
        return JsonResponse(body)
    return JsonResponse(body, status=409 if body["error"] == "wrong_status" else 422)


@stocktake_page(("POST",))
def submit(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    require(request, COUNT)

    def act() -> dict:
        done = stocktakes.submit_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": done.pk, "needs_approval": done.needs_approval}

    outcome = posted_once(request, "submit", stocktake, act)
    if outcome is None:
        return redirect_to("count", stocktake)
    result, replayed = outcome
    if replayed:
        messages.info(request, "This count was already submitted; it was not submitted twice.")
    elif stocktake.blind:
        messages.success(
            request, "Submitted. An Inventory manager reviews blind counts before they are applied."
        )
    elif result["needs_approval"]:
        messages.warning(
            request,
            "Submitted. Some variances are over the threshold: an Inventory manager must "
            "approve before the count is applied.",
        )
    else:
        messages.success(request, "Submitted. Check the numbers, then apply the count.")
    return redirect_to("review", stocktake)


@stocktake_page(("GET", "POST"))
def cancel(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """A confirmation page (no JavaScript needed), then the cancel itself."""
    require(request, COUNT)
    if not stocktakes.may_cancel(stocktake, request.user):
        messages.error(request, stocktakes.who_may_cancel(stocktake))
        return redirect_to("count", stocktake)
    if request.method == "GET":
        if stocktake.status not in Stocktake.OPEN_STATUSES:
            return redirect_to("count", stocktake)
        return page(
            request,
            "cancel.html",
            f"Cancel {stocktake}?",
            stocktake=stocktake,
            form=TokenForm(),
            counted_total=stocktake.lines.filter(counted_quantity__isnull=False).count(),
        )

    def act() -> dict:
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk}

    outcome = posted_once(request, "cancel", stocktake, act)
    if outcome is None:
        return redirect_to("cancel", stocktake)  # which goes on to the count if it is closed
    _, replayed = outcome
    if replayed:
        messages.info(request, "This count was already cancelled.")
    else:
        messages.success(request, f"{stocktake} cancelled. Nothing was changed.")
    return redirect_to("count", stocktake)
