"""`apply_adjustment` runs the same number of SQL statements for 1, 100 and 2000 lines (DESIGN.md
§4: set-based writes, never a statement per line), whether it applies the batch or refuses it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from inventory.errors import AdjustmentRejected, ErrorCode
from inventory.models import MAX_BATCH_LINES, Adjustment, AdjustmentLine, Balance, Item
from inventory.stock import LineInput, apply_adjustment
from tests.factories import LocationFactory

pytestmark = pytest.mark.django_db

Kind = Adjustment.Kind
SIZES = (100, MAX_BATCH_LINES)


def bulk_items(count):
    Item.objects.bulk_create(
        Item(sku=f"BULK-{n:05d}", product_id=900_000 + n, variant_id=900_000 + n, name=f"Bulk {n}")
        for n in range(count)
    )
    return list(Item.objects.filter(sku__startswith="BULK-").order_by("sku"))


def lines_for(kind, items, source, destination, quantity=1):
    if kind == Kind.TRANSFER:
        return [
            LineInput(
                location_id=source.pk, to_location_id=destination.pk, sku=i.sku, quantity=quantity
            )
            for i in items
        ]
    return [LineInput(location_id=source.pk, sku=item.sku, quantity=quantity) for item in items]


def apply(kind, lines):
    return apply_adjustment(kind=kind, lines=lines, source=Adjustment.Source.IMPORT)


def count_queries(kind, lines):
    with CaptureQueriesContext(connection) as context:
        apply(kind, lines)
    return len(context.captured_queries)


@pytest.mark.parametrize("kind", [Kind.ABSOLUTE, Kind.RELATIVE, Kind.TRANSFER])
def test_applying_a_batch_costs_the_same_queries_for_1_100_and_2000_lines(
    kind, django_assert_num_queries
):
    items = bulk_items(MAX_BATCH_LINES)
    source, destination = LocationFactory(), LocationFactory()
    # Stock at the source, so relative and transfer lines are accepted on every run.
    apply(Kind.ABSOLUTE, lines_for(Kind.ABSOLUTE, items, source, destination, quantity=10))
    one_line = count_queries(kind, lines_for(kind, items[:1], source, destination))

    for size in SIZES:
        with django_assert_num_queries(one_line):
            apply(kind, lines_for(kind, items[:size], source, destination))

    assert Balance.objects.filter(location=destination).count() == (
        MAX_BATCH_LINES if kind == Kind.TRANSFER else 0
    )
    assert AdjustmentLine.objects.count() == MAX_BATCH_LINES + (1 + sum(SIZES)) * (
        2 if kind == Kind.TRANSFER else 1
    )


def test_refusing_a_batch_costs_the_same_queries_for_1_and_2000_lines(django_assert_num_queries):
    items = bulk_items(MAX_BATCH_LINES)
    location = LocationFactory()
    # Every line is fine except the last, which takes more than the location holds.
    short = [LineInput(location_id=location.pk, sku=items[-1].sku, quantity=-1)]
    with CaptureQueriesContext(connection) as context, pytest.raises(AdjustmentRejected):
        apply(Kind.RELATIVE, short)
    one_line = len(context.captured_queries)
    lines = lines_for(Kind.RELATIVE, items[:-1], location, None) + short

    with django_assert_num_queries(one_line), pytest.raises(AdjustmentRejected) as excinfo:
        apply(Kind.RELATIVE, lines)

    assert [(e.index, e.code) for e in excinfo.value.errors] == [
        (MAX_BATCH_LINES - 1, ErrorCode.INSUFFICIENT_STOCK)
    ]
    assert (Balance.objects.count(), AdjustmentLine.objects.count()) == (0, 0)
