"""The demo's stock history (`manage.py seed_demo`): about 75 days of a small Portland retailer,
written through the write path at the moments it happened.

Every write goes through `stock.apply_adjustment`, `stock.update_settings` or the
stocktake functions, exactly as a sale through the API, an admin's adjustment or a count would;
the only thing simulated is the clock (`demo_calendar.SimulatedClock`). The story the charts
tell afterwards:

- day 1: store setup (warning levels, safety stock, bins), then opening stock everywhere;
- every trading day: point-of-sale orders downtown and at the airport kiosk, online orders at
  the default location, all through the API (one adjustment per order);
- weekly: the manager tops the store, the kiosk and the online stock up from the warehouse
  (transfers);
- fortnightly: a supplier delivery into the warehouse (an import);
- now and then: damaged goods written off, a shelf count corrected (admin);
- 3 weeks ago: the manager raises the warning level of the best-selling T-shirts (settings);
- 10 days ago: a cycle count of T-shirts downtown, approved and applied (stocktake);
- on the last day: the last units of an item sell, so something is out of stock;
- in the last fortnight (`demo/movements.py`): transfers from the warehouse, one received,
  one partly received with a damaged unit, one shipped two days before the end and still in
  transit, one drafted; a supplier delivery partly received, another expected in a few days.
The last top-up is days old when the history ends, so several balances are below their warning
level. Trading days run 09:00-18:00; the last is the latest that has closed (today, once it is
past 18:00). Quantities come from a seeded RNG: every run writes the same history, only the
dates move with the day of the run.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from inventory.management.demo.calendar import HISTORY_DAYS, SimulatedClock
from inventory.management.demo.moments import DemoMoments
from inventory.management.demo.movements import DemoMovements
from inventory.management.demo.story import (
    KIOSK_PREFIXES,
    OPENING_STOCK,
    REPLENISHMENT_DAY_OF_WEEK,
    SEED,
    SETTINGS_CHANGE_DAY,
    STOCKTAKE_DAY,
    TEE_SAFETY_STOCK,
    TOP_UP_HEADROOM,
    TOP_UPS,
    WARNING_LEVELS,
    popularity,
)
from inventory.management.demo.writer import Cast
from inventory.models import Adjustment, Item
from inventory.stock import LineInput, SettingsInput
from locations.models import Location

Kind = Adjustment.Kind
Source = Adjustment.Source


@dataclass(frozen=True, slots=True)
class HistoryWritten:
    adjustments: int
    first: datetime
    last: datetime


def write_history(
    *,
    clock: SimulatedClock,
    items: Sequence[Item],
    locations: dict[str, Location],
    default_location: Location | None,
    cast: Cast,
) -> HistoryWritten:
    """Write the demo's history: HISTORY_DAYS trading days from the clock's start. Runs in the
    caller's transaction."""
    history = DemoHistory(
        items=items,
        locations=locations,
        default_location=default_location,
        cast=cast,
        clock=clock,
        first_day=timezone.localdate(clock.start),
    )
    with clock.running():
        history.write()
    return HistoryWritten(history.adjustments, first=clock.start, last=clock.now())


@dataclass(kw_only=True)
class DemoHistory(DemoMovements, DemoMoments):
    """The story of the module docstring, one write at a time."""

    items: Sequence[Item]
    locations: dict[str, Location]
    default_location: Location | None
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    order_number: int = 10_040

    def __post_init__(self) -> None:
        # Everything is chosen in SKU order, so ids (which differ between databases) never
        # change what the seeded RNG picks.
        self.items = sorted(self.items, key=lambda item: item.sku)
        self.by_id = {item.pk: item for item in self.items}
        self.stores = dict(self.locations)
        if self.default_location is not None:
            self.stores["DEFAULT"] = self.default_location
        kiosk = [item for item in self.items if item.sku.startswith(KIOSK_PREFIXES)]
        self.carried = {
            code: [(item.pk, location.pk) for item in (kiosk if code == "AP" else self.items)]
            for code, location in self.stores.items()
        }
        self.popularity = {item.pk: popularity(item.sku) for item in self.items}

    def write(self) -> None:
        self._store_setup()
        self._opening_stock()
        for day in range(1, HISTORY_DAYS):
            self._trading_day(day)

    def _trading_day(self, day: int) -> None:
        if day % 14 == 3:
            self._supplier_delivery(day)
        if day % 7 == REPLENISHMENT_DAY_OF_WEEK:
            self._replenishment(day)
        if day == SETTINGS_CHANGE_DAY:
            self.raise_best_sellers_warning_level(day)
        if day % 10 == 6:
            self._write_off(day)
        if day % 12 == 9:
            self._shelf_count_correction(day)
        self.movements(day)
        self._sales(day)
        if day == STOCKTAKE_DAY:
            self.cycle_count(day)
        if day == HISTORY_DAYS - 1:
            self.sell_out(day)

    # --- day one -------------------------------------------------------------------------------

    def _store_setup(self) -> None:
        """Settings before any stock: with nothing on hand yet no balance is "low" (it is out of
        stock), so this opens no alert, and a settings change that opens one always emails."""
        self.at(0, 0)
        store, kiosk = self.locations["DT"], self.locations["AP"]
        setup = [
            SettingsInput(
                location_id=store.pk,
                item_id=item_id,
                warning_level=WARNING_LEVELS["DT"],
                safety_stock=TEE_SAFETY_STOCK
                if self.by_id[item_id].sku.startswith("TEE-")
                else None,
            )
            for item_id, _ in self.carried["DT"]
        ]
        self.write_settings(setup, "Store setup: warning level 5, safety stock 2 on T-shirts")
        self.write_settings(
            [
                SettingsInput(
                    location_id=kiosk.pk, item_id=item_id, warning_level=WARNING_LEVELS["AP"]
                )
                for item_id, _ in self.carried["AP"]
            ],
            "Kiosk setup: warning level 2",
        )
        self.write_settings(self._warehouse_bins(), "Warehouse setup: bin locations")

    def _warehouse_bins(self) -> list[SettingsInput]:
        lines = []
        for position, (item_id, location_id) in enumerate(self.carried["WH"]):
            aisle, shelf = divmod(position, 24)
            bin_number = f"{chr(ord('A') + aisle % 26)}-{shelf // 4 + 1:02d}-{shelf % 4 + 1}"
            lines.append(
                SettingsInput(
                    location_id=location_id, item_id=item_id, bin_picking_number=bin_number
                )
            )
        return lines

    def _opening_stock(self) -> None:
        """One absolute adjustment per location: its whole range in one set-based batch."""
        for code in self.stores:
            self.at(0, 5)
            low, high = OPENING_STOCK[code]
            lines = [
                LineInput(
                    location_id=location_id, item_id=item_id, quantity=self.rng.randint(low, high)
                )
                for item_id, location_id in self.carried[code]
            ]
            self.write_stock(Kind.ABSOLUTE, lines, "Opening stock", Source.SYSTEM)

    # --- routine -------------------------------------------------------------------------------

    def _sales(self, day: int) -> None:
        """The day's orders in time order: 5-8 at the store's tills, 1-3 at the kiosk and up
        to 3 online (the default location, where Ecwid-style deltas land)."""
        orders = [("DT", self.cast.point_of_sale)] * self.rng.randint(5, 8)
        orders += [("AP", self.cast.point_of_sale)] * self.rng.randint(1, 3)
        if "DEFAULT" in self.stores:
            orders += [("DEFAULT", self.cast.online_store)] * self.rng.randint(0, 3)
        minutes = sorted(self.rng.randint(60, 480) for _ in orders)
        for minute, (code, client) in zip(
            minutes, self.rng.sample(orders, len(orders)), strict=True
        ):
            lines = self._basket(code)
            if lines:
                self.at(day, minute)
                self.order_number += 1
                self.write_stock(
                    Kind.RELATIVE,
                    lines,
                    f"Sale, order #{self.order_number}",
                    Source.API,
                    api_client=client,
                )

    def _basket(self, code: str) -> list[LineInput]:
        """One to four different items, best sellers more often, never below safety stock."""
        sellable = [key for key in self.carried[code] if self.spare(key) > 0]
        if not sellable:
            return []
        weights = [self.popularity[item_id] for item_id, _ in sellable]
        size = self.rng.choice((1, 1, 2, 2, 3, 4))
        picked = sorted(set(self.rng.choices(range(len(sellable)), weights, k=size)))
        return [
            LineInput(
                location_id=sellable[n][1],
                item_id=sellable[n][0],
                quantity=-min(self.rng.choice((1, 1, 1, 2)), self.spare(sellable[n])),
            )
            for n in picked
        ]

    def _replenishment(self, day: int) -> None:
        """The manager's weekly top-up from the warehouse of what is below its warning level,
        or out, at the store, the kiosk and the online store."""
        for code, reason in TOP_UPS:
            if code in self.stores:
                self.at(day, 20)
                lines = self._top_up_lines(code)
                if lines:
                    self.write_stock(
                        Kind.TRANSFER, lines, reason, Source.ADMIN, actor=self.cast.manager
                    )

    def _top_up_lines(self, code: str) -> list[LineInput]:
        warehouse = self.locations["WH"].pk
        lines = []
        for item_id, location_id in self.carried[code]:
            key = (item_id, location_id)
            level = self.warning_level.get(key, 0)
            if self.stock[key] >= max(level, 1):
                continue
            wanted = level + TOP_UP_HEADROOM[code] - self.stock[key]
            quantity = min(wanted, self.stock[(item_id, warehouse)])
            if quantity > 0:
                lines.append(
                    LineInput(
                        location_id=warehouse,
                        to_location_id=location_id,
                        item_id=item_id,
                        quantity=quantity,
                    )
                )
        return lines

    def _supplier_delivery(self, day: int) -> None:
        """A delivery into the warehouse, up to 100 of everything under 50, booked from its
        packing list (an import)."""
        self.at(day, 5)
        lines = [
            LineInput(
                location_id=location_id,
                item_id=item_id,
                quantity=100 - self.stock[(item_id, location_id)],
            )
            for item_id, location_id in self.carried["WH"]
            if self.stock[(item_id, location_id)] < 50
        ]
        if lines:
            reason = f"Supplier delivery, packing list PL-{4400 + day}"
            self.write_stock(Kind.RELATIVE, lines, reason, Source.IMPORT, actor=self.cast.manager)

    def _write_off(self, day: int) -> None:
        """Alternately at the warehouse (by the manager) and the store (by the staff)."""
        in_store = day % 20 == 16
        code, actor = ("DT", self.cast.staff) if in_store else ("WH", self.cast.manager)
        sellable = [key for key in self.carried[code] if self.spare(key) > 0]
        damaged = sorted(self.rng.sample(range(len(sellable)), k=min(2, len(sellable))))
        lines = [
            LineInput(location_id=sellable[n][1], item_id=sellable[n][0], quantity=-1)
            for n in damaged
        ]
        if lines:
            self.at(day, 50)
            reason = "Damaged on the shop floor" if in_store else "Damaged in storage"
            self.write_stock(Kind.RELATIVE, lines, reason, Source.ADMIN, actor=actor)

    def _shelf_count_correction(self, day: int) -> None:
        """The store staff recounts one shelf that looked wrong and sets its on-hand."""
        item_id, location_id = self.rng.choice(self.carried["DT"])
        counted = max(self.stock[(item_id, location_id)] + self.rng.choice((-2, -1, 1)), 0)
        self.at(day, 40)
        self.write_stock(
            Kind.ABSOLUTE,
            [LineInput(location_id=location_id, item_id=item_id, quantity=counted)],
            "Shelf count correction",
            Source.ADMIN,
            actor=self.cast.staff,
        )
