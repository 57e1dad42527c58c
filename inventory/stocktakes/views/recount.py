"""A manager's answer to some lines of a submitted count: send them back for a recount, or
apply all the others (`inventory.stocktakes.recounts`). Both come from the review's one form of
ticked lines; each button posts it to its own address."""

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpRequest, HttpResponse

from inventory.models import Stocktake
from inventory.stocktakes import recounts
from inventory.stocktakes.forms import ChosenLinesForm
from inventory.stocktakes.services import names
from inventory.stocktakes.views.common import (
    APPROVE,
    EXPIRED,
    form_errors,
    posted_once,
    redirect_to,
    require,
    stocktake_page,
)


@stocktake_page(("POST",))
def send_back(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    require(request, APPROVE)
    form = _chosen(request)
    if form is None:
        return redirect_to("review", stocktake)
    lines, note = form.cleaned_data["lines"], form.cleaned_data["note"]

    def act() -> dict:
        chosen = recounts.send_back_for_recount(
            stocktake=stocktake, lines=lines, actor=request.user, note=note
        )
        return {"stocktake": stocktake.pk, "items": names([line.item for line in chosen])}

    result = _once(request, "send_back", stocktake, act, form)
    if result is None:
        return redirect_to("review", stocktake)
    done, replayed = result
    if replayed:
        messages.info(request, "These items were already sent back; nothing was sent twice.")
    else:
        messages.success(
            request,
            f"Sent back for a recount: {done['items']}. The count is open again; review it "
            "when the counters submit it.",
        )
    return redirect_to("count", stocktake)


@stocktake_page(("POST",))
def apply_rest(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    require(request, APPROVE)
    form = _chosen(request)
    if form is None:
        return redirect_to("review", stocktake)
    lines = form.cleaned_data["lines"]

    def act() -> dict:
        adjustment = recounts.apply_all_but(stocktake=stocktake, lines=lines, actor=request.user)
        left_out = stocktake.lines.filter(pk__in=lines).select_related("item")
        return {
            "stocktake": stocktake.pk,
            "adjustment": adjustment.pk,
            "items": names([line.item for line in left_out]),
        }

    result = _once(request, "apply_rest", stocktake, act, form)
    if result is None:
        return redirect_to("review", stocktake)
    done, replayed = result
    if replayed:
        messages.info(request, "This count was already applied; it was not applied twice.")
    else:
        messages.success(
            request, f"Applied, except {done['items']}: their stock was left as it was."
        )
    return redirect_to("count", stocktake)


def _chosen(request: HttpRequest) -> ChosenLinesForm | None:
    """The ticked lines and the note, or None with the reason told."""
    form = ChosenLinesForm(request.POST)
    if form.is_valid():
        return form
    messages.error(request, EXPIRED if "token" in form.errors else form_errors(form))
    return None


def _once(
    request: HttpRequest,
    action: str,
    stocktake: Stocktake,
    act: Callable[[], dict],
    form: ChosenLinesForm,
) -> tuple[dict, bool] | None:
    lines = ",".join(str(line_id) for line_id in sorted(form.cleaned_data["lines"]))
    return posted_once(
        request, action, stocktake, act, detail=f"{lines}|{form.cleaned_data['note']}"
    )
