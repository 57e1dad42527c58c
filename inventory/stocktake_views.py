"""The stocktake pages under /stocktakes/: start, count, upload, review, approve, apply.

Thin on purpose: each view checks who may see the stocktake (another location's is 404, also
for POSTs), validates a form, calls `inventory.stocktakes` and maps StocktakeError to a form or
page error. What a page may show is decided here, never in the template: a blind count's
expected quantities are not put in any context or JSON a counter can reach.
"""

import base64
import binascii
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Max, Q
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode

from inventory import idempotency, stocktake_csv, stocktakes
from inventory.errors import AdjustmentRejected, IdempotencyKeyReused, StaleBalances
from inventory.models import (
    AdjustmentLine,
    Balance,
    Stocktake,
    StocktakeLine,
)
from inventory.stocktake_forms import (
    ConfirmUploadForm,
    ScanForm,
    StartForm,
    TokenForm,
    UploadForm,
)
from inventory.stocktakes import StocktakeError
from locations.selectors import locations_visible_to

Status = Stocktake.Status
RECENT = 20  # closed stocktakes listed under the open ones

VIEW = "inventory.view_stocktake"
START = "inventory.add_stocktake"
COUNT = "inventory.change_stocktake"
APPROVE = "inventory.approve_stocktake"


def stocktake_page(
    methods: tuple[str, ...] = ("GET",),
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged in through the admin's login, with the permission to see stocktakes; a view of
    one stocktake gets it from `pk` among the user's locations only: any other is 404, whatever
    the method (checked before the method is)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, pk: int | None = None) -> HttpResponse:
            if not request.user.has_perm(VIEW):
                raise PermissionDenied
            if pk is None:
                if request.method not in methods:
                    return HttpResponseNotAllowed(methods)
                return view(request)
            stocktake = _stocktake(request, pk)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, stocktake)

        return login_required(checked)

    return decorate


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _stocktake(request: HttpRequest, pk: int) -> Stocktake:
    visible = Stocktake.objects.filter(location__in=locations_visible_to(request.user))
    return get_object_or_404(
        visible.select_related("location", "created_by", "approved_by", "adjustment"), pk=pk
    )


def _page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    return render(
        request,
        f"stocktakes/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


def _to(name: str, stocktake: Stocktake, **query: Any) -> HttpResponseRedirect:
    url = reverse(f"stocktakes:{name}", args=[stocktake.pk])
    return HttpResponseRedirect(f"{url}?{urlencode(query)}" if query else url)


# --- who sees expected quantities -------------------------------------------------------------


def expected_while_counting(stocktake: Stocktake) -> bool:
    """Nobody sees expected quantities on the pages of a blind count that is still going on."""
    return not stocktake.blind


def expected_in_review(stocktake: Stocktake, user) -> bool:
    """After submitting, a blind count's numbers are for those who approve it."""
    return not stocktake.blind or user.has_perm(APPROVE)


# --- one submission per rendered form --------------------------------------------------------


def _once(
    request: HttpRequest, token: uuid.UUID, fingerprint: str, act: Callable[[], dict]
) -> tuple[dict, bool]:
    """Run `act` once per form token: a second submission of the same rendered form (double
    click, browser resend) waits for the first and gets its result back, with `replayed` True.
    The token is an idempotency record saved in the same transaction as the write."""
    scope = f"stocktakes:user:{request.user.pk}"
    key = str(token)
    with transaction.atomic():
        previous = idempotency.claim(scope=scope, key=key, fingerprint=fingerprint, wait=True)
        if previous is not None:
            return previous.response_body or {}, True
        result = act()
        idempotency.remember(
            scope=scope,
            key=key,
            fingerprint=fingerprint,
            adjustment_id=result.get("adjustment"),
            body=result,
        )
    return result, False


def _once_or_say_why(
    request: HttpRequest, token: uuid.UUID, fingerprint: str, act: Callable[[], dict]
) -> tuple[dict, bool] | None:
    """`_once`, with any refusal turned into an error message (and None)."""
    try:
        return _once(request, token, fingerprint, act)
    except (StocktakeError, AdjustmentRejected, IdempotencyKeyReused) as error:
        messages.error(request, _message(error))
        return None


def _may_cancel(request: HttpRequest, stocktake: Stocktake) -> bool:
    return request.user.has_perm(COUNT) and stocktakes.may_cancel(stocktake, request.user)


def _token_or_reload(request: HttpRequest) -> uuid.UUID | None:
    form = TokenForm(request.POST)
    if form.is_valid():
        return form.cleaned_data["token"]
    messages.error(request, "This form has expired. Please try again.")
    return None


# --- list and start ----------------------------------------------------------------------------


@stocktake_page(("GET", "POST"))
def stocktake_list(request: HttpRequest) -> HttpResponse:
    """Open and recent stocktakes of the user's locations, and the form to start a count."""
    locations = locations_visible_to(request.user)
    form = StartForm(locations=locations)
    if request.method == "POST":
        _require(request, START)
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
        result, replayed = _once(request, data["token"], "start", start)
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
    return _to("count", stocktake)


def _list_page(request: HttpRequest, form: StartForm, locations) -> HttpResponse:
    visible = (
        Stocktake.objects.filter(location__in=locations)
        .select_related("location", "created_by")
        .annotate(
            counted_lines=Count("lines", filter=Q(lines__counted_quantity__isnull=False)),
        )
    )
    open_ones = list(visible.filter(status__in=[Status.COUNTING, Status.SUBMITTED]))
    closed = list(visible.filter(status__in=[Status.APPLIED, Status.CANCELLED])[:RECENT])
    return _page(
        request,
        "list.html",
        "Stocktakes",
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
        _require(request, COUNT)
        form = ScanForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return _to("count", stocktake)
        line, error = _scan(request, stocktake, form)
        if error is not None:
            messages.error(request, error.args[0])
            return _to("count", stocktake)
        return _to("count", stocktake, last=line.item_id)
    if stocktake.status == Status.SUBMITTED:
        return _to("review", stocktake)
    if stocktake.status != Status.COUNTING:
        return _outcome(request, stocktake)
    last = None
    # Not isdigit(): "²" is a digit that int() refuses. 18 digits always fit an item id.
    if (last_id := request.GET.get("last", "")).isdecimal() and len(last_id) <= 18:
        last = (
            stocktake.lines.filter(item_id=int(last_id), counted_quantity__isnull=False)
            .select_related("item")
            .first()
        )
    return _page(
        request,
        "count.html",
        str(stocktake),
        stocktake=stocktake,
        scan_form=ScanForm(),
        submit_form=TokenForm(),
        last=last,
        can_count=request.user.has_perm(COUNT),
        can_cancel=_may_cancel(request, stocktake),
        **_counting_context(stocktake),
    )


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


def _counting_context(stocktake: Stocktake) -> dict:
    """The counted lines (expected and variance only when the count is not blind), the unknown
    codes and the progress: what the count page shows and what a scan sends back."""
    show_expected = expected_while_counting(stocktake)
    lines = (
        stocktake.lines.filter(counted_quantity__isnull=False)
        .select_related("item", "counted_by")
        .order_by("-counted_at", "-id")
    )
    rows = []
    for line in lines:
        row = {
            "item_id": line.item_id,
            "sku": line.item.sku,
            "name": line.item.name,
            "counted": line.counted_quantity,
            "counted_by": line.counted_by,
            "counted_at": line.counted_at,
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
    total = None if stocktake.full else stocktake.lines.count()
    not_counted = []
    if not stocktake.full:
        not_counted = list(
            stocktake.lines.filter(counted_quantity__isnull=True)
            .select_related("item")
            .order_by("item__sku")
        )
    return {
        "show_expected": show_expected,
        "rows": rows,
        "unknown_codes": list(unknown),
        "counted_total": len(rows),
        "lines_total": total,
        "not_counted": not_counted,
    }


@stocktake_page(("GET", "POST"))
def scan(request: HttpRequest, stocktake: Stocktake) -> JsonResponse:
    """The count page's scans through fetch: one JSON answer with the counted total and the
    page's fragments rendered again, under the same rules as the page itself. A GET sends only
    the fragments (the page refreshes them now and then to show what others counted)."""
    body: dict[str, Any] = {"ok": True}
    line = None
    if request.method == "POST":
        _require(request, COUNT)
        form = ScanForm(request.POST)
        if not form.is_valid():
            body = {"ok": False, "error": "invalid", "message": _form_errors(form)}
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
        for name in ("lines", "unknown", "progress", "not_counted"):
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
    _require(request, COUNT)
    token = _token_or_reload(request)
    if token is None:
        return _to("count", stocktake)

    def act() -> dict:
        done = stocktakes.submit_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": done.pk, "needs_approval": done.needs_approval}

    outcome = _once_or_say_why(request, token, f"submit:{stocktake.pk}", act)
    if outcome is None:
        return _to("count", stocktake)
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
    return _to("review", stocktake)


@stocktake_page(("GET", "POST"))
def cancel(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """A confirmation page (no JavaScript needed), then the cancel itself."""
    _require(request, COUNT)
    if not stocktakes.may_cancel(stocktake, request.user):
        messages.error(request, stocktakes.who_may_cancel(stocktake))
        return _to("count", stocktake)
    if request.method == "GET":
        if stocktake.status not in (Status.COUNTING, Status.SUBMITTED):
            return _to("count", stocktake)
        return _page(
            request,
            "cancel.html",
            f"Cancel {stocktake}?",
            stocktake=stocktake,
            form=TokenForm(),
            counted_total=stocktake.lines.filter(counted_quantity__isnull=False).count(),
        )
    token = _token_or_reload(request)
    if token is None:
        return _to("cancel", stocktake)

    def act() -> dict:
        stocktakes.cancel_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk}

    outcome = _once_or_say_why(request, token, f"cancel:{stocktake.pk}", act)
    if outcome is None:
        return _to("count", stocktake)
    _, replayed = outcome
    if replayed:
        messages.info(request, "This count was already cancelled.")
    else:
        messages.success(request, f"{stocktake} cancelled. Nothing was changed.")
    return _to("count", stocktake)


# --- review, approve, apply ---------------------------------------------------------------------


@stocktake_page()
def review(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    if stocktake.status == Status.COUNTING:
        return _to("count", stocktake)
    if stocktake.status != Status.SUBMITTED:
        return _outcome(request, stocktake)
    show_expected = expected_in_review(stocktake, request.user)
    limit = stocktakes.variance_threshold(stocktake.location)
    counted, uncounted = [], []
    for line in stocktakes.review(stocktake):
        row = {
            "sku": line.item.sku,
            "name": line.item.name,
            "counted": line.counted,
            "counted_at": line.counted_at,
            "moved_since": line.moved_since,
            "will_set": line.will_set,
        }
        if show_expected:
            row.update(
                expected=line.expected_at_count,
                variance=line.variance,
                on_hand_now=line.on_hand_now,
                over=line.change is not None and abs(line.change) > limit,
            )
        (counted if line.counted is not None else uncounted).append(row)
    if not show_expected:
        # Which items nobody counted still hold stock is what a blind counter must not learn.
        uncounted = []
    approved = stocktake.approved_at is not None
    can_apply = request.user.has_perm(COUNT) and (not stocktake.needs_approval or approved)
    totals = {"counted": len(counted), "uncounted": len(uncounted)}
    if show_expected:
        totals.update(
            variance=sum(row["variance"] or 0 for row in counted),
            over=sum(1 for row in counted + uncounted if row["over"]),
        )
    return _page(
        request,
        "review.html",
        f"Review {stocktake}",
        stocktake=stocktake,
        show_expected=show_expected,
        threshold=limit,
        rows=counted,
        uncounted=uncounted,
        totals=totals,
        can_apply=can_apply,
        can_approve=(request.user.has_perm(APPROVE) and stocktake.needs_approval and not approved),
        can_cancel=_may_cancel(request, stocktake),
        apply_form=TokenForm(),
        approve_form=TokenForm(),
        events=stocktake.events.select_related("actor"),
    )


@stocktake_page(("POST",))
def approve(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    _require(request, APPROVE)
    token = _token_or_reload(request)
    if token is None:
        return _to("review", stocktake)

    def act() -> dict:
        current = Stocktake.objects.get(pk=stocktake.pk)
        if current.approved_at is not None:
            return {"stocktake": stocktake.pk, "already": True}
        stocktakes.approve_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk}

    outcome = _once_or_say_why(request, token, f"approve:{stocktake.pk}", act)
    if outcome is None:
        return _to("review", stocktake)
    result, replayed = outcome
    if replayed or result.get("already"):
        messages.info(request, "This count was already approved.")
    else:
        messages.success(request, "Approved. The count can now be applied.")
    return _to("review", stocktake)


@stocktake_page(("POST",))
def apply(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    _require(request, COUNT)
    token = _token_or_reload(request)
    if token is None:
        return _to("review", stocktake)

    def act() -> dict:
        adjustment = stocktakes.apply_stocktake(stocktake=stocktake, actor=request.user)
        return {"stocktake": stocktake.pk, "adjustment": adjustment and adjustment.pk}

    outcome = _once_or_say_why(request, token, f"apply:{stocktake.pk}", act)
    if outcome is None:
        return _to("review", stocktake)
    result, replayed = outcome
    if result["adjustment"] is None:
        messages.warning(
            request,
            "Not applied: stock changed since the count was submitted, and applying now would "
            "change some items by more than the threshold. An Inventory manager must approve.",
        )
        return _to("review", stocktake)
    if replayed:
        messages.info(request, "This count was already applied; it was not applied twice.")
    else:
        messages.success(request, "Applied: stock was set from this count.")
    return _to("count", stocktake)


def _outcome(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
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
        }
        if show_expected:
            row.update(expected=line.expected_quantity, variance=line.variance)
        rows.append(row)
    adjustment_url = None
    if stocktake.adjustment_id:
        adjustment_url = reverse(
            "admin:inventory_adjustment_change", args=[stocktake.adjustment_id]
        )
    return _page(
        request,
        "outcome.html",
        str(stocktake),
        stocktake=stocktake,
        show_expected=show_expected,
        rows=rows,
        applied=bool(set_to),
        adjustment_url=adjustment_url,
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
    return _page(
        request,
        "sheet.html",
        f"Count sheet: {stocktake}",
        stocktake=stocktake,
        rows=rows,
        show_expected=show_expected,
    )


# --- CSV upload ---------------------------------------------------------------------------------


@stocktake_page(("GET", "POST"))
def upload(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """Choose a file and a mode → a preview with nothing changed yet → confirm applies it."""
    _require(request, COUNT)
    csv = stocktake_csv
    if request.method == "GET":
        return _upload_page(request, stocktake, UploadForm())
    if "confirm" in request.POST:
        return _confirm_upload(request, stocktake, csv)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, stocktake, form)
    data = form.cleaned_data["file"].read()
    return _preview(request, stocktake, csv, data, form.cleaned_data["mode"])


def _upload_page(request: HttpRequest, stocktake: Stocktake, form: UploadForm) -> HttpResponse:
    return _page(
        request,
        "upload.html",
        f"Upload counts: {stocktake}",
        stocktake=stocktake,
        form=form,
    )


def _preview(
    request: HttpRequest,
    stocktake: Stocktake,
    csv,
    data: bytes,
    mode: str,
    error: str | None = None,
) -> HttpResponse:
    try:
        preview = csv.preview_upload(stocktake=stocktake, data=data, mode=mode)
    except StocktakeError as problem:
        form = UploadForm(initial={"mode": mode})
        form.add_error(None, problem.args[0])
        return _upload_page(request, stocktake, form)
    rows = []
    for row in preview.rows:
        shown = {
            "line_number": row.line_number,
            "code": row.code,
            "counted": row.counted,
            "item": row.item,
            "error": row.error,
            "new_count": row.new_count,
            "current_count": row.current_count,
        }
        rows.append(shown)
    confirm = ConfirmUploadForm(
        initial={"data": base64.b64encode(data).decode("ascii"), "mode": mode}
    )
    duplicate = preview.already_uploaded and mode == "add"
    bad_rows = sum(1 for row in rows if row["error"])
    blocked = bool(preview.errors) or bad_rows > 0 or duplicate
    return _page(
        request,
        "upload_preview.html",
        f"Check the upload: {stocktake}",
        stocktake=stocktake,
        preview=preview,
        rows=rows,
        mode_label=dict(UploadForm.base_fields["mode"].choices)[mode],
        confirm_form=confirm,
        duplicate=duplicate,
        bad_rows=bad_rows,
        can_confirm=not blocked,
        error=error,
    )


def _confirm_upload(request: HttpRequest, stocktake: Stocktake, csv) -> HttpResponse:
    form = ConfirmUploadForm(request.POST)
    data = None
    if form.is_valid():
        try:
            data = base64.b64decode(form.cleaned_data["data"], validate=True)
        except (binascii.Error, ValueError):
            data = None
    if data is None:
        messages.error(request, "The upload could not be read back. Please choose the file again.")
        return _to("upload", stocktake)
    mode = form.cleaned_data["mode"]

    def act() -> dict:
        preview = csv.apply_upload(stocktake=stocktake, data=data, mode=mode, actor=request.user)
        return {"stocktake": stocktake.pk, "rows": len(preview.rows)}

    try:
        result, replayed = _once(request, form.cleaned_data["token"], f"upload:{stocktake.pk}", act)
    except (StocktakeError, IdempotencyKeyReused) as error:
        return _preview(request, stocktake, csv, data, mode, error=_message(error))
    if replayed:
        messages.info(request, "This upload was already applied; it was not applied twice.")
    else:
        messages.success(request, f"Counts uploaded: {result['rows']} rows.")
    return _to("count", stocktake)


def _form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def _message(error: Exception) -> str:
    if isinstance(error, IdempotencyKeyReused):
        return "This form was already used for something else. Please reload the page."
    if isinstance(error, StaleBalances):
        return (
            "Stock at this location kept changing while the count was being applied. "
            "Nothing was changed: please apply again."
        )
    return str(error.args[0]) if error.args else str(error)
