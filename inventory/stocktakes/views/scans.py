"""A device's queued scans, delivered as one JSON batch: POST /stocktakes/<pk>/scans/

    {"scans": [{"id": "<uuid made on the device>", "code": "TEE-BLA-M",
                "at": "2026-12-04T10:02:00Z", "quantity": 1}]}

The answer names each scan's outcome and whether it was already known, so the device can drop
every scan in it from its queue: `{"ok": true, "status": "counting", "results": [...]}`. A bad
entry refuses the whole batch (422, each problem under `scans.N.field`), nothing recorded.
CSRF as the page's other posts: the page's token, here in the X-CSRFToken header.
"""

import json
import uuid
from datetime import datetime

from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime

from inventory.models import Stocktake
from inventory.stocktakes.scans import MAX_BATCH, ScanInput, record_scans
from inventory.stocktakes.views.common import COUNT, require, stocktake_page

MAX_QUANTITY = 10_000
MAX_CODE = 255


@stocktake_page(("POST",))
def scans(request: HttpRequest, stocktake: Stocktake) -> JsonResponse:
    require(request, COUNT)
    try:
        body = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refused(400, {"body": "Send a JSON object."})
    batch, errors = parse_batch(body)
    if errors:
        return _refused(422, errors)
    results = record_scans(stocktake=stocktake, scans=batch, actor=request.user)
    stocktake.refresh_from_db(fields=["status"])
    return JsonResponse(
        {
            "ok": True,
            "status": stocktake.status,
            "results": [result.as_json() for result in results],
        }
    )


def _refused(status: int, errors: dict[str, str]) -> JsonResponse:
    first = next(iter(errors.items()))
    return JsonResponse(
        {"ok": False, "error": "invalid", "message": f"{first[0]}: {first[1]}", "errors": errors},
        status=status,
    )


def parse_batch(body: object) -> tuple[list[ScanInput], dict[str, str]]:
    """The batch's scans, or every problem found, by field (`scans.3.at`)."""
    if not isinstance(body, dict) or not isinstance(body.get("scans"), list):
        return [], {"scans": "Give a list of scans."}
    entries = body["scans"]
    if not entries:
        return [], {"scans": "Give at least one scan."}
    if len(entries) > MAX_BATCH:
        return [], {"scans": f"At most {MAX_BATCH} scans at once; send the rest after."}
    batch: list[ScanInput] = []
    errors: dict[str, str] = {}
    for n, entry in enumerate(entries):
        where = f"scans.{n}"
        if not isinstance(entry, dict):
            errors[where] = "Each scan is an object with id, code and at."
            continue
        found = {
            "id": _scan_id(entry.get("id")),
            "code": _code(entry.get("code")),
            "at": _moment(entry.get("at")),
            "quantity": _quantity(entry.get("quantity", 1)),
        }
        for name, (_, problem) in found.items():
            if problem:
                errors[f"{where}.{name}"] = problem
        if not any(problem for _, problem in found.values()):
            batch.append(
                ScanInput(
                    scan_id=found["id"][0],
                    code=found["code"][0],
                    scanned_at=found["at"][0],
                    quantity=found["quantity"][0],
                )
            )
    return batch, errors


def _scan_id(value: object) -> tuple[uuid.UUID | None, str]:
    if isinstance(value, str):
        try:
            return uuid.UUID(value), ""
        except ValueError:
            pass
    return None, "Give the id the device made for the scan (a UUID)."


def _code(value: object) -> tuple[str | None, str]:
    if isinstance(value, str) and value.strip() and len(value.strip()) <= MAX_CODE:
        return value.strip(), ""
    return None, f"Give the scanned code (1 to {MAX_CODE} characters)."


def _moment(value: object) -> tuple[datetime | None, str]:
    problem = "Give when it was scanned, as an ISO 8601 time with its offset (…Z or +01:00)."
    if not isinstance(value, str):
        return None, problem
    try:
        moment = parse_datetime(value)
    except ValueError:
        return None, problem
    if moment is None or moment.tzinfo is None:
        return None, problem
    return moment, ""


def _quantity(value: object) -> tuple[int | None, str]:
    # bool is an int to Python, not to anyone sending JSON.
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_QUANTITY:
        return value, ""
    return None, f"Give a whole number of units from 1 to {MAX_QUANTITY}, or leave it out."
