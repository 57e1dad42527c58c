"""Reads shared by the admin, the stocktake pages and the API. Everything a user may see is
narrowed to the locations they are assigned to (managers see all)."""

from collections.abc import Iterable

from django.db import connection
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from inventory.models import (
    Adjustment,
    AdjustmentLine,
    Balance,
    CatalogSize,
    Item,
    Stocktake,
    StocktakeLine,
)
from locations.selectors import User, locations_visible_to, sees_all_locations

OPEN = (Stocktake.Status.COUNTING, Stocktake.Status.SUBMITTED)
COUNT_CAP = 10_000


def capped_count(rows: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many `rows`, counting no further than `cap` + 1: on a list that grows with the
    business, an exact count past ten thousand costs more than the page around it, and tells a
    reader nothing a filter would not. Unordered: which rows are counted does not matter, and an
    ordering could make the database walk an index it does not need."""
    return rows.order_by()[: cap + 1].count()


def sees_blind_counts(user: User) -> bool:
    """Those who may approve counts see on-hand during a blind count; its counters may not."""
    return user.has_perm("inventory.approve_stocktake")


def blind_counts_hiding_stock(user: User) -> QuerySet[Stocktake]:
    """Open blind counts whose items' on-hand `user` may not see meanwhile: on-hand is what the
    counters are not to be told."""
    if sees_blind_counts(user):
        return Stocktake.objects.none()
    return Stocktake.objects.filter(blind=True, status__in=OPEN).select_related("location")


def hidden_by_blind_counts(user: User, prefix: str = "") -> Q:
    """The rows whose (item, location) an open blind count covers, for `user`: a filter to
    exclude. A whole-location count covers every item there; a count of chosen items only
    those. `prefix` leads from the filtered model to the fields `item` and `location`."""
    if sees_blind_counts(user):
        return Q(pk__in=[])  # excludes nothing
    hiding = blind_counts_hiding_stock(user)
    whole = hiding.filter(full=True).values("location")
    listed = StocktakeLine.objects.filter(
        stocktake__in=hiding.filter(full=False),
        stocktake__location=OuterRef(f"{prefix}location"),
        item=OuterRef(f"{prefix}item"),
    )
    return Q(**{f"{prefix}location__in": whole}) | Q(Exists(listed))


def blind_counts_hiding_items(
    user: User, *, location_id: int, item_ids: Iterable[int]
) -> dict[int, Stocktake]:
    """Which of these items an open blind count at the location hides from `user`, and which
    count: two queries at most."""
    item_ids = list(item_ids)
    hiding = blind_counts_hiding_stock(user).filter(location=location_id).order_by("pk")
    whole = hiding.filter(full=True).first()
    if whole is not None:
        return dict.fromkeys(item_ids, whole)
    lines = StocktakeLine.objects.filter(stocktake__in=hiding, item__in=item_ids)
    return {line.item_id: line.stocktake for line in lines.select_related("stocktake__location")}


def balances_visible_to(user: User) -> QuerySet[Balance]:
    balances = Balance.objects.select_related("item", "location")
    if not sees_all_locations(user):
        balances = balances.filter(location__in=locations_visible_to(user))
    return balances.exclude(hidden_by_blind_counts(user))


def history_visible_to(user: User) -> QuerySet[AdjustmentLine]:
    """Ledger lines, newest first."""
    lines = AdjustmentLine.objects.select_related(
        "adjustment__actor", "adjustment__api_client", "item", "location"
    ).exclude(hidden_by_blind_counts(user))
    if sees_all_locations(user):
        return lines
    return lines.filter(location__in=locations_visible_to(user))


def adjustments_visible_to(user: User) -> QuerySet[Adjustment]:
    """Adjustments that touched at least one location the user may see. EXISTS rather than a
    join, so an adjustment with many lines is listed once without a DISTINCT over the ledger."""
    adjustments = Adjustment.objects.select_related("actor", "api_client")
    if sees_all_locations(user) and not blind_counts_hiding_stock(user).exists():
        return adjustments
    visible_lines = history_visible_to(user).filter(adjustment=OuterRef("pk"))
    return adjustments.filter(Exists(visible_lines))


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
