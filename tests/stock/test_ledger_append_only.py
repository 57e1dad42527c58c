"""On PostgreSQL the ledger (adjustments and their lines) is append-only at the database level:
a trigger refuses UPDATE and DELETE, whether they come from the ORM or from hand-written SQL."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine
from inventory.sql import table
from tests.factories import set_stock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

REFUSED = "the stock ledger is append-only"


@pytest.fixture
def adjustment(item, location):
    return set_stock(item, location, 5, reason="Opening count")


@pytest.fixture
def ledger_line(adjustment):
    return adjustment.lines.get()


def refused(change):
    # The savepoint keeps the test's transaction usable after the database refuses.
    with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
        change()


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_orm_update_of_a_ledger_line_is_refused(ledger_line):
    refused(
        lambda: AdjustmentLine.objects.filter(pk=ledger_line.pk).update(created_at=timezone.now())
    )

    assert AdjustmentLine.objects.get(pk=ledger_line.pk).created_at == ledger_line.created_at


def test_orm_delete_of_a_ledger_line_is_refused(ledger_line):
    refused(lambda: AdjustmentLine.objects.filter(pk=ledger_line.pk).delete())
    refused(ledger_line.delete)

    assert AdjustmentLine.objects.filter(pk=ledger_line.pk).exists()


def test_orm_update_of_an_adjustment_is_refused(adjustment):
    refused(lambda: Adjustment.objects.filter(pk=adjustment.pk).update(reason="Rewritten"))

    assert Adjustment.objects.get(pk=adjustment.pk).reason == "Opening count"


def test_orm_delete_of_an_adjustment_is_refused(db):
    # Without lines, so it is the trigger that refuses and not Django's on_delete=PROTECT.
    adjustment = Adjustment.objects.create(
        kind=Adjustment.Kind.RELATIVE, source=Adjustment.Source.SYSTEM, created_at=timezone.now()
    )

    refused(lambda: Adjustment.objects.filter(pk=adjustment.pk).delete())
    refused(adjustment.delete)

    assert Adjustment.objects.filter(pk=adjustment.pk).exists()


def test_raw_update_of_a_ledger_line_is_refused(ledger_line):
    refused(
        lambda: raw(
            f"UPDATE {table(AdjustmentLine)} SET quantity_after = 0, delta = -quantity_before"
            " WHERE id = %s",
            [ledger_line.pk],
        )
    )

    assert AdjustmentLine.objects.get(pk=ledger_line.pk).quantity_after == 5


def test_raw_delete_of_a_ledger_line_is_refused(ledger_line):
    refused(lambda: raw(f"DELETE FROM {table(AdjustmentLine)} WHERE id = %s", [ledger_line.pk]))

    assert AdjustmentLine.objects.filter(pk=ledger_line.pk).exists()


def test_raw_update_of_an_adjustment_is_refused(adjustment):
    refused(
        lambda: raw(
            f"UPDATE {table(Adjustment)} SET reason = 'Rewritten' WHERE id = %s", [adjustment.pk]
        )
    )

    assert Adjustment.objects.get(pk=adjustment.pk).reason == "Opening count"


def test_raw_delete_of_an_adjustment_is_refused(adjustment):
    refused(lambda: raw(f"DELETE FROM {table(Adjustment)} WHERE id = %s", [adjustment.pk]))

    assert Adjustment.objects.filter(pk=adjustment.pk).exists()
