"""On PostgreSQL the record statement of a write that nothing follows also commits it (one round
trip fewer). These tests check when it does, and that it never commits more than the write, nor
commits a write an enclosing transaction still owns.

Transactional tests: the transaction must really end (and be seen from another connection)."""

import psycopg
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from inventory.models import Adjustment, Balance, IdempotencyRecord, LowStockAlert
from inventory.stock import LineInput, apply_adjustment
from tests.concurrency import quantity_seen_by_another_connection
from tests.factories import ItemFactory, LocationFactory
from tests.prepared import statement_texts

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    # The full path's record; plain one-line writes take `fast_path` instead.
    pytest.mark.usefixtures("full_path"),
]

ADJUSTMENT_INSERT = f'INSERT INTO "{Adjustment._meta.db_table}" '


def add(item, location, quantity: int, **options) -> Adjustment:
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.API,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
        **options,
    )


def record_statements(queries: CaptureQueriesContext) -> list[str]:
    """The executed SQL that inserts an adjustment, as sent (with a trailing COMMIT if any)."""
    return [
        query["sql"]
        for query in queries
        if any(ADJUSTMENT_INSERT in text for text in statement_texts(query["sql"]))
    ]


def test_a_write_nothing_follows_commits_with_its_record():
    item, location = ItemFactory(), LocationFactory()
    add(item, location, 5)  # from zero: closes any out-of-stock alert, so not this one

    with CaptureQueriesContext(connection) as queries:
        add(item, location, 2)

    [record] = record_statements(queries)
    assert record.endswith("; COMMIT")
    assert quantity_seen_by_another_connection(item, location) == 7
    # Django's own commit found nothing left to commit, and the connection is usable.
    assert connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    add(item, location, 1)
    assert Balance.objects.get(item=item, location=location).quantity == 8


def test_a_write_inside_a_larger_transaction_leaves_the_commit_to_it():
    item, location = ItemFactory(), LocationFactory()
    add(item, location, 5)

    def write_then_fail() -> None:
        with transaction.atomic():
            add(item, location, 3)
            raise RuntimeError("the enclosing work fails after the write")

    with CaptureQueriesContext(connection) as queries, pytest.raises(RuntimeError):
        write_then_fail()

    [record] = record_statements(queries)
    assert not record.endswith("COMMIT")
    assert quantity_seen_by_another_connection(item, location) == 5
    assert Adjustment.objects.count() == 1


def test_an_idempotency_record_is_committed_with_the_write():
    item, location = ItemFactory(), LocationFactory()

    add(item, location, 5)

    with CaptureQueriesContext(connection) as queries:
        add(item, location, 2, idempotency_key="k-1")

    [record] = record_statements(queries)
    assert not record.endswith("COMMIT")
    assert IdempotencyRecord.objects.filter(key="k-1").count() == 1
    assert quantity_seen_by_another_connection(item, location) == 7


def test_an_alert_the_write_opens_is_committed_with_it():
    item, location = ItemFactory(), LocationFactory()
    add(item, location, 5)
    Balance.objects.filter(item=item, location=location).update(warning_level=4)

    with CaptureQueriesContext(connection) as queries:
        add(item, location, -2)

    [record] = record_statements(queries)
    assert not record.endswith("COMMIT")
    assert LowStockAlert.objects.filter(balance__item=item, closed_at__isnull=True).count() == 1
    assert quantity_seen_by_another_connection(item, location) == 3
