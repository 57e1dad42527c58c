"""Issue 19's "done when", as one Monday at the services: the Warehouse ships 20 tees to
Downtown; Downtown receives 18, 1 damaged and 1 missing; a supplier delivery of 50 arrives at
Downtown in two parts; a sale is made there in between; and a stocktake of Downtown, its lines
counted at different moments through all of it, applies the right numbers. On-hand, in transit
and incoming are checked after every step, and the ledger tells the whole day: what moved, who
moved it, why and under which reference."""

from datetime import date

import pytest

from inventory.api_clients import issue_token
from inventory.models import Adjustment, AdjustmentLine, ApiClient, Balance, TransferOrder
from inventory.movements import selectors
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
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_document_discrepancies, find_ledger_discrepancies
from inventory.stocktakes import selectors as stocktake_review
from inventory.stocktakes import services as stocktakes
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff

pytestmark = pytest.mark.django_db
Kind = Adjustment.Kind
Reason = Adjustment.ReasonCode


def test_monday():
    warehouse = LocationFactory(code="WH", label="Warehouse")
    downtown = LocationFactory(code="DT", label="Downtown")
    tee = ItemFactory(sku="TEE-BLA-M", name="Tee black M")
    cap = ItemFactory(sku="CAP-RED", name="Cap red")
    boss = manager(username="maria")
    clerk = store_staff(downtown, username="sam")
    shop = ApiClient(name="Webshop")
    issue_token(shop)
    shop.save()
    set_stock(tee, warehouse, 30)
    set_stock(tee, downtown, 2)
    set_stock(cap, downtown, 10)
    start = AdjustmentLine.objects.latest("pk").pk

    def tees() -> dict[str, tuple[int, int, int, int]]:
        """Per location: (on hand, in transit out, in transit in, incoming) of the tee."""
        found = selectors.named_quantities([tee.pk])
        on_hand = dict(Balance.objects.filter(item=tee).values_list("location_id", "quantity"))
        return {
            location.code: (
                on_hand.get(location.pk, 0),
                found.get((tee.pk, location.pk), selectors.Quantities()).in_transit_out,
                found.get((tee.pk, location.pk), selectors.Quantities()).in_transit_in,
                found.get((tee.pk, location.pk), selectors.Quantities()).incoming,
            )
            for location in (warehouse, downtown)
        }

    # 8:00 The manager drafts the transfer and records the supplier's order. Nothing moves.
    transfer = create_transfer(
        origin=warehouse,
        destination=downtown,
        lines=[Planned(tee, 20)],
        who=Who(boss),
        reference="WB-889",
    )
    receipt = create_receipt(
        location=downtown,
        supplier="Acme Textiles",
        reference="PO-1001",
        expected_on=date(2026, 12, 7),
        lines=[Planned(tee, 50)],
        who=Who(boss),
    )
    assert tees() == {"WH": (30, 0, 0, 0), "DT": (2, 0, 0, 50)}

    # 8:30 Downtown starts its count; the caps are counted first (one short of the ledger).
    count = stocktakes.start_stocktake(location=downtown, actor=clerk)
    stocktakes.count_item(stocktake=count, code=cap.sku, quantity=9, actor=clerk)

    # 9:00 The transfer leaves the Warehouse: 20 in transit.
    ship_transfer(transfer=transfer, who=Who(boss))
    assert tees() == {"WH": (10, 20, 0, 0), "DT": (2, 0, 20, 70)}

    # 9:15 The tee shelf is counted: one short, and the 20 on the road are not on it.
    stocktakes.count_item(stocktake=count, code=tee.barcode, quantity=1, actor=clerk)

    # 11:00 The van arrives: 18 good, 1 damaged, 1 missing.
    arrival = receive_transfer(
        transfer=transfer,
        arrivals=[Arrival(tee, received=18, damaged=1, missing=1)],
        who=Who(clerk),
        note="Box 2 crushed",
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferOrder.Status.RECEIVED
    assert tees() == {"WH": (10, 0, 0, 0), "DT": (20, 0, 0, 50)}

    # 12:00 The supplier's first boxes: 30 good, 2 damaged.
    first_part = receive_receipt(
        receipt=receipt, arrivals=[Arrival(tee, received=30, damaged=2)], who=Who(clerk)
    )
    assert tees() == {"WH": (10, 0, 0, 0), "DT": (50, 0, 0, 18)}

    # 13:00 The webshop sells 3 tees and 2 caps from Downtown.
    apply_adjustment(
        kind=Kind.RELATIVE,
        source=Adjustment.Source.API,
        api_client=shop,
        reason="Order 1001",
        reason_code=Reason.SALE,
        reference="ORDER-1001",
        lines=[
            LineInput(location_id=downtown.pk, item_id=tee.pk, quantity=-3),
            LineInput(location_id=downtown.pk, item_id=cap.pk, quantity=-2),
        ],
    )
    assert tees() == {"WH": (10, 0, 0, 0), "DT": (47, 0, 0, 18)}

    # 15:00 The rest of the delivery.
    last_part = receive_receipt(
        receipt=receipt, arrivals=[Arrival(tee, received=18)], who=Who(clerk)
    )
    assert tees() == {"WH": (10, 0, 0, 0), "DT": (65, 0, 0, 0)}

    # 17:00 The count is submitted and applied: each line keeps what moved after it was counted.
    count = stocktakes.submit_stocktake(stocktake=count, actor=clerk)
    assert not count.needs_approval  # one unit short on each line: within the threshold
    review = {
        line.item.sku: (line.expected_at_count, line.counted, line.moved_since, line.will_set)
        for line in stocktake_review.review(count)
    }
    assert review == {
        "CAP-RED": (10, 9, -2, 7),
        "TEE-BLA-M": (2, 1, 18 + 30 - 3 + 18, 64),
    }
    applied = stocktakes.apply_stocktake(stocktake=count, actor=boss)
    assert tees() == {"WH": (10, 0, 0, 0), "DT": (64, 0, 0, 0)}
    assert Balance.objects.get(item=cap, location=downtown).quantity == 7

    # The ledger tells the day: every change of stock, who, why and the reference.
    transfer_reason = f"Transfer {transfer.number}"
    day = [
        (
            line.item.sku,
            line.location.code,
            line.adjustment.kind,
            line.delta,
            line.quantity_after,
            line.adjustment.actor.username
            if line.adjustment.actor
            else line.adjustment.api_client.name,
            line.adjustment.reason,
            line.adjustment.reason_code,
            line.adjustment.reference,
        )
        for line in AdjustmentLine.objects.filter(pk__gt=start)
        .select_related("item", "location", "adjustment__actor", "adjustment__api_client")
        .order_by("adjustment_id", "item__sku")
    ]
    stocktake_reason = f"Stocktake #{count.pk} at DT"
    assert day == [
        ("TEE-BLA-M", "WH", Kind.SHIPMENT, -20, 10, "maria", f"{transfer_reason} to Downtown",
         "", "WB-889"),
        ("TEE-BLA-M", "DT", Kind.RECEIPT, 18, 20, "sam", f"{transfer_reason} from Warehouse",
         Reason.RECEIVED, "WB-889"),
        ("TEE-BLA-M", "DT", Kind.RECEIPT, 30, 50, "sam",
         f"Delivery {receipt.number} from Acme Textiles", Reason.RECEIVED, "PO-1001"),
        ("CAP-RED", "DT", Kind.RELATIVE, -2, 8, "Webshop", "Order 1001", Reason.SALE,
         "ORDER-1001"),
        ("TEE-BLA-M", "DT", Kind.RELATIVE, -3, 47, "Webshop", "Order 1001", Reason.SALE,
         "ORDER-1001"),
        ("TEE-BLA-M", "DT", Kind.RECEIPT, 18, 65, "sam",
         f"Delivery {receipt.number} from Acme Textiles", Reason.RECEIVED, "PO-1001"),
        ("CAP-RED", "DT", Kind.STOCKTAKE, -1, 7, "maria", stocktake_reason, "", ""),
        ("TEE-BLA-M", "DT", Kind.STOCKTAKE, -1, 64, "maria", stocktake_reason, "", ""),
    ]  # fmt: skip
    # What never reached a shelf is on the documents, with who found it.
    assert [
        (line.item.sku, line.received, line.damaged, line.missing)
        for line in arrival.lines.select_related("item")
    ] == [("TEE-BLA-M", 18, 1, 1)]
    assert (arrival.actor, arrival.note) == (clerk, "Box 2 crushed")
    assert [(line.received, line.damaged) for line in first_part.lines.all()] == [(30, 2)]
    assert last_part.adjustment.actor == clerk
    assert receipt.lines.get().accounted == 50
    assert applied.source == Adjustment.Source.STOCKTAKE
    assert find_ledger_discrepancies() == []
    assert find_document_discrepancies() == []
