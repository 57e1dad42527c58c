"""Reads behind the per-location dashboard: what is low, what is out, the largest count
variances, and the activity of the last days; narrowed to what the user may see."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, OuterRef, Q, Subquery
from django.db.models.functions import Abs
from django.utils import timezone

from inventory.models import Balance, Stocktake, StocktakeLine
from inventory.models.stock import StockLevel
from inventory.reports.activity import Activity, location_activity
from inventory.reports.moving_stock import (
    LocationMoving,
    MovingItem,
    moving_at,
    moving_per_location,
)
from inventory.reports.visibility import balances_visible_to
from inventory.sql import CappedCount, capped_count
from inventory.stocktakes.blind_counts import blind_counts_hiding_stock
from locations.models import Location
from locations.selectors import locations_visible_to

LISTED_PER_SECTION = 10
RECENT_STOCKTAKES = 5

# On the balance's own level column, which a partial index covers (models.stock.Balance).
BELOW_WARNING = Q(stock_level=StockLevel.LOW)
OUT_OF_STOCK = Q(stock_level=StockLevel.OUT)
NOT_MOVING = LocationMoving()


@dataclass(frozen=True, slots=True)
class LocationSummary:
    location: Location
    below_warning: int
    out_of_stock: int
    hidden_by: list[Stocktake]  # open blind counts whose items this user may not see
    in_transit_out: int = 0  # units shipped from here, not yet received at their destination
    incoming: int = 0  # units in transit to here, and expected from suppliers


@dataclass(frozen=True, slots=True)
class LocationDashboard:
    location: Location
    hidden_by: list[Stocktake]  # open blind counts whose items this user may not see
    below_warning: list[Balance]
    below_warning_count: int  # up to COUNT_CAP + 1 (`capped_count`)
    out_of_stock: list[Balance]
    out_of_stock_count: int  # up to COUNT_CAP + 1
    variances: list[StocktakeLine] | None  # None: the user may not see stocktakes
    activity: Activity
    moving: list[MovingItem]  # items with stock on its way here or from here, most first
    moving_count: int


def dashboard_locations(user: AbstractBaseUser) -> list[LocationSummary]:
    """The locations `user` may see, each with how many balances are below warning level
    (still in stock) and out of stock, each counted up to COUNT_CAP + 1 as on a location's
    dashboard, and the units on their way from and to it: a constant number of queries."""
    visible = balances_visible_to(user)

    def counted(level: Q) -> CappedCount:
        return CappedCount(visible.filter(level, location=OuterRef("pk")))

    hidden_by: dict[int, list[Stocktake]] = {}
    for stocktake in blind_counts_hiding_stock(user).order_by("pk"):
        hidden_by.setdefault(stocktake.location_id, []).append(stocktake)
    locations = list(
        locations_visible_to(user)
        .order_by("label")
        .annotate(below=counted(BELOW_WARNING), out=counted(OUT_OF_STOCK))
    )
    moving = moving_per_location(location.pk for location in locations)
    return [
        LocationSummary(
            location=location,
            below_warning=location.below,
            out_of_stock=location.out,
            hidden_by=hidden_by.get(location.pk, []),
            in_transit_out=moving.get(location.pk, NOT_MOVING).in_transit_out,
            incoming=moving.get(location.pk, NOT_MOVING).incoming,
        )
        for location in locations
    ]


def location_dashboard(
    *, location: Location, user: AbstractBaseUser, now: datetime | None = None
) -> LocationDashboard:
    """What a manager checks first at one location. The caller has made sure `user` may see
    it; blind counts and stocktake permissions are honoured here as everywhere else."""
    balances = (
        balances_visible_to(user).filter(location=location).select_related("item", "location")
    )
    # Most urgent first, in the order of the partial index `balance_needs_attention`, so the
    # first ten are read off the index however many balances are low: lowest on-hand (or
    # furthest below the warning level), then by item.
    below = balances.filter(BELOW_WARNING).order_by("shortfall", "item_id")
    out = balances.filter(OUT_OF_STOCK).order_by("shortfall", "item_id")
    moving, moving_count = moving_at(location, user)
    hidden_by = list(blind_counts_hiding_stock(user).filter(location=location).order_by("pk"))
    return LocationDashboard(
        location=location,
        hidden_by=hidden_by,
        below_warning=list(below[:LISTED_PER_SECTION]),
        below_warning_count=capped_count(balances.filter(BELOW_WARNING)),
        out_of_stock=list(out[:LISTED_PER_SECTION]),
        out_of_stock_count=capped_count(balances.filter(OUT_OF_STOCK)),
        variances=_largest_variances(location, user),
        activity=location_activity(location, user, now or timezone.now(), hidden=bool(hidden_by)),
        moving=moving,
        moving_count=moving_count,
    )


def _largest_variances(location: Location, user: AbstractBaseUser) -> list[StocktakeLine] | None:
    """Counted minus expected, largest first, over the location's latest submitted or applied
    stocktakes. A blind count's numbers are for those who may approve it (as on its review)."""
    if not user.has_perm("inventory.view_stocktake"):
        return None
    stocktakes = Stocktake.objects.filter(
        location=location, status__in=[Stocktake.Status.SUBMITTED, Stocktake.Status.APPLIED]
    )
    if not user.has_perm("inventory.approve_stocktake"):
        stocktakes = stocktakes.filter(blind=False)
    recent = stocktakes.order_by("-id").values("pk")[:RECENT_STOCKTAKES]
    balance = Balance.objects.filter(item=OuterRef("item"), location=location).values("pk")[:1]
    lines = (
        StocktakeLine.objects.filter(
            stocktake__in=Subquery(recent),
            counted_quantity__isnull=False,
            expected_quantity__isnull=False,
        )
        # (`variance` itself is a property of the line.)
        .annotate(
            variance_size=Abs(F("counted_quantity") - F("expected_quantity")),
            balance_id=Subquery(balance),
        )
        .filter(variance_size__gt=0)
        .select_related("item", "stocktake")
        .order_by("-variance_size", "item__sku", "-stocktake_id")
    )
    return list(lines[:LISTED_PER_SECTION])
