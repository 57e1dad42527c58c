"""Links to the pages that change stock, prefilled for one item at one location: what an alert
or the home page offers as the next step. The caller shows them only to those who may adjust
stock (`PERMISSION`)."""

from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode

ADJUST = "admin:inventory_balance_adjust"
MOVE = "admin:inventory_balance_move"
PERMISSION = "inventory.adjust_stock"


def _url(name: str) -> str | None:
    # Move stock is a page of its own that a deployment may not have yet: no link then.
    try:
        return reverse(name)
    except NoReverseMatch:
        return None


def adjust_url(*, sku: str = "", location_id: int | None = None) -> str:
    """The Adjust stock form, for one item at one location if given."""
    return _with(_url(ADJUST), {"sku": sku, "location": location_id})


def move_url(*, sku: str = "", from_location_id: int | None = None) -> str:
    """The Move stock form, for one item from one location if given; "" without the form."""
    return _with(_url(MOVE), {"sku": sku, "from": from_location_id})


def _with(url: str | None, query: dict) -> str:
    if url is None:
        return ""
    given = {name: value for name, value in query.items() if value not in ("", None)}
    return f"{url}?{urlencode(given)}" if given else url
