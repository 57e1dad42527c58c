"""What the transfer and supplier receipt pages share, after the stocktake pages' pattern:
who may open a document (one of another location is 404, whatever the method), the page
frame, a write form acted on once per rendered form, and refusals in people's words."""

import re
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from inventory import idempotency
from inventory.admin.stock_rows import BLANK_ROWS, Row
from inventory.errors import (
    AdjustmentRejected,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    LineError,
    MovementNotAllowed,
    MovementRejected,
    StaleBalances,
)
from inventory.idempotency import Kept
from inventory.models import ReceivingEvent, SupplierReceipt, TransferOrder
from inventory.stock.messages import for_people
from inventory.stock.selectors import balances_at
from inventory.stocktakes.blind_counts import blind_counts_hiding_items
from inventory.stocktakes.forms import TokenForm
from locations.models import Location

Document = TransferOrder | SupplierReceipt

# A user's form tokens on these pages never meet their keys elsewhere.
EXPIRED = "This form has expired. Please try again."
ADJUSTMENT_VIEW = "inventory.view_adjustment"


def document_page(
    permission: str,
    visible: Callable[[Any], QuerySet],
    methods: tuple[str, ...] = ("GET",),
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Logged in, with `permission` (to see such documents); a view of one document gets it
    from `pk` among those `visible(user)` returns: any other is 404, checked before the
    method is, so a POST cannot tell an unseen document from a missing one."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def checked(request: HttpRequest, pk: int | None = None) -> HttpResponse:
            require(request, permission)
            if pk is None:
                if request.method not in methods:
                    return HttpResponseNotAllowed(methods)
                return view(request)
            document = get_object_or_404(visible(request.user), pk=pk)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, document)

        return login_required(checked)

    return decorate


def require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    return render(
        request,
        f"movements/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


def once(
    request: HttpRequest, token: uuid.UUID, fingerprint: str, act: Callable[[], dict]
) -> tuple[dict, bool]:
    """Run `act` once per form token: a second submission of the same rendered form (double
    click, browser resend) waits for the first and gets its result back, `replayed` True."""
    return idempotency.run_once(
        scope=idempotency.scope_of(actor=request.user, area=idempotency.MOVEMENT_FORMS),
        key=str(token),
        fingerprint=idempotency.fingerprint(fingerprint),
        act=lambda: (act(), False),
        keep=lambda done: Kept(body=done[0]),
        replay=lambda previous: (previous.response_body or {}, True),
        wait=True,
    )


def posted_once(
    request: HttpRequest,
    action: str,
    document: Any,
    act: Callable[[], dict],
    refused: str = "",
    next_step: str = "",
) -> tuple[dict, bool] | None:
    """A document's action button, posted: `act` run once per form token. None when the form
    expired or the step was refused; the user has been told why: `refused` (what did not
    happen), the reasons, and `next_step` (what to do about a refusal of the write path's)."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, EXPIRED)
        return None
    try:
        return once(request, form.cleaned_data["token"], f"{action}:{document.number}", act)
    except AdjustmentRejected as error:
        words = [refused, message_of(error)]
        if not isinstance(error, MovementRejected | StaleBalances):
            words.append(next_step)
        messages.error(request, " ".join(word for word in words if word))
        return None
    except (MovementNotAllowed, IdempotencyKeyReused) as error:
        messages.error(request, message_of(error))
        return None
    except IdempotencyKeyInFlight:
        messages.info(request, "This is being done already: reload the page in a moment.")
        return None


def message_of(error: Exception) -> str:
    """One notice for a refused step: nothing changed, and why."""
    if isinstance(error, IdempotencyKeyReused):
        return "This form was already used for something else. Please reload the page."
    if isinstance(error, StaleBalances):
        return "Stock kept changing meanwhile. Nothing was changed: please try again."
    if isinstance(error, AdjustmentRejected):
        return "Nothing was changed. " + " ".join(dict.fromkeys(sentences(error)))
    return str(error)


def sentences(error: AdjustmentRejected) -> list[str]:
    """Each of a refusal's errors in words: the movement services word theirs for people
    already; the write path's (shipping) are worded by `stock.messages`."""
    if isinstance(error, MovementRejected):
        return [line.message for line in error.errors]
    return for_people(error.errors)


def beside_row(message: str) -> str:
    """A service's line message shown beside its row: the row already says which line it is,
    and its number on the page may differ from the service's count of filled lines."""
    return re.sub(r"^Line \d+, ", "", message)


def show_on_form(
    errors: list[LineError], words: list[str], header, rows: list, fields: dict[str, str]
) -> None:
    """Each refusal beside its box: a document's on the header field it names (`fields` maps
    the service's field names to the form's), a line's on the row it came from (`rows`, in
    the order they were sent)."""
    for error, message in zip(errors, words, strict=True):
        if error.index is None:
            field = fields.get(error.field)
            header.add_error(field if field in header.fields else None, message)
            continue
        row = rows[error.index]
        box = "quantity" if error.field in ("quantity", "expected") else "code"
        if box not in row.errors:
            row.add_error(box, beside_row(message))


def created_once(
    request: HttpRequest,
    header,
    filled: list,
    *,
    model: type[Document],
    name: str,
    word: str,
    fields: dict[str, str | None],
    create: Callable[[], Document],
) -> tuple[Document, bool] | None:
    """A new document from a filled form (`header` and its `filled` rows), created once per
    form token: a double click or a browser's resend gets the first one's document back,
    `replayed` True, and is told so. None when refused: each refusal is then beside its box
    (`fields` as in `show_on_form`). `name` keys what is kept ("transfer"); `word` is what
    people call the document ("delivery")."""
    try:
        result, replayed = once(
            request,
            header.cleaned_data["token"],
            f"create-{name}",
            lambda: {name: create().pk},
        )
    except MovementRejected as error:
        show_on_form(error.errors, sentences(error), header, filled, fields)
        return None
    except (IdempotencyKeyReused, IdempotencyKeyInFlight):
        header.add_error(None, f"This form was already sent. Open the {word} from the list.")
        return None
    document = model.objects.get(pk=result[name])
    if replayed:
        messages.info(request, f"{document.number} was already created; it was not made twice.")
    return document, replayed


def adjustment_url(user, adjustment_id: int | None) -> str:
    """The ledger's record of a step, for those who may read it; "" otherwise."""
    if adjustment_id is None or not user.has_perm(ADJUSTMENT_VIEW):
        return ""
    return reverse("admin:inventory_adjustment_change", args=[adjustment_id])


def receiving_events(request: HttpRequest, document: TransferOrder | SupplierReceipt) -> list:
    """The document's receivings, oldest first, each with what it recorded per item."""
    of = "transfer" if isinstance(document, TransferOrder) else "receipt"
    events = (
        ReceivingEvent.objects.filter(**{of: document})
        .select_related("actor", "api_client")
        .prefetch_related("lines__item")
    )
    return [
        {
            "event": event,
            "who": event.actor or event.api_client or "the system",
            "lines": list(event.lines.all()),
            "ledger_url": adjustment_url(request.user, event.adjustment_id),
        }
        for event in events
    ]


# The item rows of a new transfer or receipt: the adjust form's rows (and its script)


def blank_rows() -> list[dict]:
    return [{}] * BLANK_ROWS


def empty_row(rows) -> Row:
    """The page script's template of a row added at the end."""
    return Row("__number__", rows.empty_form, None)


def rows_with_on_hand(user, rows, location: Location | None, data: QueryDict | None) -> list:
    """The rows as shown, each item's on-hand at `location` beside it (none while a blind
    count there hides it from the reader). The on-hand also goes in the row's hidden box, so
    the page's script shows what the quantity leaves."""
    named = [form for form in rows.forms if form.item is not None] if rows.is_bound else []
    on_hand: dict[int, int] = {}
    if location is not None and named:
        item_ids = [form.item.pk for form in named]
        hidden = blind_counts_hiding_items(user, location_id=location.pk, item_ids=item_ids)
        stock = balances_at(item_ids=item_ids, location_ids=[location.pk])
        for form in named:
            if form.item.pk not in hidden:
                balance = stock.get((form.item.pk, location.pk))
                on_hand[form.number] = balance.quantity if balance is not None else 0
    shown = []
    for form in rows.forms:
        known = on_hand.get(form.number)
        if data is not None:
            data[f"{form.prefix}-expected_quantity"] = "" if known is None else str(known)
        shown.append(Row(form.number, form, known))
    return shown
