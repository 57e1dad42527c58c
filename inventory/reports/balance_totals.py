"""Totals of a list of balances (the balance list's filters and search applied): units on hand,
and how many balances are low or out of stock, in all and per location. One aggregate query,
whatever the number of balances."""

from dataclasses import dataclass

from django.db.models import Count, QuerySet, Sum

from inventory.models import Balance
from inventory.reports.dashboard import BELOW_WARNING, OUT_OF_STOCK


@dataclass(frozen=True, slots=True)
class LocationTotals:
    location_id: int
    location_label: str
    balances: int
    units: int
    low: int
    out: int


@dataclass(frozen=True, slots=True)
class BalanceTotals:
    per_location: list[LocationTotals]

    @property
    def balances(self) -> int:
        return sum(row.balances for row in self.per_location)

    @property
    def units(self) -> int:
        return sum(row.units for row in self.per_location)

    @property
    def low(self) -> int:
        return sum(row.low for row in self.per_location)

    @property
    def out(self) -> int:
        return sum(row.out for row in self.per_location)


def balance_totals(balances: QuerySet[Balance]) -> BalanceTotals:
    """Units on hand (negative stock counts against them) and low and out-of-stock balances
    of `balances`, per location, in the order of the locations' names: one query."""
    rows = (
        balances.order_by()
        .values("location_id", "location__label")
        .annotate(
            balances=Count("pk"),
            units=Sum("quantity"),
            low=Count("pk", filter=BELOW_WARNING),
            out=Count("pk", filter=OUT_OF_STOCK),
        )
        .order_by("location__label", "location_id")
    )
    return BalanceTotals(
        per_location=[
            LocationTotals(
                location_id=row["location_id"],
                location_label=row["location__label"],
                balances=row["balances"],
                units=row["units"],
                low=row["low"],
                out=row["out"],
            )
            for row in rows
        ]
    )
