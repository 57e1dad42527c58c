"""Query-string helpers shared by the list endpoints: the OpenAPI shape of BigCommerce's `name:in`
lists (the FilterSets in `filters` read and document them) and its page/limit pagination with
`meta.pagination`."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import QuerySet
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


def paginate(
    request: Request, rows: Sequence[Any], *, count: int | None = None, keyset: bool = False
) -> Page:
    """One page of `rows` (a queryset or list) by `?page=&limit=`, with BigCommerce's
    `meta.pagination`. `count`, when known, saves a COUNT query. `keyset`: `rows` is a queryset
    in primary key order, whose deep pages are read after the previous page's last key when
    this client asked for it lately (`_rows_of_page`)."""
    limit = int_param(request, "limit", default=DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)
    page = int_param(request, "page", default=1, minimum=1, maximum=10_000_000)
    total = len(rows) if isinstance(rows, list) else (count if count is not None else rows.count())
    if keyset:
        page_rows = _rows_of_page(request, rows, page, limit)
    else:
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


KEYSET_SECONDS = 600


def _rows_of_page(request: Request, rows: QuerySet, page: int, limit: int) -> list[Any]:
    """Page `page` of `rows`. A client walks the pages in order (BigCommerce's clients do), so
    each page remembers, in the cache, the key its next page starts after; the next page is
    then read from the index after that key instead of skipping `(page - 1) * limit` rows, which
    costs as much as the rows skipped. Without a remembered key it is read by offset.

    Both give the same page as long as no row before it was deleted meanwhile (keys only grow:
    new rows come last). If one was, the remembered key still starts the page after the last
    row the client saw, so a walk neither skips nor repeats a row, where offsets would."""
    after = cache.get(_keyset_key(request, page, limit)) if page > 1 else None
    if after is not None:
        found = list(rows.filter(pk__gt=after)[:limit])
    else:
        found = list(rows[(page - 1) * limit : page * limit])
    if found:
        cache.set(_keyset_key(request, page + 1, limit), found[-1].pk, KEYSET_SECONDS)
    return found


def _keyset_key(request: Request, page: int, limit: int) -> str:
    query = sorted(
        (key, value)
        for key, values in request.query_params.lists()
        if key not in {"page", "limit"}
        for value in values
    )
    signature = hashlib.sha256(f"{request.path}?{urlencode(query)}".encode()).hexdigest()
    return f"keyset:{signature}:{limit}:{page}"


def _link(request: Request, page: int, limit: int) -> str:
    params = {
        key: value for key, value in request.query_params.items() if key not in {"page", "limit"}
    }
    return "?" + urlencode({**params, "limit": limit, "page": page}, safe=":,")
