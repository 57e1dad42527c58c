"""A stateful property test of the write path: Hypothesis runs random sequences of batches
(absolute, relative, transfer, stocktake; duplicate lines, stale `expected_quantity`, results
below zero or the safety stock or beyond the limit, settings changes, idempotency keys replayed
or reused, by two API clients) through `apply_adjustment`, and after every step compares the
database with an in-memory model of DESIGN.md §5:

- every balance row of the machine's items holds the model's on-hand (and no other row exists);
- the ledger chains unbroken (`find_ledger_discrepancies()` is empty) and holds exactly the
  lines and adjustments of the accepted batches, so a refused batch wrote nothing at all.

Each run of the machine works inside a savepoint that is rolled back at its end, so runs do not
see each other and nothing is ever deleted (PostgreSQL's trigger refuses DELETE on the ledger).
"""

from dataclasses import dataclass, replace

import pytest
from django.db import connection, transaction
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

from inventory.api_clients import issue_token
from inventory.errors import AdjustmentRejected, ErrorCode, IdempotencyKeyReused, StaleBalances
from inventory.models import (
    MAX_QUANTITY,
    Adjustment,
    AdjustmentLine,
    ApiClient,
    Balance,
    IdempotencyRecord,
)
from inventory.sql import table
from inventory.stock import LineInput, SettingsInput, apply_adjustment, update_settings
from inventory.stock.audit import find_ledger_discrepancies
from tests.factories import ItemFactory, LocationFactory

Kind = Adjustment.Kind
Key = tuple[int, int]  # (item index, location index) in the machine's own lists

ITEMS = 4
LOCATIONS = 3  # the last one allows negative stock
NEGATIVE_OK = LOCATIONS - 1
ALL_KEYS = [(item, location) for item in range(ITEMS) for location in range(LOCATIONS)]
CLIENTS = 2
KEYS = ("key-a", "key-b", "key-c", "key-d")  # few, so keys are often used again
KINDS = (Kind.ABSOLUTE, Kind.RELATIVE, Kind.TRANSFER, Kind.STOCKTAKE)

ACCEPTED, REJECTED, STALE, REPLAYED, KEY_REUSED = (
    "accepted",
    "rejected",
    "stale",
    "replayed",
    "key reused",
)


@dataclass(frozen=True)
class LineSpec:
    """A line in terms of the machine's indexes; `expect` says how to fill expected_quantity."""

    item: int
    location: int
    to_location: int
    quantity: int
    expect: str | None  # None, "current" or "stale"
    name_by: str  # "sku", "variant_id" or "item_id"


quantities = st.one_of(
    st.integers(-20, 20),
    st.sampled_from([MAX_QUANTITY, -MAX_QUANTITY, MAX_QUANTITY + 1, -(MAX_QUANTITY + 1)]),
)
any_line = st.builds(
    LineSpec,
    item=st.integers(0, ITEMS - 1),
    location=st.integers(0, LOCATIONS - 1),
    to_location=st.integers(0, LOCATIONS - 1),
    quantity=quantities,
    expect=st.sampled_from([None, "current", "stale"]),
    name_by=st.sampled_from(["sku", "variant_id", "item_id"]),
)


def batches(plausible_quantity: st.SearchStrategy[int]) -> st.SearchStrategy[list[LineSpec]]:
    """One to three lines, most of them plausible (distinct locations for a transfer, the
    quantities of `plausible_quantity`, no stale expectation) so that batches are often
    accepted and stock keeps moving; the others anything at all."""
    plausible_line = st.builds(
        lambda item, location, shift, quantity, expect, name_by: LineSpec(
            item, location, (location + shift) % LOCATIONS, quantity, expect, name_by
        ),
        item=st.integers(0, ITEMS - 1),
        location=st.integers(0, LOCATIONS - 1),
        shift=st.integers(1, LOCATIONS - 1),
        quantity=plausible_quantity,
        expect=st.sampled_from([None, "current"]),
        name_by=st.sampled_from(["sku", "variant_id", "item_id"]),
    )
    return st.lists(st.one_of(plausible_line, plausible_line, any_line), min_size=1, max_size=3)


clients = st.integers(0, CLIENTS - 1)
keys = st.one_of(st.none(), st.none(), st.sampled_from(KEYS))


@dataclass(frozen=True)
class Request:
    """Everything that makes one call of apply_adjustment, as sent."""

    kind: str
    lines: tuple[LineInput, ...]
    reason: str
    client: int
    key: str | None


class Model:
    """What the database should hold, and what the rules of DESIGN.md §5 say a batch does."""

    def __init__(self) -> None:
        self.on_hand: dict[Key, int] = {}  # one entry per balance row that exists
        self.safety: dict[Key, int] = {}
        self.ledger_lines = 0
        self.adjustments = 0
        self.keys: dict[tuple[int, str], tuple[Request, int]] = {}  # → (request, adjustment pk)

    def outcome(self, kind: str, specs: list[LineSpec]) -> tuple[str, dict[Key, int]]:
        """ACCEPTED with the new on-hand of every touched balance, or REJECTED, or STALE."""
        broken = False
        effects: list[tuple[Key, int, int | None]] = []  # (key, amount, expected)
        for spec in specs:
            expected = self.expected_quantity(spec)
            if self.malformed(kind, spec, expected):
                broken = True
            elif kind == Kind.TRANSFER:
                effects.append(((spec.item, spec.location), -spec.quantity, expected))
                effects.append(((spec.item, spec.to_location), spec.quantity, None))
            else:
                effects.append(((spec.item, spec.location), spec.quantity, expected))
        keys = [key for key, _, _ in effects]
        broken |= len(set(keys)) < len(keys)  # the same balance twice
        stale = False
        after: dict[Key, int] = {}
        for key, amount, expected in effects:
            before = self.on_hand.get(key, 0)
            after[key] = amount if kind in (Kind.ABSOLUTE, Kind.STOCKTAKE) else before + amount
            stale |= expected is not None and expected != before
            broken |= abs(after[key]) > MAX_QUANTITY or self.too_low(key, amount, after[key])
            # One ledger line records the change in the same 32 bits: from far below zero
            # straight to a count is too far for one adjustment.
            broken |= abs(after[key] - before) > MAX_QUANTITY
        if broken:
            return REJECTED, {}
        return (STALE, {}) if stale else (ACCEPTED, after)

    @staticmethod
    def malformed(kind: str, spec: LineSpec, expected: int | None) -> bool:
        """A line refused whatever the stock: its numbers or locations make no sense."""
        if abs(spec.quantity) > MAX_QUANTITY:
            return True
        if expected is not None and abs(expected) > MAX_QUANTITY:
            return True
        if kind in (Kind.ABSOLUTE, Kind.STOCKTAKE):
            return spec.quantity < 0
        if kind == Kind.TRANSFER:
            return spec.quantity <= 0 or spec.location == spec.to_location
        return False

    def too_low(self, key: Key, amount: int, after: int) -> bool:
        """A decrease may not go below zero or the safety stock, unless the location allows
        negative stock."""
        if amount >= 0 or key[1] == NEGATIVE_OK:
            return False
        return after < self.safety.get(key, 0)

    def expected_quantity(self, spec: LineSpec) -> int | None:
        if spec.expect is None:
            return None
        current = self.on_hand.get((spec.item, spec.location), 0)
        return current if spec.expect == "current" else current + 1

    def accept(self, after: dict[Key, int]) -> None:
        """An adjustment was written: one ledger line per touched balance."""
        self.on_hand.update(after)
        self.ledger_lines += len(after)
        self.adjustments += 1

    def remember(self, request: Request, adjustment_pk: int) -> None:
        if request.key is not None:
            self.keys[(request.client, request.key)] = (request, adjustment_pk)


class WritePathMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # Rolled back in teardown: each run starts from the same empty stock.
        self.savepoint = transaction.atomic()
        self.savepoint.__enter__()
        self.items = ItemFactory.create_batch(ITEMS)
        self.locations = [
            *LocationFactory.create_batch(LOCATIONS - 1),
            LocationFactory(allow_negative_stock=True),
        ]
        self.clients = [api_client(f"client {n}") for n in range(CLIENTS)]
        self.model = Model()
        self.baseline = counts()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.savepoint.__exit__(None, None, None)

    # --- building requests ----------------------------------------------------------------

    def line_input(self, spec: LineSpec) -> LineInput:
        item = self.items[spec.item]
        identity = {"sku": item.sku, "variant_id": item.variant_id, "item_id": item.pk}
        return LineInput(
            location_id=self.locations[spec.location].pk,
            to_location_id=self.locations[spec.to_location].pk,
            quantity=spec.quantity,
            expected_quantity=self.model.expected_quantity(spec),
            **{spec.name_by: identity[spec.name_by]},
        )

    def send(self, request: Request) -> Adjustment:
        return apply_adjustment(
            kind=request.kind,
            lines=list(request.lines),
            reason=request.reason,
            source=Adjustment.Source.API,
            api_client=self.clients[request.client],
            idempotency_key=request.key,
        )

    def expect(self, request: Request, outcome: str) -> Adjustment | None:
        """Send `request` and check that the service answers as the model says."""
        if outcome == ACCEPTED:
            adjustment = self.send(request)
            assert not adjustment.replayed
            return adjustment
        if outcome == REPLAYED:
            adjustment = self.send(request)
            assert adjustment.replayed
            return adjustment
        refusal = {
            REJECTED: AdjustmentRejected,
            STALE: StaleBalances,
            KEY_REUSED: IdempotencyKeyReused,
        }[outcome]
        with pytest.raises(refusal) as raised:
            self.send(request)
        # StaleBalances is an AdjustmentRejected: a rejected batch must not pass as only stale.
        assert type(raised.value) is refusal
        return None

    # --- rules ----------------------------------------------------------------------------

    @initialize(
        opening=st.lists(st.integers(0, 20), min_size=len(ALL_KEYS), max_size=len(ALL_KEYS)),
        safety=st.lists(st.integers(0, 6), min_size=len(ALL_KEYS), max_size=len(ALL_KEYS)),
    )
    def opening_stock(self, opening, safety):
        """Stock and safety stock everywhere first, so that decreases and transfers have
        something to take and can run into the safety stock."""
        specs = [
            LineSpec(item, location, location, quantity, None, "item_id")
            for (item, location), quantity in zip(ALL_KEYS, opening, strict=True)
        ]
        request = Request(Kind.ABSOLUTE, tuple(map(self.line_input, specs)), "opening", 0, None)
        self.expect(request, ACCEPTED)
        self.model.accept(dict(zip(ALL_KEYS, opening, strict=True)))
        self.set_safety(dict(zip(ALL_KEYS, safety, strict=True)))

    @rule(
        kind=st.sampled_from([Kind.ABSOLUTE, Kind.STOCKTAKE]),
        specs=batches(st.integers(0, 20)),
        client=clients,
        key=keys,
    )
    def set_on_hand(self, kind, specs, client, key):
        self.batch(kind, specs, client, key)

    @rule(specs=batches(st.integers(-10, 10)), client=clients, key=keys)
    def add_or_subtract(self, specs, client, key):
        self.batch(Kind.RELATIVE, specs, client, key)

    @rule(specs=batches(st.integers(1, 10)), client=clients, key=keys)
    def transfer(self, specs, client, key):
        self.batch(Kind.TRANSFER, specs, client, key)

    def batch(self, kind: str, specs: list[LineSpec], client: int, key: str | None) -> None:
        """Send a batch and check the answer and the database against the model."""
        request = Request(kind, tuple(map(self.line_input, specs)), f"{kind} batch", client, key)
        earlier = self.model.keys.get((client, key)) if key else None
        if earlier is not None:
            # A key this client used before: the same request replays, another is refused.
            outcome = REPLAYED if earlier[0] == request else KEY_REUSED
            adjustment = self.expect(request, outcome)
            assert adjustment is None or adjustment.pk == earlier[1]
            return
        outcome, after = self.model.outcome(kind, specs)
        adjustment = self.expect(request, outcome)
        if adjustment is not None:
            self.model.accept(after)
            self.model.remember(request, adjustment.pk)

    @rule(kind=st.sampled_from(KINDS), specs=batches(quantities), data=st.data())
    def batch_with_a_duplicate_line(self, kind, specs, data):
        """The same balance twice in one batch is refused, naming the duplicate."""
        copied = data.draw(st.sampled_from(specs))
        specs = [*specs, replace(copied, quantity=data.draw(quantities))]
        request = Request(kind, tuple(map(self.line_input, specs)), "duplicates", 0, None)

        with pytest.raises(AdjustmentRejected) as raised:
            self.send(request)

        codes = {error.code for error in raised.value.errors}
        # A line that is malformed anyway never reaches the duplicate check.
        if not any(Model.malformed(kind, s, self.model.expected_quantity(s)) for s in specs):
            assert ErrorCode.DUPLICATE_LINE in codes

    @precondition(lambda self: self.model.keys)
    @rule(data=st.data())
    def replay(self, data):
        """A retry of an accepted request gets the same adjustment back and changes nothing."""
        client, key = data.draw(st.sampled_from(sorted(self.model.keys)))
        request, adjustment_pk = self.model.keys[(client, key)]

        adjustment = self.expect(request, REPLAYED)

        assert adjustment is not None
        assert adjustment.pk == adjustment_pk

    @precondition(lambda self: self.model.keys)
    @rule(data=st.data(), change=st.sampled_from(["reason", "quantity", "kind"]))
    def reuse_a_key_for_another_request(self, data, change):
        """Another request under a key already used is refused, and changes nothing."""
        client, key = data.draw(st.sampled_from(sorted(self.model.keys)))
        request, _ = self.model.keys[(client, key)]
        if change == "reason":
            other = replace(request, reason=request.reason + " (edited)")
        elif change == "quantity":
            first = request.lines[0]
            lines = (replace(first, quantity=first.quantity + 1), *request.lines[1:])
            other = replace(request, lines=lines)
        else:
            other = replace(
                request, kind=Kind.RELATIVE if request.kind != Kind.RELATIVE else Kind.ABSOLUTE
            )

        self.expect(other, KEY_REUSED)

    @rule(
        item=st.integers(0, ITEMS - 1),
        location=st.integers(0, LOCATIONS - 1),
        safety_stock=st.integers(0, 10),
    )
    def set_safety_stock(self, item, location, safety_stock):
        self.set_safety({(item, location): safety_stock})

    def set_safety(self, safety: dict[Key, int]) -> None:
        """A settings change: quantities stay, one ledger line per balance records it."""
        update_settings(
            lines=[
                SettingsInput(
                    location_id=self.locations[location].pk,
                    item_id=self.items[item].pk,
                    safety_stock=value,
                )
                for (item, location), value in safety.items()
            ],
            source=Adjustment.Source.SYSTEM,
        )
        self.model.safety.update(safety)
        self.model.accept({key: self.model.on_hand.get(key, 0) for key in safety})

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def balances_match_the_model(self):
        item_index = {item.pk: n for n, item in enumerate(self.items)}
        location_index = {location.pk: n for n, location in enumerate(self.locations)}
        rows = Balance.objects.filter(item__in=self.items).values_list(
            "item_id", "location_id", "quantity", "safety_stock"
        )
        found = {
            (item_index[i], location_index[loc]): (qty, safety) for i, loc, qty, safety in rows
        }
        assert found == {
            key: (quantity, self.model.safety.get(key, 0))
            for key, quantity in self.model.on_hand.items()
        }

    @invariant()
    def ledger_chains_and_holds_only_accepted_batches(self):
        assert find_ledger_discrepancies() == []
        written = [now - before for now, before in zip(counts(), self.baseline, strict=True)]
        keyed = len(self.model.keys)
        assert written == [self.model.adjustments, self.model.ledger_lines, keyed]


def api_client(name: str) -> ApiClient:
    client = ApiClient(name=name)
    issue_token(client)  # the token prefix is unique
    client.save()
    return client


def counts() -> tuple[int, int, int]:
    """Adjustments, ledger lines and idempotency records in the whole database (one query:
    this runs after every step)."""
    tables = (Adjustment, AdjustmentLine, IdempotencyRecord)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {table(model)})" for model in tables)
        )
        return cursor.fetchone()


@pytest.mark.django_db
def test_the_write_path_agrees_with_its_model():
    run_state_machine_as_test(
        WritePathMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
