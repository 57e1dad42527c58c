"""Reads of balances that the admin, the movement pages and the API share: on-hand of some items
at a location, a product's items, and how many items there are."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import FilteredRelation, Q
from django.db.models.functions import Coalesce

from inventory.models import Balance, CatalogSize, Item


def on_hand(*, location_id: int, item_ids: Iterable[int]) -> dict[int, int]:
    """Current on-hand per item at one location; items without a balance row hold 0."""
    item_ids = list(item_ids)
    found = dict(
        Balance.objects.filter(location_id=location_id, item_id__in=item_ids).values_list(
            "item_id", "quantity"
        )
    )
    return {item_id: found.get(item_id, 0) for item_id in item_ids}


def items_of_product(*, product_id: int, location_id: int) -> list[dict]:
    """A product's items (`sku`, `variant_id`, `tracking`) with their `on_hand` at one location
    (0 without a balance row), the item tracked as a whole first, then variants by variant_id:
    one query, whatever their number."""
    here = FilteredRelation("balances", condition=Q(balances__location_id=location_id))
    return list(
        Item.objects.filter(product_id=product_id)
        .annotate(here=here)
        .annotate(on_hand=Coalesce("here__quantity", 0))
        .order_by("tracking", "variant_id")  # "product" sorts before "variant"
        .values("sku", "variant_id", "tracking", "on_hand")
    )


def balances_at(
    *, item_ids: Iterable[int], location_ids: Iterable[int]
) -> dict[tuple[int, int], Balance]:
    """The existing balances of some items at some locations, keyed (item_id, location_id), in
    one query. A missing key means quantity 0 with default settings."""
    rows = Balance.objects.filter(item_id__in=list(item_ids), location_id__in=list(location_ids))
    return {(balance.item_id, balance.location_id): balance for balance in rows}


def item_total() -> int:
    """How many items there are: on PostgreSQL the count its triggers keep (`CatalogSize`),
    read in one row instead of counted; on SQLite (small by nature) counted."""
    if connection.vendor == "postgresql":
        kept = CatalogSize.objects.filter(pk=1).values_list("items", flat=True).first()
        if kept is not None:
            return kept
    return Item.objects.count()
