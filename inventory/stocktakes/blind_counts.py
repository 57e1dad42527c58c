"""Blind counts: while one is open, its counters may not see the on-hand of the stock it
covers (on-hand is what they are not to be told). Every read that shows on-hand or the ledger
excludes what these hide."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, Q, QuerySet

from inventory.models import Stocktake, StocktakeLine
from locations.selectors import User


def sees_blind_counts(user: User) -> bool:
    """Those who may approve counts see on-hand during a blind count; its counters may not."""
    return user.has_perm("inventory.approve_stocktake")


def blind_counts_hiding_stock(user: User) -> QuerySet[Stocktake]:
    """Open blind counts whose items' on-hand `user` may not see meanwhile: on-hand is what the
    counters are not to be told."""
    if sees_blind_counts(user):
        return Stocktake.objects.none()
    return Stocktake.objects.filter(blind=True, status__in=Stocktake.OPEN_STATUSES).select_related(
        "location"
    )


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
