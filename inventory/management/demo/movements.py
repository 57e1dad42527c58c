"""The demo's transfers and supplier deliveries (`manage.py seed_demo`), written through the
movement services on their days of the story (`story.py`): one transfer received, one partly
received with a damaged unit, one in transit, one draft; one delivery partly received, one
expected. Every step that changes stock is read back into the writer's on-hand, so the sales
written after it only sell what is there."""

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from django.utils import timezone

from inventory.management.demo.story import (
    EXPECTED_DELIVERY,
    IN_TRANSIT,
    KIOSK_DRAFT,
    KIOSK_RESTOCK,
    PARTLY_DELIVERED,
    STORE_RESTOCK,
)
from inventory.management.demo.writer import DemoWriter
from inventory.models import Item, SupplierReceipt, TransferOrder
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)

MINUTE = 55  # after the morning's top-ups and write-offs, before the first sale


DAYS = {
    KIOSK_RESTOCK["shipped"],
    KIOSK_RESTOCK["received"],
    STORE_RESTOCK["shipped"],
    STORE_RESTOCK["received"],
    IN_TRANSIT["shipped"],
    KIOSK_DRAFT["created"],
    PARTLY_DELIVERED["created"],
    PARTLY_DELIVERED["expected"],
    EXPECTED_DELIVERY["created"],
}


@dataclass(kw_only=True)
class DemoMovements(DemoWriter):
    """What a DemoHistory writes on the days the movements of the story happen (its `items`
    and `locations` are the history's)."""

    transfers: dict[str, TransferOrder] = field(default_factory=dict)
    receipts: dict[str, SupplierReceipt] = field(default_factory=dict)

    @cached_property
    def by_sku(self) -> dict[str, Item]:
        return {item.sku: item for item in self.items}

    def movements(self, day: int) -> None:
        if day not in DAYS:
            return
        self.at(day, MINUTE)
        for name, plan, destination in (
            ("kiosk", KIOSK_RESTOCK, "AP"),
            ("store", STORE_RESTOCK, "DT"),
            ("in transit", IN_TRANSIT, "DT"),
        ):
            if day == plan["shipped"]:
                self.transfers[name] = self._ship(plan, destination)
        if day == KIOSK_RESTOCK["received"]:
            transfer = self.transfers["kiosk"]
            self._received(self._everything(transfer), transfer, self.cast.manager)
        if day == STORE_RESTOCK["received"]:
            transfer = self.transfers["store"]
            self._received(self._arrived(STORE_RESTOCK), transfer, self.cast.staff)
        if day == KIOSK_DRAFT["created"]:
            create_transfer(
                origin=self.locations["WH"],
                destination=self.locations["AP"],
                lines=self._planned(KIOSK_DRAFT["lines"]),
                who=Who(actor=self.cast.manager),
            )
        if day == PARTLY_DELIVERED["created"]:
            self.receipts["partly"] = self._order(
                PARTLY_DELIVERED, "WH", self._day(PARTLY_DELIVERED["expected"])
            )
        if day == PARTLY_DELIVERED["expected"]:
            self._received(
                self._arrived(PARTLY_DELIVERED), self.receipts["partly"], self.cast.manager
            )
        if day == EXPECTED_DELIVERY["created"]:
            expected = timezone.localdate(self.clock.end) + timedelta(
                days=EXPECTED_DELIVERY["expected_in_days"]
            )
            self._order(EXPECTED_DELIVERY, "DT", expected)

    def _ship(self, plan: dict, destination: str) -> TransferOrder:
        """Drafted and shipped by the manager, a minute apart; no more of a line than the
        warehouse holds."""
        warehouse = self.locations["WH"]
        lines = [
            (sku, min(quantity, self.stock.get((self.by_sku[sku].pk, warehouse.pk), 0)))
            for sku, quantity in plan["lines"]
        ]
        who = Who(actor=self.cast.manager)
        transfer = create_transfer(
            origin=warehouse,
            destination=self.locations[destination],
            lines=self._planned([(sku, quantity) for sku, quantity in lines if quantity > 0]),
            who=who,
            reference=plan.get("reference", ""),
            note=plan.get("note", ""),
        )
        self.clock.move_to(self.clock.now() + timedelta(minutes=1))
        transfer = ship_transfer(transfer=transfer, who=who)
        self.read_back(transfer.shipment)
        return transfer

    def _order(self, plan: dict, location: str, expected: date) -> SupplierReceipt:
        return create_receipt(
            location=self.locations[location],
            supplier=plan["supplier"],
            reference=plan["reference"],
            expected_on=expected,
            lines=self._planned(plan["lines"]),
            who=Who(actor=self.cast.manager),
        )

    def _received(self, arrivals: list[Arrival], document, actor) -> None:
        who = Who(actor=actor)
        if isinstance(document, TransferOrder):
            event = receive_transfer(transfer=document, arrivals=arrivals, who=who)
        else:
            event = receive_receipt(receipt=document, arrivals=arrivals, who=who)
        if event.adjustment is not None:  # none when nothing arrived sellable
            self.read_back(event.adjustment)

    def _everything(self, transfer: TransferOrder) -> list[Arrival]:
        return [
            Arrival(line.item, received=line.quantity)
            for line in transfer.lines.select_related("item").order_by("item__sku")
        ]

    def _arrived(self, plan: dict) -> list[Arrival]:
        return [
            Arrival(self.by_sku[sku], received=received, damaged=damaged)
            for sku, (received, damaged) in plan["arrived"].items()
        ]

    def _planned(self, lines) -> list[Planned]:
        return [Planned(self.by_sku[sku], quantity) for sku, quantity in lines]

    def _day(self, day: int) -> date:
        return self.first_day + timedelta(days=day)
