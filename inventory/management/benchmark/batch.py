"""Batch: a 2000-line absolute adjustment through the whole HTTP stack (real server, real token)
against the physical floor (floor.py): the same work as ONE set-based statement over psycopg."""

from collections.abc import Callable

import psycopg

from inventory.management.benchmark import floor
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.http import ApiCaller
from inventory.management.benchmark.report import Row
from inventory.management.benchmark.timing import paired_medians_ms
from inventory.models import Item
from locations.models import Location

SIZES = (1, 100, 2000)
SKU_PREFIX = "BATCH-"


def run(context: Context) -> list[Row]:
    location = Location.objects.get(pk=1)
    items = _items(max(SIZES))
    api = ApiCaller(context.base_url, context.token)
    rows = []
    for size in SIZES:
        floor.create_balances(context.dsn(), [item.pk for item in items[:size]], location.pk, 0)
        with psycopg.connect(context.dsn()) as connection:
            floor_ms, value = paired_medians_ms(
                _floor_work(connection, [item.pk for item in items[:size]], location.pk),
                _http_work(api, [item.sku for item in items[:size]], location.pk),
                repeat=context.repeat,
            )
        rows.append(
            Row(
                "batch",
                f"absolute adjustment, {size} line{'s' if size > 1 else ''}, HTTP median",
                value,
                "ms",
                floor=floor_ms,
                floor_measure="one SQL statement + commit",
                target="<= 3" if size == max(SIZES) else "",
            )
        )
    return rows


def _items(count: int) -> list[Item]:
    Item.objects.bulk_create(
        Item(
            sku=f"{SKU_PREFIX}{n:05d}",
            name=f"Benchmark item {n}",
            product_id=900_000 + n,
            variant_id=900_000 + n,
        )
        for n in range(count)
    )
    return list(Item.objects.filter(sku__startswith=SKU_PREFIX).order_by("sku"))


def _http_work(api: ApiCaller, skus: list[str], location_id: int) -> Callable[[], None]:
    runs = iter(range(10**9))

    def adjust() -> None:
        quantity = next(runs) % 50 + 1  # every run changes every line
        body = {
            "reason": "benchmark",
            "items": [
                {"location_id": location_id, "sku": sku, "quantity": quantity} for sku in skus
            ],
        }
        api.expect(200, "PUT", "/api/v3/inventory/adjustments/absolute", body)

    return adjust


def _floor_work(
    connection: psycopg.Connection, item_ids: list[int], location_id: int
) -> Callable[[], None]:
    runs = iter(range(10**9))

    def apply() -> None:
        quantity = next(runs) % 50 + 1
        connection.execute(
            floor.SET_BATCH,
            {
                "items": item_ids,
                "locations": [location_id] * len(item_ids),
                "quantities": [quantity] * len(item_ids),
            },
        )
        connection.commit()

    return apply
