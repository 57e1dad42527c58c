"""The benchmark's set-based ledger fill writes what the write path would have written (the
ledger replays cleanly against the balances), including when it grows a ledger that already has
lines; and the history and stocktake sections run end to end in quick mode."""

import gc
import weakref

import pytest
from django.db import connection

from inventory.management.benchmark import history, scale_stocktake, stocktake
from inventory.management.benchmark.context import Context, create_credentials
from inventory.management.benchmark.ledger_fill import (
    BUSY_EVERY,
    LINES_PER_ADJUSTMENT,
    busy_sku,
    ensure_locations,
    fill_ledger,
)
from inventory.management.benchmark.pages import KeptAliveClient
from inventory.management.benchmark.scratch import checkpoint
from inventory.management.benchmark.timing import settled_heap
from inventory.models import Adjustment, AdjustmentLine, Item
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_ledger_discrepancies
from tests.factories import ItemFactory

pytestmark = pytest.mark.postgres


def ledger_schema() -> list[tuple[str, str]]:
    """The ledger table's indexes and constraints, which the fill drops and rebuilds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " UNION SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass ORDER BY 1",
            [AdjustmentLine._meta.db_table] * 2,
        )
        return cursor.fetchall()


def created_at_goes_backwards() -> int:
    """Ledger lines whose created_at is earlier than the line before them (by id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM (SELECT created_at < LAG(created_at) OVER (ORDER BY id)"
            f" AS back FROM {AdjustmentLine._meta.db_table}) AS t WHERE back"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_fill_writes_a_consistent_ledger_and_grows_it():
    schema = ledger_schema()

    assert fill_ledger(2_000) == 2_000

    assert AdjustmentLine.objects.count() == 2_000
    assert Adjustment.objects.count() == 2_000 // LINES_PER_ADJUSTMENT
    assert AdjustmentLine.objects.filter(item__sku=busy_sku()).count() == 2_000 // BUSY_EVERY
    assert find_ledger_discrepancies() == []
    assert ledger_schema() == schema
    # Reasons to search and filter by: a code, a note and a reference of its own each.
    fill = Adjustment.objects.all()
    assert set(fill.values_list("reason_code", flat=True)) == {
        "sale",
        "received",
        "returned",
        "damaged",
    }
    assert fill.values("reference").distinct().count() == fill.count()
    first = fill.order_by("id").first()
    assert first.reason == f"Benchmark history, order #{first.pk:08d}"

    # A change through the write path in between: growing continues after it.
    busy = Item.objects.get(sku=busy_sku())
    apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        lines=[LineInput(location_id=ensure_locations()[0], item_id=busy.pk, quantity=5)],
        source=Adjustment.Source.API,
    )
    assert fill_ledger(5_001) == 3_000

    assert AdjustmentLine.objects.count() == 5_001
    assert find_ledger_discrepancies() == []
    assert created_at_goes_backwards() == 0
    assert ledger_schema() == schema
    assert fill_ledger(100) == 0  # never shrinks


def quick_context(base_url: str = "", token: str = "", admin_cookie: str = "") -> Context:
    return Context(
        database_url="",
        base_url=base_url,
        token=token,
        admin_cookie=admin_cookie,
        repeat=1,
        quick=True,
    )


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_history_section_runs(live_server):
    token, admin_cookie = create_credentials()

    rows = history.run(quick_context(live_server.url, token, admin_cookie))

    assert len(rows) == 8  # 6 admin pages (first, 4 searches, a reason over dates), 2 API pages
    assert all(row.value > 0 for row in rows)
    assert all(row.floor > 0 for row in rows)
    assert find_ledger_discrepancies() == []


@pytest.mark.django_db
def test_stocktake_section_runs():
    [row] = stocktake.run(quick_context())

    assert row.value > 0
    assert row.floor > 0
    assert find_ledger_discrepancies() == []


@pytest.mark.django_db(transaction=True)
def test_the_scale_sections_stocktakes_run_through_the_server(live_server):
    token, admin_cookie = create_credentials()
    context = quick_context(live_server.url, token, admin_cookie)
    for n in range(30):
        ItemFactory(sku=f"SCALE-{n:07d}")
    client = KeptAliveClient(live_server.url)

    small = scale_stocktake.measure(context, client, 10)
    large = scale_stocktake.measure(context, client, 30)
    rows = scale_stocktake.rows(small, large)

    assert len(rows) == 5  # start, count page, review page, CSV preview, apply
    assert all(row.value > 0 for row in rows)
    assert all(row.floor > 0 for row in rows)
    assert find_ledger_discrepancies() == []


def requested_checkpoints() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # else a transaction reads one snapshot
        cursor.execute("SELECT checkpoints_req FROM pg_stat_bgwriter")
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_each_section_starts_after_a_checkpoint():
    before = requested_checkpoints()

    assert checkpoint() is True

    assert requested_checkpoints() > before


@pytest.mark.django_db
def test_a_user_who_may_not_checkpoint_only_goes_without():
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE stockroom_no_checkpoint")
        cursor.execute("SET ROLE stockroom_no_checkpoint")
    try:
        assert checkpoint() is False
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    # The refusal left the transaction usable.
    assert Item.objects.count() >= 0


def test_a_settled_heap_is_collected_and_frozen_until_the_block_ends():
    frozen_before = gc.get_freeze_count()
    garbage = [[]]
    garbage[0].append(garbage)  # a cycle only the collector frees
    probe = weakref.ref(Cycle(garbage))
    del garbage

    with settled_heap():
        assert probe() is None  # collected before freezing
        assert gc.get_freeze_count() > frozen_before

    assert gc.get_freeze_count() == frozen_before


class Cycle:
    def __init__(self, payload):
        self.payload = payload
        self.me = self
