"""Counts from a CSV file: choose, preview with nothing changed, confirm."""

import base64
import binascii

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
    return page(
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
        return redirect_to("upload", stocktake)
    mode = form.cleaned_data["mode"]

    def act() -> dict:
        preview = csv.apply_upload(stocktake=stocktake, data=data, mode=mode, actor=request.user)
        return {"stocktake": stocktake.pk, "rows": len(preview.rows)}

    try:
        result, replayed = once(request, form.cleaned_data["token"], f"upload:{stocktake.pk}", act)
    except (StocktakeError, IdempotencyKeyReused) as error:
        return _preview(request, stocktake, csv, data, mode, error=message_of(error))
    if replayed:
        messages.info(request, "This upload was already applied; it was not applied twice.")
    else:
        messages.success(request, f"Counts uploaded: {result['rows']} rows.")
    return redirect_to("count", stocktake)
