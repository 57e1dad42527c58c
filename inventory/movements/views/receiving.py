"""The receiving page, one for transfers and supplier deliveries: scan (or type) what arrived,
then receive it all in one submission.

Scanner first: with JavaScript (receive.js) each scan adds one to its line on the page, and
nothing is sent until "Receive" is pressed. Without it, the form still works: the quantities are
typed, and Enter in the scan box posts the form's first button, "Add", which adds the unit here
and shows the page again without receiving anything (so a wedge scanner's Enter never receives).

Who: the permission to receive, at the transfer's destination (or the delivery's location)
among the user's locations; any other document is 404, whatever the method. The rules of
receiving are the services' (`inventory.movements.services`): a refusal is shown on its rows
and the typed quantities are kept.
"""

import re
from collections.abc import Callable, Sequence

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from inventory.errors import (
    AdjustmentRejected,
    IdempotencyKeyReused,
    LineError,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import TransferOrder
from inventory.movements import selectors
from inventory.movements import services as movements
from inventory.movements.forms import ReceivingForm
from inventory.movements.services import Arrival, Who
from inventory.movements.views.common import once
from inventory.movements.views.receiving_page import (
    RECEIPT,
    TRANSFER,
    Kind,
    closed_page,
    is_open,
    page,
    refused_page,
)
from inventory.stock.messages import for_people
from inventory.stocktakes.services import find_item

RECEIVE = "inventory.receive_transferorder"
ACCEPT_OVERAGE = movements.ACCEPT_OVERAGE
STRAYS_KEPT = 50  # codes listed under "not on this transfer": a sheet of wrong labels, not more
# "12*CODE": twelve units of one item in one scan. (Not "12x": SKUs like "3XL-TEE" exist.)
MULTIPLE = re.compile(r"^\s*(\d{1,6})\s*\*\s*(\S.*)$")


@login_required
@require_http_methods(["GET", "POST"])
def receive_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    return _receiving_page(request, TRANSFER, pk)


@login_required
@require_http_methods(["GET", "POST"])
def receive_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    return _receiving_page(request, RECEIPT, pk)


def _receiving_page(request: HttpRequest, kind: Kind, pk: int) -> HttpResponse:
    if not request.user.has_perm(RECEIVE):
        raise PermissionDenied
    document = get_object_or_404(kind.documents(request.user), pk=pk)
    if request.method == "GET" and "lookup" in request.GET:
        return _lookup(request.GET["lookup"], document)
    lines = selectors.document_lines(document)
    may_accept = request.user.has_perm(ACCEPT_OVERAGE)
    if not is_open(document) and request.POST.get("action") != "receive":
        # (A receiving posted twice is answered below, even once the document is received.)
        return closed_page(request, kind, document)
    if request.method == "GET":
        form = ReceivingForm(lines=lines, kind=kind, may_accept=may_accept)
        return page(request, kind, document, form, lines)
    if request.POST.get("action") == "receive":
        form = ReceivingForm(request.POST, lines=lines, kind=kind, may_accept=may_accept)
        return _receive(request, kind, document, form, lines)
    return _scan(request, kind, document, lines, may_accept)


# --- scanning without JavaScript ------------------------------------------------------------


def _scan(request, kind: Kind, document, lines, may_accept: bool) -> HttpResponse:
    """A scan (or typed code) posted by the "Add" button: its line's "received" goes up and the
    page is shown again. Nothing is received, so the form's token stays unused."""
    data = request.POST.copy()
    strays = _strays(request)
    last = None
    count, code = _parse_scan(data.get("code", ""))
    if code:
        item = find_item(code)
        last = next((line for line in lines if item and line.item_id == item.pk), None)
        if last is None:
            strays.append(code)
        else:
            field = ReceivingForm.name(last, "received")
            try:
                before = int(data.get(field) or 0)
            except ValueError:
                before = 0
            data[field] = str(before + count)
    data["code"] = ""
    form = ReceivingForm(data, lines=lines, kind=kind, may_accept=may_accept)
    form.is_valid()  # to show what is wrong with a typed quantity already
    return page(
        request,
        kind,
        document,
        form,
        lines,
        strays=strays,
        last=last,
        scanned=code,
        row_errors=form.row_errors(),
    )


def _parse_scan(raw: str) -> tuple[int, str]:
    """(units, code) of one scan: "12*SKU" is twelve units of SKU, a plain code one."""
    raw = raw.strip()
    if match := MULTIPLE.match(raw):
        return max(int(match[1]), 1), match[2].strip()
    return 1, raw


def _strays(request: HttpRequest) -> list[str]:
    """The codes scanned that are not on the document, as the page posted them back."""
    codes = (code.strip()[:255] for code in request.POST.getlist("stray"))
    return list(dict.fromkeys(code for code in codes if code))[:STRAYS_KEPT]


def _lookup(code: str, document) -> JsonResponse:
    """What a code the page does not know names: an item (not on this document) or nothing."""
    item = find_item(code[:255])
    on_document = item is not None and document.lines.filter(item=item).exists()
    return JsonResponse(
        {"code": code.strip(), "item": str(item) if item else None, "on_document": on_document}
    )


# --- receiving ------------------------------------------------------------------------------


def _receive(request, kind: Kind, document, form: ReceivingForm, lines) -> HttpResponse:
    strays = _strays(request)
    if "token" in form.errors:
        messages.error(request, "This form has expired. Enter the quantities again.")
        return HttpResponseRedirect(reverse(kind.receive_page, args=[document.pk]))
    if not form.is_valid():
        return refused_page(
            request, kind, document, form, lines, strays, form.row_errors(), form.other_errors()
        )
    arrivals = form.arrivals()
    try:
        result, replayed = _received_once(request, kind, document, form, arrivals)
    except IdempotencyKeyReused:
        messages.error(
            request,
            "This form was already used to receive other quantities. Nothing more was received: "
            "check what is still to come and enter it again.",
        )
        return HttpResponseRedirect(reverse(kind.receive_page, args=[document.pk]))
    except MovementNotAllowed as error:
        document.refresh_from_db(fields=["status"])
        if not is_open(document):
            return closed_page(request, kind, document, status=409)
        return refused_page(request, kind, document, form, lines, strays, {}, [str(error)])
    except AdjustmentRejected as error:
        by_line, general = _refusal_in_words(error, arrivals, lines)
        return refused_page(request, kind, document, form, lines, strays, by_line, general)
    messages.success(request, _summary(kind, result, replayed))
    if strays and not replayed:
        messages.warning(
            request,
            f"Not received, not on this {kind.word}: {', '.join(strays)}. Check those labels "
            "with whoever sent them.",
        )
    return HttpResponseRedirect(reverse(kind.document_page, args=[document.pk]))


def _received_once(
    request, kind: Kind, document, form: ReceivingForm, arrivals: list[Arrival]
) -> tuple[dict, bool]:
    """The receiving, run once per rendered form (its token): a double click or a browser's
    resend after a lost response waits for the first and gets its result, `replayed` True. The
    same form sent again with other quantities is refused (IdempotencyKeyReused)."""
    accept = bool(form.cleaned_data.get("accept_overage"))
    note = form.cleaned_data["note"]

    def act() -> dict:
        event = kind.receive(
            document,
            arrivals=arrivals,
            who=Who(actor=request.user),
            accept_overage=accept,
            note=note,
        )
        return {
            "event": event.pk,
            "received": sum(arrival.received for arrival in arrivals),
            "damaged": sum(arrival.damaged for arrival in arrivals),
            "missing": sum(arrival.missing for arrival in arrivals),
            "outstanding": _outstanding(document),
        }

    entered = [[a.item.pk, a.received, a.damaged, a.missing] for a in arrivals if a.total]
    fingerprint = f"receive-{kind.word}:{document.pk}:{entered}:{accept}:{note}"
    return once(request, form.cleaned_data["token"], fingerprint, act)


def _refusal_in_words(
    error: AdjustmentRejected, arrivals: list[Arrival], lines: Sequence
) -> tuple[dict[int, list[str]], list[str]]:
    """A refusal's sentences by line id, and the document's own apart. The movement services
    word theirs for people already, counting the arrivals (one per line, so the page's lines);
    the write path's are worded by `for_people`, and count only the lines stocked."""
    if isinstance(error, MovementRejected):
        return _placed(error.errors, lines, lambda e: e.message, lambda index: index)
    stocked = [index for index, arrival in enumerate(arrivals) if arrival.received]
    sentences = for_people(error.errors, line_number=lambda index: stocked[index] + 1)
    words = dict(zip(map(id, error.errors), sentences, strict=True))
    return _placed(error.errors, lines, lambda e: words[id(e)], lambda index: stocked[index])


def _placed(
    errors: Sequence[LineError],
    lines: Sequence,
    words: Callable[[LineError], str],
    row_of: Callable[[int], int],
) -> tuple[dict[int, list[str]], list[str]]:
    """Each refusal on its line (by line id), the document's own ones apart."""
    by_line: dict[int, list[str]] = {}
    general: list[str] = []
    for error in errors:
        if error.index is None:
            general.append(words(error))
        else:
            by_line.setdefault(lines[row_of(error.index)].pk, []).append(words(error))
    return by_line, general


def _outstanding(document) -> int:
    """Units still to come on the document, read after the receiving (one query)."""
    outstanding = (
        selectors.TRANSFER_OUTSTANDING
        if isinstance(document, TransferOrder)
        else selectors.RECEIPT_OUTSTANDING
    )
    total = (
        document.lines.annotate(left=outstanding)
        .filter(left__gt=0)
        .aggregate(total=Sum("left"))["total"]
    )
    return total or 0


def _summary(kind: Kind, result: dict, replayed: bool) -> str:
    if replayed:
        return "These units were already received: nothing was received twice."
    parts = [f"Received {result.get('received', 0)}"]
    if result.get("damaged"):
        parts.append(f"{result['damaged']} damaged")
    if result.get("missing"):
        parts.append(f"{result['missing']} missing")
    return f"{', '.join(parts)}. {result.get('outstanding', 0)} {kind.still_to_come}."
