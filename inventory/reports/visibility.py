"""What of the stock and its history a user may see: the locations they are assigned to
(managers see all), less what an open blind count hides from them."""

from django.db.models import Exists, OuterRef, QuerySet

from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stocktakes.blind_counts import blind_counts_hiding_stock, hidden_by_blind_counts
from locations.selectors import User, locations_visible_to, sees_all_locations


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
