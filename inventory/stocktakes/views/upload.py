"""Counts from a CSV file: choose, preview with nothing changed, confirm."""

from django.contrib import messages
from django.http import (
    HttpRequest,
    HttpResponse,
)

from inventory.errors import IdempotencyKeyReused
from inventory.models import (
    Stocktake,
)
from inventory.stocktakes import csv_upload as stocktake_csv
from inventory.stocktakes.forms import (
    ConfirmUploadForm,
    UploadForm,
)
from inventory.stocktakes.services import StocktakeError
from inventory.stocktakes.views.common import (
    COUNT,
    message_of,
    once,
    page,
    redirect_to,
    require,
    stocktake_page,
)


@stocktake_page(("GET", "POST"))
def upload(request: HttpRequest, stocktake: Stocktake) -> HttpResponse:
    """Choose a file and a mode → a preview with nothing changed yet → confirm applies it."""
    require(request, COUNT)
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
    return page(
        request,
        "upload.html",
        f"Upload counts: {stocktake}",
        stocktake=stocktake,
        form=form,
    )


# A file of any length is previewed with its totals and this many of its rows: the first
# ones, or when some have problems, the first of those.
PREVIEW_ROWS = 100

GONE = (
    "That file was already saved, or another file was previewed since. "
    "Choose the file again to preview it."
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
    problems = [row for row in preview.rows if row.error]
    shown = problems if problems else preview.rows
    rows = [
        {
            "line_number": row.line_number,
            "code": row.code,
            "counted": row.counted,
            "item": row.item,
            "error": row.error,
            "new_count": row.new_count,
            "current_count": row.current_count,
        }
        for row in shown[:PREVIEW_ROWS]
    ]
    kept = csv.keep_for_confirm(stocktake=stocktake, data=data, mode=mode, actor=request.user)
    confirm = ConfirmUploadForm(initial={"upload": kept.pk})
    duplicate = preview.already_uploaded and mode == "add"
    blocked = bool(preview.errors) or bool(problems) or duplicate
    return page(
        request,
        "upload_preview.html",
        f"Check the upload: {stocktake}",
        stocktake=stocktake,
        preview=preview,
        rows=rows,
        total_rows=len(preview.rows),
        bad_rows=len(problems),
        mode_label=dict(UploadForm.base_fields["mode"].choices)[mode],
        confirm_form=confirm,
        duplicate=duplicate,
        can_confirm=not blocked,
        error=error,
    )


def _confirm_upload(request: HttpRequest, stocktake: Stocktake, csv) -> HttpResponse:
    form = ConfirmUploadForm(request.POST)
    if not form.is_valid():
        messages.error(request, GONE)
        return redirect_to("upload", stocktake)
    kept = csv.kept_for_confirm(
        stocktake=stocktake, draft_id=form.cleaned_data["upload"], actor=request.user
    )

    def act() -> dict:
        if kept is None:
            raise StocktakeError("upload_gone", GONE)
        preview = csv.apply_upload(
            stocktake=stocktake, data=bytes(kept.data), mode=kept.mode, actor=request.user
        )
        kept.delete()
        return {"stocktake": stocktake.pk, "rows": len(preview.rows)}

    try:
        result, replayed = once(request, form.cleaned_data["token"], f"upload:{stocktake.pk}", act)
    except (StocktakeError, IdempotencyKeyReused) as error:
        if kept is None:
            messages.error(request, message_of(error))
            return redirect_to("upload", stocktake)
        return _preview(request, stocktake, csv, bytes(kept.data), kept.mode, message_of(error))
    if replayed:
        messages.info(request, "This upload was already applied; it was not applied twice.")
    else:
        messages.success(request, f"Counts uploaded: {result['rows']:,} rows.")
    return redirect_to("count", stocktake)
