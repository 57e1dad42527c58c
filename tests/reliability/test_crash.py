"""SIGKILL of the whole server in the middle of a 2000-line batch: the batch is applied entirely
or not at all, the ledger still agrees with the balances, and a retry with the same
Idempotency-Key after a restart applies it exactly once, whether or not the killed request had
committed.

The kill moments are spread over one request's measured duration (seeded, one per slice of it),
plus one while the body is still arriving and one just after the commit has become visible:
the case that matters most, where the write happened but the client never heard of it."""

import http.client
import json
import random
import signal
import time
from collections import Counter

import pytest
from django.db import connection

from inventory.models import Adjustment, AdjustmentLine, Balance, IdempotencyRecord, Item
from inventory.stock.audit import find_ledger_discrepancies
from tests.factories import LocationFactory
from tests.reliability.client import RELATIVE, adjust

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ITEMS = 1000  # at two locations: 2000 lines, the largest batch the API takes
SLICES = 10  # kills spread over the request's duration, one at a random moment in each slice
SPREAD = 1.2  # over 0 to 1.2 durations, so some land after the answer could have been sent
SEED = 20261123
MID_UPLOAD = "mid-upload"  # the server cannot have applied anything yet
AFTER_COMMIT = "after commit"


def test_sigkill_mid_batch_is_all_or_nothing_and_the_retry_applies_once(api_token, gunicorn):
    keys = _balances_to_change()
    expected = dict.fromkeys(keys.values(), 0)
    rng = random.Random(SEED)
    base_url = gunicorn.start()

    duration = _measure_one_batch(base_url, api_token, keys, expected, rng)
    moments = [
        MID_UPLOAD,
        *((slice_ + rng.random()) * duration * SPREAD / SLICES for slice_ in range(SLICES)),
        AFTER_COMMIT,
    ]
    outcomes = Counter()
    for attempt, moment in enumerate(moments):
        key = f"crash-{attempt}"
        items = _batch(keys, rng)
        before = _state()

        outcomes[_send_and_kill(gunicorn, api_token, items, key, moment)] += 1
        _wait_until_the_server_sessions_end()
        _assert_all_or_nothing(key, items, keys, before)
        assert find_ledger_discrepancies() == []

        base_url = gunicorn.start()
        answer = adjust(base_url, api_token, "relative", items, idempotency_key=key)
        assert answer.status == 200, answer
        _assert_applied_once(key, answer.body["transaction_id"], adjustments_before=before[0])
        for item in items:
            expected[keys[item["sku"], item["location_id"]]] += item["quantity"]
        assert _quantities() == expected
        assert find_ledger_discrepancies() == []

    # The first kill comes before the server could have done anything, the last one after the
    # commit: both sides of the commit are covered whatever the machine's speed.
    assert outcomes["nothing"] >= 1, outcomes
    assert outcomes["committed, unanswered"] >= 1, outcomes


def _balances_to_change() -> dict[tuple[str, int], tuple[int, int]]:
    """{(sku, location_id): (item_id, location_id)} for ITEMS items at two locations."""
    locations = [LocationFactory(), LocationFactory()]
    items = Item.objects.bulk_create(
        Item(sku=f"CRASH-{n:04d}", product_id=900_000 + n, variant_id=900_000 + n, name=f"{n}")
        for n in range(ITEMS)
    )
    return {
        (item.sku, location.pk): (item.pk, location.pk) for item in items for location in locations
    }


def _batch(keys: dict, rng: random.Random) -> list[dict]:
    """Every balance once, in a random order, each gaining 1 to 5."""
    items = [
        {"sku": sku, "location_id": location_id, "quantity": rng.randint(1, 5)}
        for sku, location_id in keys
    ]
    rng.shuffle(items)
    return items


def _measure_one_batch(base_url, token, keys, expected, rng) -> float:
    """Send two full batches (the first warms the worker up) and time the second."""
    for attempt in ("warm-up", "measured"):
        items = _batch(keys, rng)
        started = time.monotonic()
        answer = adjust(base_url, token, "relative", items, idempotency_key=attempt)
        duration = time.monotonic() - started
        assert answer.status == 200, answer
        for item in items:
            expected[keys[item["sku"], item["location_id"]]] += item["quantity"]
    return duration


def _send_and_kill(gunicorn, token: str, items: list[dict], key: str, moment) -> str:
    """Send the batch and SIGKILL the server's process group at `moment`: seconds after
    sending, MID_UPLOAD (half the body sent) or AFTER_COMMIT (as soon as the commit is
    visible; the client is then taken to have lost the answer). Says what the client saw and
    what the database kept."""
    body = json.dumps({"items": items}).encode()
    connection_ = http.client.HTTPConnection(gunicorn.base_url.removeprefix("http://"), timeout=5)
    connection_.putrequest("POST", RELATIVE)
    for name, value in {
        "X-Auth-Token": token,
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Idempotency-Key": key,
    }.items():
        connection_.putheader(name, value)
    connection_.endheaders()
    started = time.monotonic()
    connection_.send(body[: len(body) // 2] if moment == MID_UPLOAD else body)
    if moment == AFTER_COMMIT:
        _wait_for_commit(key)
    elif moment != MID_UPLOAD:
        time.sleep(max(0.0, moment - (time.monotonic() - started)))
    gunicorn.kill(signal.SIGKILL)
    answered = moment not in (MID_UPLOAD, AFTER_COMMIT) and _answered(connection_)
    connection_.close()
    if answered:
        return "answered"
    return "committed, unanswered" if _recorded(key) else "nothing"


def _answered(connection_: http.client.HTTPConnection) -> bool:
    try:
        return connection_.getresponse().status == 200
    except (http.client.HTTPException, OSError):
        return False


def _wait_for_commit(key: str) -> None:
    deadline = time.monotonic() + 30
    while not _recorded(key):
        assert time.monotonic() < deadline, "the batch never committed"
        time.sleep(0.002)


def _recorded(key: str) -> bool:
    return IdempotencyRecord.objects.filter(key=key).exists()


def _wait_until_the_server_sessions_end() -> None:
    """PostgreSQL notices a dead client only when it next reads from it: until the killed
    server's sessions are gone, a transaction of theirs may still be rolling back."""
    deadline = time.monotonic() + 15
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
            )
            (sessions,) = cursor.fetchone()
        if sessions == 0:
            return
        assert time.monotonic() < deadline, f"{sessions} server sessions outlived the server"
        time.sleep(0.02)


def _state() -> tuple[int, int, dict]:
    return Adjustment.objects.count(), AdjustmentLine.objects.count(), _quantities()


def _quantities() -> dict[tuple[int, int], int]:
    return {
        (balance.item_id, balance.location_id): balance.quantity
        for balance in Balance.objects.all()
    }


def _assert_all_or_nothing(key: str, items: list[dict], keys: dict, before: tuple) -> None:
    """Either nothing of the batch is in the database, or all of it: one adjustment, its 2000
    lines, every balance moved by its line."""
    adjustments, lines, quantities = before
    record = IdempotencyRecord.objects.filter(key=key).select_related("adjustment").first()
    if record is None:
        assert _state() == before, "a batch without its idempotency record left a trace"
        return
    assert Adjustment.objects.count() == adjustments + 1
    assert AdjustmentLine.objects.count() == lines + len(items)
    assert AdjustmentLine.objects.filter(adjustment=record.adjustment).count() == len(items)
    after = dict(quantities)
    for item in items:
        after[keys[item["sku"], item["location_id"]]] += item["quantity"]
    assert _quantities() == after


def _assert_applied_once(key: str, transaction_id: str, adjustments_before: int) -> None:
    """One record for the key, naming the one new adjustment, with every line; the retry
    answered with that adjustment (a replay when the killed request had committed)."""
    (record,) = IdempotencyRecord.objects.filter(key=key).select_related("adjustment")
    assert str(record.adjustment.transaction_id) == transaction_id
    assert Adjustment.objects.count() == adjustments_before + 1
    assert AdjustmentLine.objects.filter(adjustment=record.adjustment).count() == 2 * ITEMS
