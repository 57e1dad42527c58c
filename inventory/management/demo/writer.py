"""The demo history's writes (`manage.py seed_demo`): through the write path, at the simulated
clock's moments, following the on-hand of every balance written so the story can choose sensible
later lines (a sale only of what is on the shelf, a top-up only of what runs low)."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.contrib.auth.models import AbstractUser

from inventory.management.demo.calendar import OPENING, SimulatedClock, moment
from inventory.models import Adjustment, AdjustmentLine, ApiClient
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings

Kind = Adjustment.Kind
Source = Adjustment.Source
Key = tuple[int, int]  # (item_id, location_id)


@dataclass(frozen=True, slots=True)
class Cast:
    """Who makes the demo's changes."""

    manager: AbstractUser
    staff: AbstractUser
    point_of_sale: ApiClient
    online_store: ApiClient


@dataclass(kw_only=True)
class DemoWriter:
    """Writes at trading-day moments; `stock`, `safety_stock` and `warning_level` are what
    the demo has written so far, by balance."""

    cast: Cast
    clock: SimulatedClock
    first_day: date
    stock: dict[Key, int] = field(default_factory=dict)
    safety_stock: dict[Key, int] = field(default_factory=dict)
    warning_level: dict[Key, int] = field(default_factory=dict)
    adjustments: int = 0

    def at(self, day: int, minute: int) -> None:
        """Move the clock to `minute` after opening on trading day `day` (0 is the first)."""
        opening = moment(self.first_day + timedelta(days=day), OPENING)
        self.clock.move_to(opening + timedelta(minutes=minute))

    def spare(self, key: Key) -> int:
        """What may be sold: on-hand above the safety stock."""
        return self.stock.get(key, 0) - self.safety_stock.get(key, 0)

    # --- writes --------------------------------------------------------------------------------

    def write_stock(
        self,
        kind: Kind,
        lines: list[LineInput],
        reason: str,
        source: Source,
        *,
        actor: AbstractUser | None = None,
        api_client: ApiClient | None = None,
    ) -> None:
        # notify_low_stock=False: these changes are in the past. Their alerts still open (the
        # dashboard and the alert list show them) but nobody is emailed about last month, and
        # the console email backend would bury seed_demo's output under dozens of emails.
        apply_adjustment(
            kind=kind,
            lines=lines,
            reason=reason,
            source=source,
            actor=actor,
            api_client=api_client,
            notify_low_stock=False,
        )
        self.adjustments += 1
        for line in lines:  # applied as given: the write path refuses a batch whole or not at all
            key = (line.item_id, line.location_id)
            if kind == Kind.ABSOLUTE:
                self.stock[key] = line.quantity
            elif kind == Kind.RELATIVE:
                self.stock[key] = self.stock.get(key, 0) + line.quantity
            else:
                self.stock[key] -= line.quantity
                destination = (line.item_id, line.to_location_id)
                self.stock[destination] = self.stock.get(destination, 0) + line.quantity

    def write_settings(self, lines: list[SettingsInput], reason: str) -> None:
        """The manager's settings change (it never changes on-hand)."""
        update_settings(lines=lines, source=Source.ADMIN, actor=self.cast.manager, reason=reason)
        self.adjustments += 1
        for line in lines:
            key = (line.item_id, line.location_id)
            if line.warning_level is not None:
                self.warning_level[key] = line.warning_level
            if line.safety_stock is not None:
                self.safety_stock[key] = line.safety_stock

    def read_back(self, adjustment: Adjustment) -> None:
        """On-hand after an adjustment whose quantities the write path worked out."""
        self.adjustments += 1
        after = AdjustmentLine.objects.filter(adjustment=adjustment).values_list(
            "item_id", "location_id", "quantity_after"
        )
        for item_id, location_id, quantity in after:
            self.stock[(item_id, location_id)] = quantity
