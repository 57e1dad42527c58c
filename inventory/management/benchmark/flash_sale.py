"""A flash sale: many clients at once each buying one unit of the same SKU until it is gone.
Every write queues on one balance row, so what bounds the rate is how long each write holds
that row's lock: the statement and its durable commit. Exactly the stock on hand must be sold
(never more, never below zero), every other request refused with 422, never a 5xx.

The floor is the database doing the same sale (lock the row, decrement if a unit is left,
insert the ledger line, commit) from as many psycopg connections."""

import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor

import psycopg

from inventory.management.benchmark import floor
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.load import ADJUST, BARE, buy_until_refused, warm
from inventory.management.benchmark.report import Row
from inventory.models import Adjustment, AdjustmentLine, Balance, Item
from inventory.stock import LineInput, apply_adjustment

CLIENTS = 32
PROCESSES = 8  # each running CLIENTS / PROCESSES clients in threads
STOCK = 1_000
LOCATION_ID = 1

# One unit sold, if one is left: lock, decrement, record, as one statement.
SELL_ONE = """
WITH locked AS (
    SELECT id, quantity FROM floor_balance
    WHERE item_id = %(item)s AND location_id = %(location)s FOR NO KEY UPDATE
), updated AS (
    UPDATE floor_balance b SET quantity = b.quantity - 1, updated_at = now()
    FROM locked WHERE b.id = locked.id AND locked.quantity >= 1
)
INSERT INTO floor_ledger (item_id, location_id, quantity_before, quantity_after, delta)
SELECT %(item)s, %(location)s, quantity, quantity - 1, -1 FROM locked WHERE quantity >= 1
RETURNING 1
"""


def run(context: Context) -> list[Row]:
    stock = 200 if context.quick else STOCK
    item = _flash_item(stock)
    sales = _http_sale(context, item.sku)
    bare_sales = _http_sale(context, _flash_item(stock, n=3).sku, kind=BARE)
    bare_seconds = _selling_seconds(bare_sales)
    sold = sum(result["accepted"] for result in sales)
    statuses: dict[int, int] = {}
    for result in sales:
        for status, count in result["refused"].items():
            statuses[status] = statuses.get(status, 0) + count
    seconds = _selling_seconds(sales)
    left = Balance.objects.get(item=item, location_id=LOCATION_ID).quantity
    ledger_lines = AdjustmentLine.objects.filter(item=item, adjustment__kind="relative").count()
    database_seconds, commit_ms = _database_sale(context, stock)
    write_ms = _our_write_ms()
    wrong = sold != stock or left != 0 or ledger_lines != stock or set(statuses) - {422}
    return [
        Row(
            "flash sale",
            f"{stock} units of one SKU bought 1 at a time by {CLIENTS} clients",
            sold / seconds,
            "sales/s",
            floor=stock / database_seconds,
            floor_measure=f"the same sale on the database, {CLIENTS} psycopg connections",
            target=">= 0.5",
            note=(
                f"one sale every {1000 * seconds / stock:.2f} ms: sales queue on the row's lock, "
                f"held for our write's one statement and its commit ({write_ms:.2f} ms alone; "
                f"the database's bare sale and commit: {commit_ms:.2f} ms)"
            ),
        ),
        Row(
            "flash sale",
            "the same sale through the bare view (reference)",
            sum(result["accepted"] for result in bare_sales) / bare_seconds,
            "sales/s",
            note="same server and clients, the same durable write with nothing around it",
        ),
        Row(
            "flash sale",
            "sold ≠ stock, or left ≠ 0, or a refusal that is not 422",
            int(bool(wrong)),
            "failures",
            note=(
                f"sold {sold}, left {left}, ledger lines {ledger_lines}, "
                f"refusals by status {statuses or 'none'}"
            ),
        ),
    ]


def _flash_item(stock: int, n: int = 1) -> Item:
    item = Item.objects.create(
        sku=f"FLASH-{n}", name="Flash sale item", product_id=800_000 + n, variant_id=800_000 + n
    )
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[LineInput(location_id=LOCATION_ID, item_id=item.pk, quantity=stock)],
    )
    return item


def _our_write_ms(times: int = 200) -> float:
    """Our write path's one-unit sale, one writer alone, from this process (no HTTP): how long
    the balance's row lock is held per write, at least (the fast path's statement locks the row,
    writes, and commits: the lock is released at commit)."""
    item = _flash_item(2 * times, n=2)  # never down to 0: no alert, the fast path each time
    sale = [LineInput(location_id=LOCATION_ID, item_id=item.pk, quantity=-1)]
    started = time.perf_counter()
    for _ in range(times):
        apply_adjustment(kind=Adjustment.Kind.RELATIVE, source=Adjustment.Source.API, lines=sale)
    return 1000 * (time.perf_counter() - started) / times


def _selling_seconds(sales: list[dict]) -> float:
    return max(result["last_accepted"] for result in sales) - min(
        result["started"] for result in sales
    )


def _http_sale(context: Context, sku: str, kind: str = ADJUST) -> list[dict]:
    """CLIENTS buyers over PROCESSES processes, all starting at one moment once every process
    has started; each buys until refused."""
    per_process = CLIENTS // PROCESSES
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as pool:
        warm(pool, PROCESSES)
        start_at = time.time() + 0.5
        futures = [
            pool.submit(
                buy_until_refused,
                base_url=context.base_url,
                token=context.token,
                sku=sku,
                location_id=LOCATION_ID,
                start_at=start_at,
                clients=per_process,
                kind=kind,
            )
            for _ in range(PROCESSES)
        ]
        return [result for future in futures for result in future.result()]


def _database_sale(context: Context, stock: int) -> tuple[float, float]:
    """Seconds for CLIENTS connections to sell `stock` units on the database alone, and the
    time of one sale with no one else waiting (the lock is held that long at least)."""
    item_id = 900_001
    floor.create_balances(context.dsn(), [item_id], LOCATION_ID, stock)
    barrier = threading.Barrier(CLIENTS + 1)
    params = {"item": item_id, "location": LOCATION_ID}

    def buyer() -> None:
        with psycopg.connect(context.dsn()) as connection:
            barrier.wait()
            while connection.execute(SELL_ONE, params).fetchone():
                connection.commit()
            connection.commit()

    threads = [threading.Thread(target=buyer) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    return seconds, _one_commit_ms(context, item_id)


def _one_commit_ms(context: Context, item_id: int, times: int = 200) -> float:
    """One client alone, a unit added and committed each time: the statement plus its commit."""
    with psycopg.connect(context.dsn()) as connection:
        started = time.perf_counter()
        for _ in range(times):
            connection.execute(
                floor.ADD_ONE, {"item": item_id, "location": LOCATION_ID, "delta": 1}
            )
            connection.commit()
        return 1000 * (time.perf_counter() - started) / times
