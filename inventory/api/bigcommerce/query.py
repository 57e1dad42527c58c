"""Query-string helpers shared by the list endpoints: the OpenAPI shape of BigCommerce's `name:in`
lists (the FilterSets in `filters` read and document them) and its page/limit pagination with
`meta.pagination`."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from inventory.api.errors import Problem

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

# OpenAPI descriptions of these parameters, so generated clients (and schemathesis) send what
# the parsers accept.
ID_PATTERN = re.compile(r"[0-9]{1,9}(,[0-9]{1,9})*")  # nine digits always fit an int32
MAX_TEXT_LIST = 10_000
ID_LIST = {"type": "string", "pattern": f"^({ID_PATTERN.pattern})?$"}
TEXT_LIST = {"type": "string", "maxLength": MAX_TEXT_LIST}


PAGE_PARAMETERS = [
    OpenApiParameter(
        "page", {"type": "integer", "minimum": 1, "maximum": 10_000_000}, description="Page number."
    ),
    OpenApiParameter(
        "limit",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
        description=f"Items per page (default {DEFAULT_LIMIT}).",
    ),
]


def int_param(request: Request, name: str, *, default: int, minimum: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if not minimum <= value <= maximum:
        raise Problem(
            422,
            "Invalid query parameter",
            {name: f"Expected a whole number from {minimum} to {maximum}."},
        )
    return value


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Any]
    meta: dict[str, Any]


def paginate(request: Request, rows: Sequence[Any], *, count: int | None = None) -> Page:
    """One page of `rows` (a queryset or list) by `?page=&limit=`, with BigCommerce's
    `meta.pagination`. `count`, when known, saves a COUNT query."""
    limit = int_param(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    page = int_param(request, "page", default=1, minimum=1, maximum=10_000_000)
    total = len(rows) if isinstance(rows, list) else (count if count is not None else rows.count())
    page_rows = list(rows[(page - 1) * limit : page * limit])
    total_pages = max(1, -(-total // limit))
    links = {"current": _link(request, page, limit)}
    if page > 1:
        links["previous"] = _link(request, page - 1, limit)
    if page < total_pages:
        links["next"] = _link(request, page + 1, limit)
    meta = {
        "pagination": {
            "total": total,
            "count": len(page_rows),
            "per_page": limit,
            "current_page": page,
            "total_pages": total_pages,
            "links": links,
        }
    }
    return Page(page_rows, meta)


def _link(request: Request, page: int, limit: int) -> str:
    params = {
        key: value for key, value in request.query_params.items() if key not in {"page", "limit"}
    }
    return "?" + urlencode({**params, "limit": limit, "page": page}, safe=":,")
