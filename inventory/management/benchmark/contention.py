"""Contention: single-line relative adjustments from concurrent clients on a few hot items,
against a bare view served by the same server to the same clients that makes the same durable
write with nothing around it (floor_views.py): the ratio is what our code costs on top of the
write. A durable commit is most of a one-line write's cost, and it is the machine's (its disk's
fsync), not ours: against an authenticated no-op the ratio measured the disk. The no-op and the
database's own rate for the same work are printed as references, and the lost-update check:
every hot balance must equal its start plus the accepted deltas."""

import multiprocessing
import random
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import psycopg

from inventory.management.benchmark import floor
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.load import (
    ADJUST,
    BARE,
    PING,
    ClientResult,
    run_client,
    schedule,
    warm,
)
from inventory.management.benchmark.report import Row
from inventory.models import Adjustment, Balance, Item
from inventory.stock import LineInput, apply_adjustment

CLIENTS = 8
HOT_ITEMS = 10
LOCATION_ID = 1
START_QUANTITY = 1_000_000  # far from zero: no decrement is refused for lack of stock


def run(context: Context) -> list[Row]:
    seconds = 2.0 if context.quick else 8.0  # of each kind of request
    items = _hot_items()
    skus = [item.sku for item in items]
    results = _http_rates(context, skus, seconds=seconds, windows=6 if context.quick else 12)
    lost = _lost_updates(items, results[ADJUST] + results[BARE])
    database = _database_rate(context, [item.pk for item in items], seconds=seconds)
    return [
        Row(
            "contention",
            f"relative adjustments, 1 line, {CLIENTS} clients on {HOT_ITEMS} items",
            _rate(results[ADJUST], seconds),
            "req/s",
            floor=_rate(results[BARE], seconds),
            floor_measure="bare view, same durable write (statement, ledger line, commit), "
            "same server and clients",
            target=">= 0.9",
            note=f"errors: {_errors(results[ADJUST]) or 'none'}",
        ),
        Row(
            "contention",
            "authenticated no-op GET /api/v3/ping (reference)",
            _rate(results[PING], seconds),
            "req/s",
            note=f"same server and clients; errors: {_errors(results[PING]) or 'none'}",
        ),
        Row(
            "contention",
            "the same work straight on the database (reference)",
            _rate_of(database, seconds),
            "tx/s",
            note=f"{CLIENTS} psycopg connections, one statement + commit each",
        ),
        Row(
            "contention",
            "lost updates (balance ≠ start + accepted deltas)",
            lost,
            "balances",
            note=f"{sum(r.completed for r in results[ADJUST] + results[BARE])} writes checked",
        ),
    ]


def _hot_items() -> list[Item]:
    items = Item.objects.bulk_create(
        Item(sku=f"HOT-{n}", name=f"Hot item {n}", product_id=700_000 + n, variant_id=700_000 + n)
        for n in range(HOT_ITEMS)
    )
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[
            LineInput(location_id=LOCATION_ID, sku=item.sku, quantity=START_QUANTITY)
            for item in items
        ],
    )
    return items


def _http_rates(
    context: Context, skus: list[str], *, seconds: float, windows: int
) -> dict[str, list[ClientResult]]:
    """Every client in its own process (so the load generator is not one GIL-bound process),
    all following one schedule of windows in which pings, our adjustments and the bare view's
    take turns (load.schedule), once every process has started. Returns
    each kind's results, one per client."""
    kinds = [PING, ADJUST, BARE]
    with ProcessPoolExecutor(CLIENTS, mp_context=multiprocessing.get_context("spawn")) as pool:
        warm(pool, CLIENTS)
        plan = schedule(time.time() + 0.5, len(kinds) * seconds, windows, kinds)
        futures = [
            pool.submit(
                run_client,
                base_url=context.base_url,
                token=context.token,
                skus=skus,
                location_id=LOCATION_ID,
                windows=plan,
                seed=n,
            )
            for n in range(CLIENTS)
        ]
        results = [future.result() for future in futures]
    return {kind: [result[kind] for result in results] for kind in kinds}


def _rate(results: list[ClientResult], seconds: float) -> float:
    return sum(result.completed for result in results) / seconds


def _errors(results: list[ClientResult]) -> dict[int, int]:
    errors: dict[int, int] = {}
    for result in results:
        for status, count in result.errors.items():
            errors[status] = errors.get(status, 0) + count
    return errors


def _lost_updates(items: list[Item], results: list[ClientResult]) -> int:
    expected = {item.sku: START_QUANTITY for item in items}
    for result in results:
        for sku, delta in result.accepted_deltas.items():
            expected[sku] += delta
    actual = dict(
        Balance.objects.filter(item__in=items, location_id=LOCATION_ID).values_list(
            "item__sku", "quantity"
        )
    )
    return sum(1 for sku, quantity in expected.items() if actual.get(sku) != quantity)


def _database_rate(context: Context, item_ids: list[int], *, seconds: float) -> list[int]:
    """The same one-line work as one statement + commit per transaction, from CLIENTS threads
    (psycopg releases the GIL while it waits on the server)."""
    floor.create_balances(context.dsn(), item_ids, LOCATION_ID, START_QUANTITY)
    counts = [0] * CLIENTS
    stop_at = time.time() + seconds

    def client(index: int) -> None:
        rng = random.Random(index)
        with psycopg.connect(context.dsn()) as connection:
            while time.time() < stop_at:
                params = {
                    "item": rng.choice(item_ids),
                    "location": LOCATION_ID,
                    "delta": rng.choice((-1, 1)),
                }
                connection.execute(floor.ADD_ONE, params)
                connection.commit()
                counts[index] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def _rate_of(counts: list[int], seconds: float) -> float:
    return sum(counts) / seconds
