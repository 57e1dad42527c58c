"""Several OS processes hammer a multi-worker gunicorn server with overlapping absolute and
relative batches over a small key space. Nothing deadlocks or fails, refused batches leave no
trace, and the ledger replays to exactly the balances a serial model computes.

Why the serial model is the adjustments' id order: `apply_adjustment` locks every balance of a
batch, and only then inserts its Adjustment row, in the same transaction. Two batches sharing a
balance therefore insert their adjustments in the order they held that balance's lock, so for
every (item, location) the adjustment id order is the order in which the changes were applied."""

import multiprocessing
from collections import defaultdict

import pytest

from inventory.management.benchmark.server import serve
from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import find_ledger_discrepancies
from tests.factories import ItemFactory, LocationFactory
from tests.reliability import client

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 4
BATCHES_PER_PROCESS = 25
ITEMS = 15
START_QUANTITY = 10


def test_processes_hammering_a_server_agree_with_the_serial_model(
    api_token, test_database_url, server_log
):
    keys, item_ids = _stock_in_place()

    with serve(database_url=test_database_url, workers=3, log_path=server_log) as base_url:
        results = _hammer(base_url, api_token, keys)

    answers = [answer for per_process in results for answer in per_process]
    statuses = {status for _, _, status, _ in answers}
    assert statuses <= {200, 422}, statuses  # a deadlock would have been a 503
    log = server_log.read_text()
    assert "deadlock" not in log.lower(), log
    assert "Traceback" not in log, log
    for kind, _, status, body in answers:
        if status == 422:
            # The only refusal these batches can earn: a relative taking more than there is.
            assert kind == "relative", body
            assert "insufficient stock" in body["title"], body

    accepted = {
        body["transaction_id"]: (kind, items)
        for kind, items, status, body in answers
        if status == 200
    }
    assert accepted, "every batch was refused"
    start = {(item_ids[sku], location_id): START_QUANTITY for sku, location_id in keys}
    model = _replay_and_check_ledger(accepted, item_ids, start)
    assert _balances() == model
    accepted_lines = sum(len(items) for _, items in accepted.values())
    assert AdjustmentLine.objects.count() == len(keys) + accepted_lines
    assert find_ledger_discrepancies() == []


def _stock_in_place() -> tuple[list[tuple[str, int]], dict[str, int]]:
    """ITEMS items at two locations, each balance set to START_QUANTITY (one ledger line)."""
    locations = [LocationFactory(), LocationFactory()]
    items = [ItemFactory() for _ in range(ITEMS)]
    keys = [(item.sku, location.pk) for item in items for location in locations]
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        source=Adjustment.Source.SYSTEM,
        lines=[
            LineInput(location_id=location.pk, item_id=item.pk, quantity=START_QUANTITY)
            for item in items
            for location in locations
        ],
    )
    return keys, {item.sku: item.pk for item in items}


def _hammer(base_url: str, token: str, keys: list[tuple[str, int]]) -> list[list]:
    """PROCESSES spawned processes (no shared interpreter state, like separate clients), each
    sending its own seeded batches; a barrier starts them together so their batches overlap."""
    context = multiprocessing.get_context("spawn")
    start_line = context.Barrier(PROCESSES)
    with context.Pool(
        PROCESSES, initializer=client.share_start_line, initargs=(start_line,)
    ) as pool:
        work = pool.starmap_async(
            client.send_batches,
            [(base_url, token, seed, keys, BATCHES_PER_PROCESS) for seed in range(PROCESSES)],
            chunksize=1,
        )
        # Bounded: a process that cannot start (or a stuck server) fails the test, not CI.
        return work.get(timeout=120)


def _replay_and_check_ledger(accepted: dict, item_ids: dict[str, int], start: dict) -> dict:
    """Replay the accepted requests in adjustment id order from `start`, checking each
    adjustment's ledger lines against the model as it goes; returns the final model
    {(item_id, location_id): quantity}.
    The API's adjustments must be exactly the accepted requests: refusals leave nothing."""
    adjustments = list(Adjustment.objects.filter(source=Adjustment.Source.API).order_by("id"))
    assert {str(adjustment.transaction_id) for adjustment in adjustments} == set(accepted)
    lines = defaultdict(dict)
    for line in AdjustmentLine.objects.filter(adjustment__in=adjustments):
        lines[line.adjustment_id][(line.item_id, line.location_id)] = line

    model = dict(start)
    for adjustment in adjustments:
        kind, items = accepted[str(adjustment.transaction_id)]
        assert adjustment.kind == kind
        written = lines[adjustment.pk]
        assert len(written) == len(items), adjustment
        for item in items:
            key = (item_ids[item["sku"]], item["location_id"])
            before = model[key]
            after = item["quantity"] if kind == "absolute" else before + item["quantity"]
            assert after >= 0, f"{adjustment} took {key} below zero"
            line = written[key]
            assert (line.quantity_before, line.quantity_after) == (before, after), adjustment
            model[key] = after
    return model


def _balances() -> dict:
    return {
        (balance.item_id, balance.location_id): balance.quantity
        for balance in Balance.objects.all()
    }
