"""Reads shared by the admin, the stocktake pages and the API. Everything a user may see is
narrowed to the locations they are assigned to (managers see all)."""

from collections.abc import Iterable

from django.db.models import Exists, OuterRef, QuerySet

from inventory.models import Adjustment, AdjustmentLine, Balance, Stocktake
from locations.selectors import User, locations_visible_to, sees_all_locations


def blind_count_locations(user: User) -> QuerySet:
    """Locations with a blind count under way, whose on-hand `user` may not see meanwhile: on-hand
    is what the counters are not to be told. Those who may approve counts still see it."""
    if user.has_perm("inventory.approve_stocktake"):
        return Stocktake.objects.none().values("location")
    open_blind = Stocktake.objects.filter(
        blind=True, status__in=[Stocktake.Status.COUNTING, Stocktake.Status.SUBMITTED]
    )
    return open_blind.values("location")


def balances_visible_to(user: User) -> QuerySet[Balance]:
    balances = Balance.objects.select_related("item", "location")
    if sees_all_locations(user):
        return balances.exclude(location__in=blind_count_locations(user))
    return balances.filter(location__in=locations_visible_to(user)).exclude(
        location__in=blind_count_locations(user)
    )


def history_visible_to(user: User) -> QuerySet[AdjustmentLine]:
    """Ledger lines, newest first."""
    lines = AdjustmentLine.objects.select_related(
        "adjustment__actor", "adjustment__api_client", "item", "location"
    ).exclude(location__in=blind_count_locations(user))
    if sees_all_locations(user):
        return lines
    return lines.filter(location__in=locations_visible_to(user))


def adjustments_visible_to(user: User) -> QuerySet[Adjustment]:
    """Adjustments that touched at least one location the user may see. EXISTS rather than a
    join, so an adjustment with many lines is listed once without a DISTINCT over the ledger."""
    adjustments = Adjustment.objects.select_related("actor", "api_client")
    if sees_all_locations(user) and not blind_count_locations(user).exists():
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


def balances_at(
    *, item_ids: Iterable[int], location_ids: Iterable[int]
) -> dict[tuple[int, int], Balance]:
    """The existing balances of some items at some locations, keyed (item_id, location_id), in
    one query. A missing key means quantity 0 with default settings."""
    rows = Balance.objects.filter(item_id__in=list(item_ids), location_id__in=list(location_ids))
    return {(balance.item_id, balance.location_id): balance for balance in rows}
