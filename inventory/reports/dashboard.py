"""Reads behind the per-location dashboard: what is low, what is out, the largest count
variances, and the activity of the last days; narrowed to what the user may see."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Abs, TruncDate
from django.utils import timezone

from inventory.models import Adjustment, Balance, Stocktake, StocktakeLine
from inventory.reports.moving_stock import (
    LocationMoving,
    MovingItem,
    moving_at,
    moving_per_location,
)
from inventory.selectors import (
    balances_visible_to,
    blind_counts_hiding_stock,
    history_visible_to,
)
from locations.models import Location
from locations.selectors import locations_visible_to

LISTED_PER_SECTION = 10
ACTIVITY_DAYS = 30
RECENT_STOCKTAKES = 5

BELOW_WARNING = Q(warning_level__gt=0, quantity__lt=F("warning_level"), quantity__gt=0)
OUT_OF_STOCK = Q(quantity__lte=0)
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
class Activity:
    """Adjustments per day (oldest first) and source, over the last ACTIVITY_DAYS days."""

    days: list[date]
    by_source: dict[str, list[int]]  # source label -> count per day

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.by_source.values())


@dataclass(frozen=True, slots=True)
class LocationDashboard:
    location: Location
    hidden_by: list[Stocktake]  # open blind counts whose items this user may not see
    below_warning: list[Balance]
    below_warning_count: int
    out_of_stock: list[Balance]
    out_of_stock_count: int
    variances: list[StocktakeLine] | None  # None: the user may not see stocktakes
    activity: Activity
    moving: list[MovingItem]  # items with stock on its way here or from here, most first
    moving_count: int


def dashboard_locations(user: AbstractBaseUser) -> list[LocationSummary]:
    """The locations `user` may see, each with how many balances are below warning level
    (still in stock) and out of stock, and the units on their way from and to it: a constant
    number of queries."""
    counts = {
        row["location"]: row
        for row in balances_visible_to(user)
        .order_by()
        .values("location")
        .annotate(
            below=Count("pk", filter=BELOW_WARNING),
            out=Count("pk", filter=OUT_OF_STOCK),
        )
    }
    hidden_by: dict[int, list[Stocktake]] = {}
    for stocktake in blind_counts_hiding_stock(user).order_by("pk"):
        hidden_by.setdefault(stocktake.location_id, []).append(stocktake)
    locations = list(locations_visible_to(user).order_by("label"))
    moving = moving_per_location(location.pk for location in locations)
    return [
        LocationSummary(
            location=location,
            below_warning=counts.get(location.pk, {}).get("below", 0),
            out_of_stock=counts.get(location.pk, {}).get("out", 0),
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
    counts = balances.aggregate(
        below=Count("pk", filter=BELOW_WARNING), out=Count("pk", filter=OUT_OF_STOCK)
    )
    below = balances.filter(BELOW_WARNING).order_by(F("quantity") - F("warning_level"), "item__sku")
    out = balances.filter(OUT_OF_STOCK).order_by("quantity", "-updated_at", "item__sku")
    moving, moving_count = moving_at(location, user)
    return LocationDashboard(
        location=location,
        hidden_by=list(blind_counts_hiding_stock(user).filter(location=location).order_by("pk")),
        below_warning=list(below[:LISTED_PER_SECTION]),
        below_warning_count=counts["below"],
        out_of_stock=list(out[:LISTED_PER_SECTION]),
        out_of_stock_count=counts["out"],
        variances=_largest_variances(location, user),
        activity=_activity(location, user, now or timezone.now()),
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


def _activity(location: Location, user: AbstractBaseUser, now: datetime) -> Activity:
    """Stock adjustments (settings changes left out) per local day and source, counting each
    adjustment once however many of its lines touched the location."""
    today = timezone.localdate(now)
    days = [today - timedelta(days=back) for back in range(ACTIVITY_DAYS - 1, -1, -1)]
    since = timezone.make_aware(datetime.combine(days[0], time.min))
    rows = (
        history_visible_to(user)
        .filter(location=location, created_at__gte=since)
        .exclude(adjustment__kind=Adjustment.Kind.SETTINGS)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day", "adjustment__source")
        .annotate(adjustments=Count("adjustment", distinct=True))
    )
    position = {day: n for n, day in enumerate(days)}
    by_source = {label: [0] * len(days) for label in Adjustment.Source.labels}
    labels = dict(Adjustment.Source.choices)
    for row in rows:
        if row["day"] in position:
            by_source[labels[row["adjustment__source"]]][position[row["day"]]] += row["adjustments"]
    return Activity(days=days, by_source=by_source)
