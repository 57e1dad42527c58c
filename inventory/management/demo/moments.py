"""The three moments of the demo's story the charts are for (`history.py` tells the whole
story): the best-selling T-shirts' warning level raised three weeks ago, the cycle count of
T-shirts downtown ten days ago, and the last units of an item sold on the last day."""

from dataclasses import dataclass

from inventory.management.demo.story import (
    COUNTED_ITEMS,
    RAISED_WARNING_LEVEL,
    SHRINKAGE,
    STOCKTAKE_VARIANCES,
    WARNING_LEVELS,
)
from inventory.management.demo.writer import DemoWriter
from inventory.models import Adjustment
from inventory.stock import LineInput, SettingsInput
from inventory.stocktakes import services as stocktakes

Kind = Adjustment.Kind
Source = Adjustment.Source


@dataclass(kw_only=True)
class DemoMoments(DemoWriter):
    """What a DemoHistory writes on those days (its `items`, `locations`, `carried`, `by_id` and `order_number`
    are the history's)."""

    def raise_best_sellers_warning_level(self, day: int) -> None:
        """Warn earlier for T-shirts in M and L. Only where at least the new level is on hand:
        an alert opened by a settings change is always emailed, and this change is in the past
        (the balances cross the new level later, through sales, which open their alerts)."""
        store = self.locations["DT"].pk
        keys = [
            (item.pk, store)
            for item in self.items
            if item.sku.startswith("TEE-")
            and item.sku.endswith(("-M", "-L"))
            and self.stock[(item.pk, store)] >= RAISED_WARNING_LEVEL
        ]
        if not keys:
            return
        self.at(day, 30)
        lines = [
            SettingsInput(location_id=store, item_id=item_id, warning_level=RAISED_WARNING_LEVEL)
            for item_id, _ in keys
        ]
        self.write_settings(
            lines,
            f"Best-selling T-shirt sizes (M, L): warning level {WARNING_LEVELS['DT']}"
            f" → {RAISED_WARNING_LEVEL}",
        )

    def cycle_count(self, day: int) -> None:
        """Near closing time, the staff counts the T-shirts above their warning level. The
        fullest shelf is six short, beyond the variance threshold, so the manager approves
        before applying. No count goes below the warning level: applying a stocktake emails the
        alerts it opens, and this count is in the past."""
        store = self.locations["DT"]
        keys = [
            key
            for key in self.carried["DT"]
            if self.by_id[key[0]].sku.startswith("TEE-")
            and self.stock[key] > self.warning_level[key]
        ][:COUNTED_ITEMS]
        if not keys:
            return
        fullest = max(keys, key=lambda key: self.stock[key])
        others = iter(STOCKTAKE_VARIANCES)
        staff, manager = self.cast.staff, self.cast.manager
        self.at(day, 495)
        count = stocktakes.start_stocktake(
            location=store, actor=staff, items=[self.by_id[item_id] for item_id, _ in keys]
        )
        for minute, key in enumerate(keys, start=497):
            variance = SHRINKAGE if key == fullest else next(others)
            self.at(day, minute)
            stocktakes.count_item(
                stocktake=count,
                code=self.by_id[key[0]].sku,
                actor=staff,
                quantity=max(self.stock[key] + variance, self.warning_level[key]),
            )
        self.at(day, 512)
        stocktakes.submit_stocktake(stocktake=count, actor=staff)
        self.at(day, 515)
        stocktakes.approve_stocktake(stocktake=count, actor=manager)
        adjustment = stocktakes.apply_stocktake(stocktake=count, actor=manager)
        self.read_back(adjustment)

    def sell_out(self, day: int) -> None:
        """The last units of the store's scarcest item without safety stock go in one order."""
        store = self.locations["DT"].pk
        in_stock = [
            key
            for key in self.carried["DT"]
            if self.stock[key] > 0 and not self.safety_stock.get(key)
        ]
        if not in_stock:
            return
        key = min(in_stock, key=lambda key: self.stock[key])
        self.at(day, 500)
        self.order_number += 1
        self.write_stock(
            Kind.RELATIVE,
            [LineInput(location_id=store, item_id=key[0], quantity=-self.stock[key])],
            f"Sale, order #{self.order_number}",
            Source.API,
            api_client=self.cast.point_of_sale,
        )
