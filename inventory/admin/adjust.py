import uuid

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse

from inventory.admin.adjust_forms import AdjustLineForm, AdjustLineFormSet, AdjustStockForm
from inventory.admin.notices import say_what_blind_counts_hide
from inventory.errors import (
    AdjustmentRejected,
    IdempotencyKeyInFlight,
    IdempotencyKeyReused,
    StaleBalances,
)
from inventory.models import Adjustment, AdjustmentLine, Item
from inventory.reports import exports
from inventory.selectors import blind_counts_hiding_items, on_hand
from inventory.stock import apply_adjustment
from locations.selectors import locations_visible_to

BLANK_ROWS = 5


def adjust_stock(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """The admin's "Adjust stock" page: set or add quantities of one or many items at a location.

    Validates the form, calls the write path and shows its errors on the rows they belong to.
    """
    if not request.user.has_perm("inventory.adjust_stock"):
        raise PermissionDenied
    locations = locations_visible_to(request.user)
    if request.method != "POST":
        form, lines = _unbound_forms(request, locations)
        say_what_blind_counts_hide(request)
        return _render(request, model_admin, form, lines)

    form = AdjustStockForm(request.POST, locations=locations)
    lines = AdjustLineFormSet(request.POST, prefix="lines")
    if not (form.is_valid() and lines.is_valid()):
        return _render(request, model_admin, form, lines)
    location = form.cleaned_data["location"]
    if _refuse_hidden_items(request, lines, location):
        return _render(request, model_admin, form, lines)
    try:
        adjustment = apply_adjustment(
            kind=form.kind,
            lines=lines.line_inputs(location),
            reason=form.cleaned_data["reason"],
            source=Adjustment.Source.ADMIN,
            actor=request.user,
            idempotency_key=str(form.cleaned_data["submission_token"]),
        )
    except StaleBalances as error:
        lines = _with_current_quantities(request, lines, location.pk)
        lines.add_service_errors(error)
        form.add_error(
            None,
            "Stock changed since you opened this form. The on-hand column now shows the current "
            "numbers: check your quantities and apply again.",
        )
        return _render(request, model_admin, form, lines)
    except AdjustmentRejected as error:
        lines.add_service_errors(error)
        return _render(request, model_admin, form, lines)
    except IdempotencyKeyReused:
        form.add_error(None, "This form was already used for another adjustment. Reload the page.")
        return _render(request, model_admin, form, lines)
    except IdempotencyKeyInFlight:
        form.add_error(None, "This form is already being applied. Check the history in a moment.")
        return _render(request, model_admin, form, lines)

    if adjustment.replayed:
        messages.info(
            request,
            f"This form was already applied ({adjustment}); it was not applied a second time.",
        )
    else:
        messages.success(request, f"Stock adjusted: {adjustment}.")
    return HttpResponseRedirect(reverse("admin:inventory_adjustment_change", args=[adjustment.pk]))


def _refuse_hidden_items(request: HttpRequest, lines: AdjustLineFormSet, location) -> bool:
    """Items a blind count is counting cannot be adjusted by its counters: the form, its
    errors and the history would tell them the on-hand they are counting blind."""
    rows = {form: lines.items_by_code[form.cleaned_data["code"]] for form in lines.filled_forms()}
    hidden = blind_counts_hiding_items(
        request.user, location_id=location.pk, item_ids=[item.pk for item in rows.values()]
    )
    for form, item in rows.items():
        if item.pk in hidden:
            form.add_error(
                "code",
                f"{item.sku} ({item.name}) is being counted in stocktake #{hidden[item.pk].pk} "
                f"at {location.label}: adjust it once that count is applied or cancelled.",
            )
    return bool(hidden)


def _unbound_forms(request: HttpRequest, locations) -> tuple[AdjustStockForm, AdjustLineFormSet]:
    """A fresh form, prefilled from `?location=ID&items=ID,ID` (the balance list's action).
    Items a blind count hides from the user are left out: their rows would show on-hand."""
    location = locations.filter(pk=_int_or_none(request.GET.get("location"))).first()
    item_ids = [_int_or_none(part) for part in request.GET.get("items", "").split(",")]
    items = list(Item.objects.filter(pk__in=[pk for pk in item_ids if pk is not None]))
    if location is not None:
        hidden = blind_counts_hiding_items(
            request.user, location_id=location.pk, item_ids=[item.pk for item in items]
        )
        items = [item for item in items if item.pk not in hidden]
    quantities = (
        on_hand(location_id=location.pk, item_ids=[i.pk for i in items]) if location else {}
    )
    initial = [{"code": item.sku, "expected_quantity": quantities.get(item.pk)} for item in items]
    form = AdjustStockForm(
        initial={"location": location, "submission_token": uuid.uuid4()}, locations=locations
    )
    lines = AdjustLineFormSet(initial=initial + [{}] * BLANK_ROWS, prefix="lines")
    return form, lines


def _with_current_quantities(
    request: HttpRequest, lines: AdjustLineFormSet, location_id: int
) -> AdjustLineFormSet:
    """The same rows, now expecting today's on-hand: applying again is a deliberate choice."""
    data = request.POST.copy()
    rows = {
        index: lines.items_by_code[form.cleaned_data["code"]].pk
        for index, form in enumerate(lines.forms)
        if form.is_filled()
    }
    current = on_hand(location_id=location_id, item_ids=rows.values())
    for index, item_id in rows.items():
        data[f"lines-{index}-expected_quantity"] = str(current[item_id])
    refreshed = AdjustLineFormSet(data, prefix="lines")
    refreshed.is_valid()
    return refreshed


def _render(request, model_admin, form, lines) -> HttpResponse:
    codes = {_code(line) for line in lines.forms} - {None, ""}
    items = Item.objects.filter(sku__in=codes) | Item.objects.filter(barcode__in=codes)
    by_code = {item.sku: item for item in items} | {item.barcode: item for item in items}
    rows = [(line, by_code.get(_code(line))) for line in lines.forms]
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "title": "Adjust stock",
        "form": form,
        "lines": lines,
        "rows": rows,
    }
    return render(request, "admin/inventory/balance/adjust.html", context)


def _code(line: AdjustLineForm) -> str | None:
    """The code a row names, to show its item: none when the form refused it (a NUL in it
    would break the lookup on PostgreSQL; the row shows the form's error instead)."""
    if line.is_bound and "code" in line.errors:
        return None
    return line["code"].value()


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def history_csv_response(lines: QuerySet[AdjustmentLine]) -> StreamingHttpResponse:
    """The history list's CSV export: `lines` (the list's own query, filters and search
    applied) streamed in chunks, so a million-line export never sits in memory."""
    return exports.history_csv(lines)
