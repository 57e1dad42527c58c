"""What the back office's home page shows each person: their work first.

Store staff see the stock counts of their locations (open ones first), the stock of those
locations at a glance, and the changes they made lately. Managers see what waits for them:
counts to approve, open alerts, webhook deliveries that failed; then every location at a
glance. Each read is one query, whatever the number of locations, counts, alerts or events.
"""

from dataclasses import dataclass, field

from django.db.models import Count, F, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Abs

from inventory.alerts import open_alert_counts, worst_open_alerts
from inventory.models import (
    Adjustment,
    AdjustmentLine,
    LowStockAlert,
    Stocktake,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
    WebhookEndpoint,
    WebhookEvent,
)
from inventory.movements.selectors import (
    EXPECTED,
    IN_TRANSIT,
    RECEIPT_OUTSTANDING,
    TRANSFER_OUTSTANDING,
)
from inventory.reports.dashboard import LocationSummary, dashboard_locations
from inventory.reports.visibility import history_visible_to
from locations.selectors import User, locations_visible_to, sees_all_locations

RECENT_CHANGES = 8
WORST_ALERTS = 5

Status = Stocktake.Status


@dataclass(frozen=True, slots=True)
class LocationWork:
    """One of a store clerk's locations: its open counts, and its stock at a glance."""

    summary: LocationSummary
    open_counts: list[Stocktake]

    @property
    def location(self):
        return self.summary.location

    @property
    def whole_count_open(self) -> bool:
        """A count of the whole location is open: another cannot start there."""
        return any(stocktake.full for stocktake in self.open_counts)


@dataclass(frozen=True, slots=True)
class StaffHome:
    locations: list[LocationWork]
    recent_changes: list[AdjustmentLine]


@dataclass(frozen=True, slots=True)
class Deliveries:
    failed: int
    paused_endpoints: int

    @property
    def total(self) -> int:
        return self.failed + self.paused_endpoints


@dataclass(frozen=True, slots=True)
class ManagerHome:
    waiting_counts: list[Stocktake] | None  # None: the user may not approve counts
    open_alerts: dict[str, int]
    worst_alerts: list[LowStockAlert]
    deliveries: Deliveries | None  # None: the user may not see webhook deliveries
    counting: int  # counts in progress, not yet submitted
    locations: list[LocationSummary] = field(default_factory=list)


def is_manager(user: User) -> bool:
    """Who gets the manager's home page: those who work across every location."""
    return sees_all_locations(user)


def staff_home(user: User) -> StaffHome:
    """A store clerk's work: each of their locations with its open counts and stock."""
    counts: dict[int, list[Stocktake]] = {}
    for stocktake in open_counts(user):
        counts.setdefault(stocktake.location_id, []).append(stocktake)
    return StaffHome(
        locations=[
            LocationWork(summary=summary, open_counts=counts.get(summary.location.pk, []))
            for summary in dashboard_locations(user)
        ],
        recent_changes=recent_changes_by(user),
    )


def manager_home(user: User) -> ManagerHome:
    may_approve = user.has_perm("inventory.approve_stocktake")
    return ManagerHome(
        waiting_counts=waiting_counts(user) if may_approve else None,
        open_alerts=open_alert_counts(user),
        worst_alerts=worst_open_alerts(user, limit=WORST_ALERTS),
        deliveries=failed_deliveries() if user.has_perm("inventory.view_webhookevent") else None,
        counting=_counting(user),
        locations=dashboard_locations(user),
    )


def open_counts(user: User) -> list[Stocktake]:
    """Counting or submitted counts at the user's locations, oldest first, with how many
    items have been counted."""
    if not user.has_perm("inventory.view_stocktake"):
        return []
    return list(
        Stocktake.objects.filter(
            location__in=locations_visible_to(user), status__in=Stocktake.OPEN_STATUSES
        )
        .select_related("location", "created_by")
        .annotate(counted_lines=Count("lines", filter=Q(lines__counted_quantity__isnull=False)))
        .order_by("pk")
    )


def waiting_counts(user: User) -> list[Stocktake]:
    """Submitted counts, those waiting for a manager's approval first, with a summary of
    their variances at counting time: how many items were counted, how many differ from
    what was expected, by how many units in all (`off`) and on balance (`net`)."""
    variance = F("lines__counted_quantity") - F("lines__expected_quantity")
    counted = Q(lines__counted_quantity__isnull=False)
    compared = counted & Q(lines__expected_quantity__isnull=False)
    return list(
        Stocktake.objects.filter(location__in=locations_visible_to(user), status=Status.SUBMITTED)
        .select_related("location", "created_by")
        .annotate(
            counted_lines=Count("lines", filter=counted),
            differing=Count(
                "lines", filter=compared & ~Q(lines__counted_quantity=F("lines__expected_quantity"))
            ),
            net=Sum(variance, filter=compared),
            off=Sum(Abs(variance), filter=compared),
        )
        .order_by(F("approved_at").asc(nulls_first=True), "-needs_approval", "submitted_at")
    )


def failed_deliveries() -> Deliveries:
    """Webhook events given up on, and endpoints paused after failing again and again."""
    failed = WebhookEvent.objects.filter(delivered_at__isnull=True, failed_at__isnull=False)
    return Deliveries(
        failed=failed.count(),
        paused_endpoints=WebhookEndpoint.objects.filter(paused_at__isnull=False).count(),
    )


def recent_changes_by(user: User) -> list[AdjustmentLine]:
    """The last lines of the user's own latest changes that they may still see."""
    latest = Adjustment.objects.filter(actor=user).order_by("-id").values("pk")[:RECENT_CHANGES]
    lines = history_visible_to(user).filter(adjustment__in=Subquery(latest))
    return list(lines.order_by("-id")[:RECENT_CHANGES])


def _counting(user: User) -> int:
    return Stocktake.objects.filter(
        location__in=locations_visible_to(user), status=Status.COUNTING
    ).count()


# Stock on its way: transfers in transit and supplier deliveries expected


ARRIVING_SHOWN = 10


@dataclass(frozen=True, slots=True)
class Arriving:
    """What is on its way to a store clerk's locations, oldest first, with its units still to
    come (`left`); a list is None when the clerk may not see such documents."""

    transfers: list[TransferOrder] | None
    receipts: list[SupplierReceipt] | None


def arriving(user: User) -> Arriving:
    here = locations_visible_to(user)
    transfers = receipts = None
    if user.has_perm("inventory.view_transferorder"):
        transfers = list(
            TransferOrder.objects.filter(destination__in=here, status__in=IN_TRANSIT)
            .select_related("origin", "destination")
            .annotate(left=_left(TransferLine.objects, "transfer", TRANSFER_OUTSTANDING))
            .order_by("shipped_at", "pk")[:ARRIVING_SHOWN]
        )
    if user.has_perm("inventory.view_supplierreceipt"):
        receipts = list(
            SupplierReceipt.objects.filter(location__in=here, status__in=EXPECTED)
            .select_related("location")
            .annotate(left=_left(SupplierReceiptLine.objects, "receipt", RECEIPT_OUTSTANDING))
            .order_by(F("expected_on").asc(nulls_last=True), "pk")[:ARRIVING_SHOWN]
        )
    return Arriving(transfers=transfers, receipts=receipts)


@dataclass(frozen=True, slots=True)
class OnTheWay:
    in_transit: int | None  # transfers shipped, not yet received in full
    expected: int | None  # supplier deliveries still open


def on_the_way(user: User) -> OnTheWay:
    """A manager's counts of what is on its way (None: they may not see such documents)."""
    in_transit = expected = None
    if user.has_perm("inventory.view_transferorder"):
        in_transit = TransferOrder.objects.filter(status__in=IN_TRANSIT).count()
    if user.has_perm("inventory.view_supplierreceipt"):
        expected = SupplierReceipt.objects.filter(status__in=EXPECTED).count()
    return OnTheWay(in_transit=in_transit, expected=expected)


def _left(lines, document: str, outstanding) -> Subquery:
    """A document's units still to come: its lines' outstanding (the movement selectors'
    expression), summed in one subquery."""
    return Subquery(
        lines.filter(**{document: OuterRef("pk")})
        .annotate(left=outstanding)
        .values(document)
        .annotate(total=Sum("left"))
        .values("total")
    )
