"""Concurrent writers on PostgreSQL: row locks taken in one fixed order serialise overlapping
batches without deadlocks, lost updates or broken ledger chains. SQLite has no row locks, so these
tests run only with DATABASE_URL pointing at PostgreSQL.

Transactional tests flush the database, so each test creates its own locations and items."""

import random
import threading
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.errors import AdjustmentRejected, ErrorCode, IdempotencyKeyInFlight
from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_ledger_discrepancies
from tests.concurrency import run_together
from tests.factories import ItemFactory, LocationFactory, UserFactory
from tests.prepared import statement_texts

pytestmark = pytest.mark.postgres

Kind = Adjustment.Kind


def relative(lines):
    return apply_adjustment(kind=Kind.RELATIVE, lines=lines, source=Adjustment.Source.API)


@pytest.mark.django_db(transaction=True)
def test_concurrent_decrements_never_oversell():
    writers = 8
    item, location = ItemFactory(), LocationFactory()
    relative([LineInput(location_id=location.pk, item_id=item.pk, quantity=writers - 1)])
    take_one = [LineInput(location_id=location.pk, item_id=item.pk, quantity=-1)]

    results = run_together([lambda: relative(take_one)] * writers)

    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1, results
    assert type(refused[0]) is AdjustmentRejected
    assert [e.code for e in refused[0].errors] == [ErrorCode.INSUFFICIENT_STOCK]
    assert all(isinstance(r, Adjustment) for r in results if r not in refused)
    assert Balance.objects.get(item=item, location=location).quantity == 0
    assert AdjustmentLine.objects.filter(item=item, location=location, delta=-1).count() == (
        writers - 1
    )
    assert find_ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_overlapping_batches_in_random_order_neither_deadlock_nor_lose_updates():
    threads, batches_per_thread, start = 6, 15, 1000
    locations = [LocationFactory(), LocationFactory()]
    items = [ItemFactory() for _ in range(30)]
    keys = [(item.pk, location.pk) for item in items for location in locations]
    apply_adjustment(
        kind=Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[LineInput(location_id=loc, item_id=item, quantity=start) for item, loc in keys],
    )

    def writer(seed):
        rng = random.Random(seed)
        applied, lines = Counter(), 0
        for _ in range(batches_per_thread):
            # rng.sample: distinct balances (no duplicate lines) in a random order per batch.
            batch = {
                key: rng.choice([-3, -2, -1, 1, 2, 3])
                for key in rng.sample(keys, rng.randint(20, 40))
            }
            relative(
                [
                    LineInput(location_id=loc, item_id=item, quantity=delta)
                    for (item, loc), delta in batch.items()
                ]
            )
            applied.update(batch)
            lines += len(batch)
        return applied, lines

    results = run_together([lambda seed=seed: writer(seed) for seed in range(threads)])

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    expected = Counter(dict.fromkeys(keys, start))
    for applied, _ in results:
        expected.update(applied)
    final = {
        (item, loc): quantity
        for item, loc, quantity in Balance.objects.values_list("item_id", "location_id", "quantity")
    }
    assert final == dict(expected)
    assert Adjustment.objects.count() == 1 + threads * batches_per_thread
    assert AdjustmentLine.objects.count() == len(keys) + sum(lines for _, lines in results)
    assert find_ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_same_idempotency_key_while_the_first_request_runs_is_in_flight():
    item, location, user = ItemFactory(), LocationFactory(), UserFactory()
    lines = [LineInput(location_id=location.pk, item_id=item.pk, quantity=5)]
    first_applied, release = threading.Event(), threading.Event()

    def send():
        return apply_adjustment(
            kind=Kind.RELATIVE,
            lines=lines,
            source=Adjustment.Source.API,
            actor=user,
            idempotency_key="k",
        )

    def first_request():
        # Keeps its transaction open until released, like a request still being processed.
        with transaction.atomic():
            adjustment = send()
            first_applied.set()
            release.wait(timeout=30)
        return adjustment

    def retry_meanwhile():
        assert first_applied.wait(timeout=30)
        try:
            with pytest.raises(IdempotencyKeyInFlight):
                send()
        finally:
            release.set()

    first, retried = run_together([first_request, retry_meanwhile])
    replay = send()

    assert retried is None
    assert (replay.pk, replay.replayed) == (first.pk, True)
    assert Balance.objects.get(item=item, location=location).quantity == 5
    assert AdjustmentLine.objects.count() == 1


@pytest.mark.django_db
def test_balances_are_locked_in_key_order_before_they_are_written(full_path):
    location = LocationFactory()
    items = [ItemFactory() for _ in range(5)]
    lines = [
        LineInput(location_id=location.pk, item_id=item.pk, quantity=1) for item in reversed(items)
    ]

    with CaptureQueriesContext(connection) as context:
        relative(lines)

    sql = [statement_texts(query["sql"]) for query in context.captured_queries]
    locks = [i for i, texts in enumerate(sql) if any("FOR NO KEY UPDATE" in t for t in texts)]
    # On PostgreSQL the balance UPDATE is one CTE of the statement that records the batch.
    writes = [
        i for i, texts in enumerate(sql) if any('UPDATE "inventory_balance"' in t for t in texts)
    ]
    assert len(locks) == 1
    assert len(writes) == 1
    assert locks[0] < writes[0]
    # One round trip: missing rows are inserted (in key order) by its first statement, which
    # also runs the planner's lookup, so the lock, its second statement, sees them.
    insert_and_lookup, lock = sql[locks[0]]
    assert 'INSERT INTO "inventory_balance"' in insert_and_lookup
    assert "ORDER BY n.item_id, n.location_id ON CONFLICT (item_id, location_id) DO NOTHING" in (
        insert_and_lookup
    )
    assert "SELECT 'item'" in insert_and_lookup
    assert lock.endswith("ORDER BY b.item_id, b.location_id FOR NO KEY UPDATE OF b")
