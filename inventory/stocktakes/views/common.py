"""The stocktake pages under /stocktakes/: start, count, upload, review, approve, apply.

Thin on purpose: each view checks who may see the stocktake (another location's is 404, also
for POSTs), validates a form, calls `inventory.stocktakes.services` and maps StocktakeError to a form or
page error. What a page may show is decided here, never in the template: a blind count's
expected quantities are not put in any context or JSON a counter can reach.
"""

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.http import urlencode

from inventory import idempotency
from inventory.errors import AdjustmentRejected, IdempotencyKeyReused, StaleBalances
from inventory.idempotency import Kept
from inventory.models import (
    Stocktake,
)
from inventory.stock.messages import for_people
from inventory.stocktakes import services as stocktakes
from inventory.stocktakes.forms import (
    TokenForm,
)
from inventory.stocktakes.services import StocktakeError
from locations.selectors import locations_visible_to

Status = Stocktake.Status
RECENT = 20  # closed stocktakes listed under the open ones
SENTENCES_SHOWN = 5  # of a refused apply's reasons, in its one-line notice

VIEW = "inventory.view_stocktake"
START = "inventory.add_stocktake"
COUNT = "inventory.change_stocktake"
APPROVE = "inventory.approve_stocktake"
EXPIRED = "This form has expired. Please try again."


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


def require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied


def _stocktake(request: HttpRequest, pk: int) -> Stocktake:
    visible = Stocktake.objects.filter(location__in=locations_visible_to(request.user))
    return get_object_or_404(
        visible.select_related("location", "created_by", "approved_by", "adjustment"), pk=pk
    )


def page(request: HttpRequest, template: str, title: str, **context: Any) -> HttpResponse:
    return render(
        request,
        f"stocktakes/{template}",
        {**admin.site.each_context(request), "title": title, **context},
    )


def redirect_to(name: str, stocktake: Stocktake, **query: Any) -> HttpResponseRedirect:
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


def once(
    request: HttpRequest, token: uuid.UUID, fingerprint: str, act: Callable[[], dict]
) -> tuple[dict, bool]:
    """Run `act` once per form token (`fingerprint` names what the form does, e.g.
    "approve:<id>"): a second submission of the same rendered form (double
    click, browser resend) waits for the first and gets its result back, with `replayed` True.
    The token is an idempotency record saved in the same transaction as the write."""
    return idempotency.run_once(
        scope=idempotency.scope_of(actor=request.user, area=idempotency.STOCKTAKE_FORMS),
        key=str(token),
        fingerprint=idempotency.fingerprint(fingerprint),
        act=lambda: (act(), False),
        keep=lambda done: Kept(adjustment_id=done[0].get("adjustment"), body=done[0]),
        replay=lambda previous: (previous.response_body or {}, True),
        wait=True,
    )


def posted_once(
    request: HttpRequest,
    action: str,
    stocktake: Stocktake,
    act: Callable[[], dict],
    detail: str = "",
) -> tuple[dict, bool] | None:
    """A stocktake's action form, posted: `act` run once per form token (`once`, as
    "<action>:<stocktake>", plus `detail`: what else the form chose, so the same form sent
    again with other choices is refused rather than answered with the first result). None when
    the form has expired or the action was refused; the user has been told why, and the view
    sends them back to the form."""
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, EXPIRED)
        return None
    fingerprint = f"{action}:{stocktake.pk}" + (f":{detail}" if detail else "")
    try:
        return once(request, form.cleaned_data["token"], fingerprint, act)
    except (StocktakeError, AdjustmentRejected, IdempotencyKeyReused) as error:
        messages.error(request, message_of(error))
        return None


def may_cancel(request: HttpRequest, stocktake: Stocktake) -> bool:
    return request.user.has_perm(COUNT) and stocktakes.may_cancel(stocktake, request.user)


def form_errors(form) -> str:
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def message_of(error: Exception) -> str:
    if isinstance(error, IdempotencyKeyReused):
        return "This form was already used for something else. Please reload the page."
    if isinstance(error, StaleBalances):
        return (
            "Stock at this location kept changing while the count was being applied. "
            "Nothing was changed: please apply again."
        )
    if isinstance(error, AdjustmentRejected):
        # A location switched off refuses every line alike: say it once.
        sentences = list(dict.fromkeys(for_people(error.errors)))
        more = len(sentences) - SENTENCES_SHOWN
        shown = " ".join(sentences[:SENTENCES_SHOWN])
        return f"Nothing was changed. {shown}" + (f" And {more} more." if more > 0 else "")
    return str(error.args[0]) if error.args else str(error)
