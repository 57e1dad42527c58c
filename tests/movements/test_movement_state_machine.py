"""A stateful property test of transfers and supplier receipts, the sibling of the write path's
machine (tests/stock/test_state_machine.py, whose ledger counter it reuses): Hypothesis runs
random sequences of steps through `inventory.movements.services` and the write path — create,
ship, receive in parts (sellable, damaged, missing; too many, with or without a manager's
accepted overage), cancel, close short; create a supplier receipt and receive it in parts;
sales and adjustments at any location meanwhile — and after every step checks:

- balances, documents and their lines hold what an in-memory model says;
- every item is conserved: on hand everywhere + in transit == opening stock + received sellable
  from suppliers + accepted overages + positive adjustments - sold - written off (damaged,
  missing, negative adjustments);
- no unit is in two places: on each transfer line, received + damaged + missing + outstanding
  == sent (plus whatever a manager accepted as found);
- in transit and incoming (`selectors.named_quantities`) are the model's;
- the ledger chains and agrees with the documents (`verify_ledger`'s two checks), and holds
  exactly the adjustments of the accepted steps;
- partners hear of each accepted shipment, receiving and closing once (a webhook event);
- a refused step changed nothing at all (balances, ledger, documents, receivings, webhooks).

Each run works inside a savepoint rolled back at its end, like the write path's machine.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import (
    Adjustment,
    Balance,
    ReceivingEvent,
    ReceivingEventLine,
    SupplierReceipt,
    SupplierReceiptLine,
    TransferLine,
    TransferOrder,
    WebhookEndpoint,
    WebhookEvent,
)
from inventory.models.webhooks import WebhookScope
from inventory.movements import selectors
from inventory.movements.selectors import Quantities
from inventory.movements.services import (
    Arrival,
    Planned,
    Who,
    cancel_transfer,
    close_receipt,
    close_transfer,
    create_receipt,
    create_transfer,
    receive_receipt,
    receive_transfer,
    ship_transfer,
)
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_document_discrepancies, find_ledger_discrepancies
from tests.factories import ItemFactory, LocationFactory, manager, set_stock, store_staff
from tests.stock.test_state_machine import counts

Transfer = TransferOrder.Status
Receipt = SupplierReceipt.Status
IN_TRANSIT = (Transfer.SHIPPED, Transfer.PARTIALLY_RECEIVED)
OPEN = (Receipt.EXPECTED, Receipt.PARTIALLY_RECEIVED)

MOVEMENT_SCOPES = (
    WebhookScope.TRANSFER_SHIPPED,
    WebhookScope.TRANSFER_RECEIVED,
    WebhookScope.RECEIPT_RECEIVED,
)
ITEMS = 2
LOCATIONS = 3
ALL_KEYS = [(item, location) for item in range(ITEMS) for location in range(LOCATIONS)]


@dataclass
class TransferLineModel:
    sent: int
    received: int = 0
    damaged: int = 0
    missing: int = 0
    found: int = 0  # units beyond those sent, accepted by a manager

    @property
    def outstanding(self) -> int:
        return max(self.sent - self.received - self.damaged - self.missing, 0)


@dataclass
class TransferModel:
    origin: int
    destination: int
    lines: dict[int, TransferLineModel]  # by item index
    status: str = Transfer.DRAFT


@dataclass
class ReceiptLineModel:
    expected: int
    received: int = 0
    damaged: int = 0

    @property
    def outstanding(self) -> int:
        return max(self.expected - self.received - self.damaged, 0)


@dataclass
class ReceiptModel:
    location: int
    lines: dict[int, ReceiptLineModel]
    status: str = Receipt.EXPECTED


@dataclass
class Tally:
    """Where an item's units came from and went to, beyond its opening stock."""

    opening: int = 0
    from_suppliers: int = 0  # received sellable
    found: int = 0  # accepted transfer overages
    adjusted_in: int = 0
    sold: int = 0
    written_off: int = 0  # damaged or missing in transit, negative adjustments

    @property
    def expected_total(self) -> int:
        return (
            self.opening
            + self.from_suppliers
            + self.found
            + self.adjusted_in
            - self.sold
            - self.written_off
        )


@dataclass
class Model:
    on_hand: dict[tuple[int, int], int] = field(default_factory=dict)
    transfers: dict[int, TransferModel] = field(default_factory=dict)  # by pk
    receipts: dict[int, ReceiptModel] = field(default_factory=dict)
    tally: dict[int, Tally] = field(default_factory=lambda: defaultdict(Tally))
    adjustments: int = 0
    ledger_lines: int = 0
    announced: int = 0  # webhook events: one per shipment, receiving or closing of a transfer

    def accept(self, changes: dict[tuple[int, int], int]) -> None:
        """One adjustment was written, changing these balances by these amounts."""
        for key, change in changes.items():
            self.on_hand[key] += change
        self.adjustments += 1
        self.ledger_lines += len(changes)


def arrivals_of(data, outstanding: int, *, missing: bool) -> tuple[int, int, int]:
    """(received, damaged, missing) adding up to at most a little more than is outstanding.
    Missing units are the ones that did not arrive: never more than what is still in transit
    once the arrived ones are counted (an overage is of units that did arrive; see
    `test_missing_units_never_exceed_what_is_still_in_transit`)."""
    total = data.draw(st.integers(0, outstanding + 2))
    received = data.draw(st.integers(0, total))
    if not missing:
        return received, total - received, 0
    damaged = data.draw(st.integers(0, total - received))
    not_arrived = max(outstanding - received - damaged, 0)
    return received, damaged, min(total - received - damaged, not_arrived)


class MovementMachine(RuleBasedStateMachine):
    # Set once for all runs by the test: a user's password hash costs more than a whole run.
    manager: Who
    staff: Who

    def __init__(self) -> None:
        super().__init__()
        # Rolled back in teardown: each run starts from nothing.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.items = ItemFactory.create_batch(ITEMS)
        self.locations = LocationFactory.create_batch(LOCATIONS)
        WebhookEndpoint.objects.create(
            name="Partner",
            url="https://partner.example.com/hooks",
            events=[scope.value for scope in MOVEMENT_SCOPES],
        )
        self.model = Model()
        self.baseline = counts()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- the database as the checks read it ----------------------------------------------

    def snapshot(self) -> tuple:
        """Everything a refused step must leave as it was."""
        return (
            counts(),
            sorted(
                Balance.objects.filter(item__in=self.items).values_list(
                    "item_id", "location_id", "quantity"
                )
            ),
            sorted(TransferOrder.objects.values_list("pk", "status", "shipment_id", "closed_at")),
            sorted(
                TransferLine.objects.values_list(
                    "pk", "item_id", "quantity", "received", "damaged", "missing"
                )
            ),
            sorted(SupplierReceipt.objects.values_list("pk", "status", "closed_at")),
            sorted(
                SupplierReceiptLine.objects.values_list(
                    "pk", "item_id", "expected", "received", "damaged"
                )
            ),
            ReceivingEvent.objects.count(),
            ReceivingEventLine.objects.count(),
            WebhookEvent.objects.count(),
        )

    def refused(self, error: type[Exception], step, *codes: ErrorCode) -> None:
        """`step` is refused with exactly `error` (and these codes), and changes nothing."""
        before = self.snapshot()
        with pytest.raises(error) as raised:
            step()
        assert type(raised.value) is error
        found = getattr(raised.value, "errors", None)
        if found is None:
            assert (raised.value.code,) == codes
        else:
            assert {e.code for e in found} == set(codes), found
        assert self.snapshot() == before

    def item_index(self, item_id: int) -> int:
        return next(n for n, item in enumerate(self.items) if item.pk == item_id)

    # --- opening stock -------------------------------------------------------------------

    @initialize(
        # Enough everywhere that shipments and sales mostly go through; they run out later.
        opening=st.lists(st.integers(8, 25), min_size=len(ALL_KEYS), max_size=len(ALL_KEYS))
    )
    def opening_stock(self, opening):
        apply_adjustment(
            kind=Adjustment.Kind.ABSOLUTE,
            source=Adjustment.Source.SYSTEM,
            reason="opening",
            lines=[
                LineInput(
                    location_id=self.locations[location].pk,
                    item_id=self.items[item].pk,
                    quantity=quantity,
                )
                for (item, location), quantity in zip(ALL_KEYS, opening, strict=True)
            ],
        )
        self.model.on_hand = dict.fromkeys(ALL_KEYS, 0)
        self.model.accept(dict(zip(ALL_KEYS, opening, strict=True)))
        for (item, _), quantity in zip(ALL_KEYS, opening, strict=True):
            self.model.tally[item].opening += quantity

    # --- transfers -----------------------------------------------------------------------

    new_transfer = {
        "origin": st.integers(0, LOCATIONS - 1),
        "shift": st.integers(1, LOCATIONS - 1),
        "quantities": st.lists(
            st.one_of(st.none(), st.integers(1, 6)), min_size=ITEMS, max_size=ITEMS
        ).filter(lambda quantities: any(q is not None for q in quantities)),
        # Now and then a line of 0, refused; mostly plausible lines, so that transfers ship.
        "zero": st.sampled_from([False] * 9 + [True]),
    }

    @rule(**new_transfer)
    def create_a_transfer(self, origin, shift, quantities, zero):
        self.create(origin, shift, quantities, zero)

    @rule(**new_transfer)
    def create_and_ship_a_transfer(self, origin, shift, quantities, zero):
        pk = self.create(origin, shift, quantities, zero)
        if pk is not None:
            self.ship(pk)

    @precondition(lambda self: self.transfers(Transfer.DRAFT))
    @rule(data=st.data())
    def ship_a_draft(self, data):
        self.ship(data.draw(st.sampled_from(self.transfers(Transfer.DRAFT))))

    def create(self, origin: int, shift: int, quantities: list, zero: bool) -> int | None:
        """A draft transfer, or a refusal of a line of 0 (then None)."""
        destination = (origin + shift) % LOCATIONS
        lines = {item: q for item, q in enumerate(quantities) if q is not None}
        if zero:
            lines[min(lines)] = 0

        def step():
            return create_transfer(
                origin=self.locations[origin],
                destination=self.locations[destination],
                lines=[Planned(self.items[item], q) for item, q in lines.items()],
                who=self.manager,
            )

        if zero:
            self.refused(MovementRejected, step, ErrorCode.NON_POSITIVE_QUANTITY)
            return None
        transfer = step()
        self.model.transfers[transfer.pk] = TransferModel(
            origin, destination, {item: TransferLineModel(q) for item, q in lines.items()}
        )
        return transfer.pk

    def transfers(self, *statuses: str) -> list[int]:
        return sorted(pk for pk, t in self.model.transfers.items() if t.status in statuses)

    def ship(self, pk: int) -> None:
        """Shipped when the origin has every line's units; else refused, still a draft."""
        transfer = self.model.transfers[pk]

        def step():
            return ship_transfer(transfer=TransferOrder(pk=pk), who=self.manager)

        short = any(
            self.model.on_hand[item, transfer.origin] < line.sent
            for item, line in transfer.lines.items()
        )
        if short:
            self.refused(AdjustmentRejected, step, ErrorCode.INSUFFICIENT_STOCK)
            return
        step()
        self.model.accept(
            {(item, transfer.origin): -line.sent for item, line in transfer.lines.items()}
        )
        transfer.status = Transfer.SHIPPED
        self.model.announced += 1

    @precondition(lambda self: self.transfers(*IN_TRANSIT))
    @rule(data=st.data(), by_manager=st.booleans(), accept_overage=st.booleans())
    def receive_a_transfer(self, data, by_manager, accept_overage):
        """Part of a delivery: sellable, damaged and missing units, sometimes more than is
        still in transit (refused, unless a manager accepts the extra as found)."""
        pk = data.draw(st.sampled_from(self.transfers(*IN_TRANSIT)))
        transfer = self.model.transfers[pk]
        arrived = {
            item: arrivals_of(data, line.outstanding, missing=True)
            for item, line in transfer.lines.items()
        }
        who = self.manager if by_manager else self.staff

        def step():
            return receive_transfer(
                transfer=TransferOrder(pk=pk),
                arrivals=[Arrival(self.items[item], *numbers) for item, numbers in arrived.items()],
                who=who,
                accept_overage=accept_overage,
            )

        over = any(sum(arrived[item]) > line.outstanding for item, line in transfer.lines.items())
        if accept_overage and not by_manager:
            self.refused(MovementNotAllowed, step, ErrorCode.NOT_PERMITTED)
        elif not any(map(sum, arrived.values())):
            self.refused(MovementRejected, step, ErrorCode.EMPTY_BATCH)
        elif over and not accept_overage:
            self.refused(MovementRejected, step, ErrorCode.OVERAGE)
        else:
            step()
            self.arrived_in_transit(transfer, arrived)

    def arrived_in_transit(self, transfer: TransferModel, arrived: dict) -> None:
        sellable = {}
        for item, (received, damaged, missing) in arrived.items():
            line = transfer.lines[item]
            found = max(received + damaged + missing - line.outstanding, 0)
            line.found += found
            line.received += received
            line.damaged += damaged
            line.missing += missing
            self.model.tally[item].found += found
            self.model.tally[item].written_off += damaged + missing
            if received:
                sellable[item, transfer.destination] = received
        if sellable:
            self.model.accept(sellable)
        still_in_transit = any(line.outstanding for line in transfer.lines.values())
        transfer.status = Transfer.PARTIALLY_RECEIVED if still_in_transit else Transfer.RECEIVED
        self.model.announced += 1

    @precondition(lambda self: self.transfers(Transfer.DRAFT))
    @rule(data=st.data())
    def cancel(self, data):
        pk = data.draw(st.sampled_from(self.transfers(Transfer.DRAFT)))
        cancel_transfer(transfer=TransferOrder(pk=pk), who=self.manager)
        self.model.transfers[pk].status = Transfer.CANCELLED

    @precondition(lambda self: self.transfers(*IN_TRANSIT))
    @rule(data=st.data())
    def close_short(self, data):
        """What is still in transit will not come: it is recorded missing."""
        pk = data.draw(st.sampled_from(self.transfers(*IN_TRANSIT)))
        transfer = self.model.transfers[pk]
        close_transfer(transfer=TransferOrder(pk=pk), who=self.manager)
        for item, line in transfer.lines.items():
            self.model.tally[item].written_off += line.outstanding
            line.missing += line.outstanding
        transfer.status = Transfer.CLOSED
        self.model.announced += 1

    @precondition(lambda self: self.model.transfers or self.model.receipts)
    @rule(data=st.data(), step=st.sampled_from(["ship", "receive", "cancel", "close", "receipt"]))
    def a_step_the_status_does_not_allow(self, data, step):
        """Shipping what is not a draft, receiving what is not in transit, cancelling what has
        shipped, closing what is not in transit, receiving a finished receipt or closing it."""
        allowed = {
            "ship": (Transfer.DRAFT,),
            "receive": IN_TRANSIT,
            "cancel": (Transfer.DRAFT,),
            "close": IN_TRANSIT,
        }
        if step == "receipt":
            done = self.receipts(Receipt.RECEIVED, Receipt.CLOSED)
        else:
            done = sorted(
                pk for pk, t in self.model.transfers.items() if t.status not in allowed[step]
            )
        if not done:
            return
        pk = data.draw(st.sampled_from(done))
        if step == "receipt":
            receipt = SupplierReceipt(pk=pk)
            first = self.items[next(iter(self.model.receipts[pk].lines))]
            steps = [
                lambda: receive_receipt(
                    receipt=receipt, arrivals=[Arrival(first, received=1)], who=self.manager
                ),
                lambda: close_receipt(receipt=receipt, who=self.manager),
            ]
        else:
            transfer = TransferOrder(pk=pk)
            first = self.items[next(iter(self.model.transfers[pk].lines))]
            steps = [
                {
                    "ship": lambda: ship_transfer(transfer=transfer, who=self.manager),
                    "receive": lambda: receive_transfer(
                        transfer=transfer, arrivals=[Arrival(first, received=1)], who=self.manager
                    ),
                    "cancel": lambda: cancel_transfer(transfer=transfer, who=self.manager),
                    "close": lambda: close_transfer(transfer=transfer, who=self.manager),
                }[step]
            ]
        for refused_step in steps:
            self.refused(MovementNotAllowed, refused_step, ErrorCode.WRONG_STATUS)

    # --- supplier receipts ---------------------------------------------------------------

    @rule(
        location=st.integers(0, LOCATIONS - 1),
        quantities=st.lists(
            st.one_of(st.none(), st.integers(1, 30)), min_size=ITEMS, max_size=ITEMS
        ).filter(lambda quantities: any(q is not None for q in quantities)),
    )
    def create_a_receipt(self, location, quantities):
        lines = {item: q for item, q in enumerate(quantities) if q is not None}
        receipt = create_receipt(
            location=self.locations[location],
            supplier="Acme",
            reference="PO-1",
            lines=[Planned(self.items[item], q) for item, q in lines.items()],
            who=self.manager,
        )
        self.model.receipts[receipt.pk] = ReceiptModel(
            location, {item: ReceiptLineModel(q) for item, q in lines.items()}
        )

    def receipts(self, *statuses: str) -> list[int]:
        return sorted(pk for pk, r in self.model.receipts.items() if r.status in statuses)

    @precondition(lambda self: self.receipts(*OPEN))
    @rule(data=st.data(), by_manager=st.booleans(), accept_overage=st.booleans())
    def receive_a_receipt(self, data, by_manager, accept_overage):
        """Part of a supplier's delivery: sellable and damaged units of its items, sometimes
        more than expected or an item it does not list (refused unless a manager accepts)."""
        pk = data.draw(st.sampled_from(self.receipts(*OPEN)))
        receipt = self.model.receipts[pk]
        arrived = {}
        for item in range(ITEMS):
            line = receipt.lines.get(item)
            if line is not None:
                arrived[item] = arrivals_of(data, line.outstanding, missing=False)
            elif data.draw(st.booleans()):
                # Never a zero line for an item the receipt lacks (it would add an empty line:
                # `test_a_zero_arrival_of_an_unlisted_item_adds_no_line`).
                arrived[item] = arrivals_of(data, 0, missing=False)
                if not sum(arrived[item]):
                    arrived[item] = (1, 0, 0)
        who = self.manager if by_manager else self.staff

        def step():
            return receive_receipt(
                receipt=SupplierReceipt(pk=pk),
                arrivals=[Arrival(self.items[item], *numbers) for item, numbers in arrived.items()],
                who=who,
                accept_overage=accept_overage,
            )

        stranger = any(item not in receipt.lines for item in arrived)
        over = any(
            sum(numbers) > receipt.lines[item].outstanding
            for item, numbers in arrived.items()
            if item in receipt.lines
        )
        if accept_overage and not by_manager:
            self.refused(MovementNotAllowed, step, ErrorCode.NOT_PERMITTED)
        elif not any(map(sum, arrived.values())):
            self.refused(MovementRejected, step, ErrorCode.EMPTY_BATCH)
        elif (over or stranger) and not accept_overage:
            codes = {ErrorCode.OVERAGE} if over else set()
            codes |= {ErrorCode.NOT_ON_DOCUMENT} if stranger else set()
            self.refused(MovementRejected, step, *codes)
        else:
            step()
            self.arrived_from_supplier(receipt, arrived)

    def arrived_from_supplier(self, receipt: ReceiptModel, arrived: dict) -> None:
        sellable = {}
        for item, (received, damaged, _) in arrived.items():
            line = receipt.lines.setdefault(item, ReceiptLineModel(0))
            line.received += received
            line.damaged += damaged
            self.model.tally[item].from_suppliers += received
            if received:
                sellable[item, receipt.location] = received
        if sellable:
            self.model.accept(sellable)
        still_expected = any(line.outstanding for line in receipt.lines.values())
        receipt.status = Receipt.PARTIALLY_RECEIVED if still_expected else Receipt.RECEIVED
        self.model.announced += 1

    @precondition(lambda self: self.receipts(*OPEN))
    @rule(data=st.data())
    def close_a_receipt(self, data):
        """Nothing more will come: what was still expected stops being incoming."""
        pk = data.draw(st.sampled_from(self.receipts(*OPEN)))
        close_receipt(receipt=SupplierReceipt(pk=pk), who=self.manager)
        self.model.receipts[pk].status = Receipt.CLOSED

    # --- sales and adjustments meanwhile -------------------------------------------------

    @rule(
        item=st.integers(0, ITEMS - 1),
        location=st.integers(0, LOCATIONS - 1),
        quantity=st.integers(1, 5),
    )
    def sell(self, item, location, quantity):
        self.relative(item, location, -quantity, sale=True)

    @rule(
        item=st.integers(0, ITEMS - 1),
        location=st.integers(0, LOCATIONS - 1),
        change=st.integers(-5, 5).filter(bool),
    )
    def adjust(self, item, location, change):
        self.relative(item, location, change, sale=False)

    def relative(self, item: int, location: int, change: int, *, sale: bool) -> None:
        def step():
            return apply_adjustment(
                kind=Adjustment.Kind.RELATIVE,
                source=Adjustment.Source.API if sale else Adjustment.Source.ADMIN,
                reason_code=(
                    Adjustment.ReasonCode.SALE if sale else Adjustment.ReasonCode.CORRECTION
                ),
                lines=[
                    LineInput(
                        location_id=self.locations[location].pk,
                        item_id=self.items[item].pk,
                        quantity=change,
                    )
                ],
            )

        if self.model.on_hand[item, location] + change < 0:
            self.refused(AdjustmentRejected, step, ErrorCode.INSUFFICIENT_STOCK)
            return
        step()
        self.model.accept({(item, location): change})
        tally = self.model.tally[item]
        if sale:
            tally.sold -= change
        elif change > 0:
            tally.adjusted_in += change
        else:
            tally.written_off -= change

    # --- invariants ----------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self):
        location_index = {location.pk: n for n, location in enumerate(self.locations)}
        rows = Balance.objects.filter(item__in=self.items).values_list(
            "item_id", "location_id", "quantity"
        )
        found = {(self.item_index(i), location_index[loc]): qty for i, loc, qty in rows}
        assert found == self.model.on_hand

    @invariant()
    def documents_match_the_model(self):
        transfers = dict(TransferOrder.objects.values_list("pk", "status"))
        assert transfers == {pk: t.status for pk, t in self.model.transfers.items()}
        for pk, item_id, sent, received, damaged, missing in TransferLine.objects.values_list(
            "transfer_id", "item_id", "quantity", "received", "damaged", "missing"
        ):
            line = self.model.transfers[pk].lines[self.item_index(item_id)]
            assert (sent, received, damaged, missing) == (
                line.sent,
                line.received,
                line.damaged,
                line.missing,
            )
        receipts = dict(SupplierReceipt.objects.values_list("pk", "status"))
        assert receipts == {pk: r.status for pk, r in self.model.receipts.items()}
        lines = {
            (pk, self.item_index(item_id)): (expected, received, damaged)
            for pk, item_id, expected, received, damaged in SupplierReceiptLine.objects.values_list(
                "receipt_id", "item_id", "expected", "received", "damaged"
            )
        }
        assert lines == {
            (pk, item): (line.expected, line.received, line.damaged)
            for pk, receipt in self.model.receipts.items()
            for item, line in receipt.lines.items()
        }

    @invariant()
    def no_unit_is_in_two_places(self):
        """Read from the database alone: what a line sent is accounted for once, or still in
        transit; a line with nothing accepted as found never accounts for more than it sent."""
        for line in TransferLine.objects.all():
            found = self.model.transfers[line.transfer_id].lines[self.item_index(line.item_id)]
            assert line.accounted + line.outstanding == line.quantity + found.found

    @invariant()
    def every_item_is_conserved(self):
        """On hand everywhere plus in transit, from the database, against where the units came
        from and went to."""
        on_hand = Counter()
        for item_id, quantity in Balance.objects.filter(item__in=self.items).values_list(
            "item_id", "quantity"
        ):
            on_hand[self.item_index(item_id)] += quantity
        in_transit = Counter()
        for line in TransferLine.objects.filter(transfer__status__in=IN_TRANSIT):
            in_transit[self.item_index(line.item_id)] += line.outstanding
        for item in range(ITEMS):
            assert on_hand[item] + in_transit[item] == self.model.tally[item].expected_total

    @invariant()
    def in_transit_and_incoming_are_the_models(self):
        expected: dict[tuple[int, int], Quantities] = defaultdict(Quantities)
        for transfer in self.model.transfers.values():
            if transfer.status not in IN_TRANSIT:
                continue
            for item, line in transfer.lines.items():
                if line.outstanding:
                    expected[item, transfer.origin].in_transit_out += line.outstanding
                    expected[item, transfer.destination].in_transit_in += line.outstanding
        for receipt in self.model.receipts.values():
            if receipt.status not in OPEN:
                continue
            for item, line in receipt.lines.items():
                if line.outstanding:
                    expected[item, receipt.location].expected += line.outstanding
        found = selectors.named_quantities([item.pk for item in self.items])
        location_index = {location.pk: n for n, location in enumerate(self.locations)}
        assert {
            (self.item_index(i), location_index[loc]): q for (i, loc), q in found.items()
        } == dict(expected)

    @invariant()
    def ledger_is_sound_and_agrees_with_the_documents(self):
        assert find_ledger_discrepancies() == []
        assert find_document_discrepancies() == []
        adjustments, lines, _ = (
            now - before for now, before in zip(counts(), self.baseline, strict=True)
        )
        assert (adjustments, lines) == (self.model.adjustments, self.model.ledger_lines)

    @invariant()
    def partners_hear_of_every_accepted_step_once(self):
        assert WebhookEvent.objects.count() == self.model.announced


@pytest.mark.django_db
def test_transfers_and_receipts_agree_with_their_model():
    MovementMachine.manager = Who(actor=manager())
    # Store staff who may receive anywhere: the services leave "where" to the pages.
    MovementMachine.staff = Who(actor=store_staff())
    run_state_machine_as_test(
        MovementMachine,
        settings=settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )


# --- what modelling the services found -----------------------------------------------------------


@pytest.mark.django_db
def test_missing_units_never_exceed_what_is_still_in_transit(item):
    origin, destination = LocationFactory.create_batch(2)
    who = Who(actor=manager())
    set_stock(item, origin, 5)
    draft = create_transfer(
        origin=origin, destination=destination, lines=[Planned(item, 2)], who=who
    )
    transfer = ship_transfer(transfer=draft, who=who)

    with pytest.raises(MovementRejected) as refused:
        receive_transfer(
            transfer=transfer, arrivals=[Arrival(item, missing=5)], who=who, accept_overage=True
        )

    assert [error.field for error in refused.value.errors] == ["missing"]
    line = transfer.lines.get()
    assert (line.missing, line.outstanding) == (0, 2)


@pytest.mark.django_db
def test_a_zero_arrival_of_an_unlisted_item_adds_no_line(item):
    stranger = ItemFactory()
    who = Who(actor=manager())
    receipt = create_receipt(
        location=LocationFactory(), supplier="Acme", lines=[Planned(item, 3)], who=who
    )

    receive_receipt(
        receipt=receipt,
        arrivals=[Arrival(item, received=1), Arrival(stranger)],
        who=who,
        accept_overage=True,
    )

    assert list(receipt.lines.values_list("item_id", flat=True)) == [item.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("arrival", "field"),
    [({"received": 1, "damaged": -1}, "damaged"), ({"missing": -1}, "missing")],
)
def test_a_negative_count_is_refused_naming_its_field(item, arrival, field):
    origin, destination = LocationFactory.create_batch(2)
    who = Who(actor=manager())
    set_stock(item, origin, 5)
    draft = create_transfer(
        origin=origin, destination=destination, lines=[Planned(item, 2)], who=who
    )
    transfer = ship_transfer(transfer=draft, who=who)

    with pytest.raises(MovementRejected) as refused:
        receive_transfer(transfer=transfer, arrivals=[Arrival(item, **arrival)], who=who)

    found = [(error.index, error.field, error.code) for error in refused.value.errors]
    assert found == [(0, field, ErrorCode.NEGATIVE_QUANTITY)]
