"""`manage.py verify_ledger` and `find_ledger_discrepancies`: the ledger replayed against the
balances. Corruption is simulated with writes the app never makes (queryset updates of a quantity,
hand-made ledger rows); inserting ledger rows is allowed even on PostgreSQL."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from inventory.models import Adjustment, AdjustmentLine, Balance
from inventory.stock import LineInput, apply_adjustment
from inventory.stock.audit import Discrepancy, find_ledger_discrepancies
from tests.factories import ItemFactory, set_stock

pytestmark = pytest.mark.django_db


def run_verify() -> tuple[int, str, str]:
    """Run the command; return (exit status, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_ledger", stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def append_line(item, location, before: int, after: int) -> AdjustmentLine:
    """A ledger row written behind the service's back."""
    now = timezone.now()
    adjustment = Adjustment.objects.create(
        kind=Adjustment.Kind.RELATIVE, source=Adjustment.Source.SYSTEM, created_at=now
    )
    return AdjustmentLine.objects.create(
        adjustment=adjustment,
        item=item,
        location=location,
        quantity_before=before,
        quantity_after=after,
        delta=after - before,
        created_at=now,
    )


def relative(item, location, quantity: int) -> Adjustment:
    return apply_adjustment(
        kind=Adjustment.Kind.RELATIVE,
        source=Adjustment.Source.SYSTEM,
        lines=[LineInput(location_id=location.pk, item_id=item.pk, quantity=quantity)],
    )


def test_empty_database_is_ok():
    status, out, err = run_verify()

    assert (status, err) == (0, "")
    assert "Ledger OK: 0 balances and 0 ledger lines agree." in out


def test_clean_ledger_exits_zero_with_counts(item, location, other_location):
    set_stock(item, location, 10)
    relative(item, location, -3)
    apply_adjustment(
        kind=Adjustment.Kind.TRANSFER,
        source=Adjustment.Source.SYSTEM,
        lines=[
            LineInput(
                location_id=location.pk,
                to_location_id=other_location.pk,
                item_id=item.pk,
                quantity=2,
            )
        ],
    )
    set_stock(ItemFactory(), location, 0)

    status, out, err = run_verify()

    assert (status, err) == (0, "")
    assert "Ledger OK: 3 balances and 5 ledger lines agree." in out
    assert find_ledger_discrepancies() == []


def test_corrupted_balance_is_reported_with_sku_and_location(item, location):
    set_stock(item, location, 5)
    Balance.objects.filter(item=item, location=location).update(quantity=9)

    status, out, err = run_verify()

    assert status == 1
    assert out == ""
    assert f"{item.sku} @ {location.code}: balance is 9 but the ledger ends at 5" in err
    assert "1 discrepancies" in err


def test_broken_chain_is_reported(item, location):
    set_stock(item, location, 5)
    line = append_line(item, location, before=7, after=8)

    status, _, err = run_verify()

    assert status == 1
    assert (
        f"{item.sku} @ {location.code}: ledger line {line.pk} starts at 7"
        " but the previous line ended at 5"
    ) in err
    # The balance was not moved by the stray line either.
    assert "balance is 5 but the ledger ends at 8" in err


def test_a_chain_must_start_at_zero_and_have_a_balance(item, location):
    line = append_line(item, location, before=4, after=6)

    problems = [found.problem for found in find_ledger_discrepancies()]

    assert problems == [
        f"ledger line {line.pk}, the first, starts at 4 instead of 0",
        f"ledger ends at 6 (line {line.pk}) but there is no balance row",
    ]


def test_a_line_without_its_adjustment_is_reported(item, location):
    # The database does not check this key (it would cost every write a lock per line at
    # commit), so the ledger check does.
    set_stock(item, location, 5)
    now = timezone.now()
    stray = AdjustmentLine.objects.create(
        adjustment_id=10**9,
        item=item,
        location=location,
        quantity_before=5,
        quantity_after=5,
        delta=0,
        created_at=now,
    )

    problems = [found.problem for found in find_ledger_discrepancies()]

    assert problems == [f"ledger line {stray.pk} belongs to no adjustment"]


def test_balance_with_quantity_but_no_ledger_is_reported(item, location):
    Balance.objects.create(item=item, location=location, quantity=4)

    status, _, err = run_verify()

    assert status == 1
    assert f"{item.sku} @ {location.code}: balance is 4 but there is no ledger line" in err


def test_zero_balance_without_ledger_is_fine(item, location):
    # Settings-only rows (safety stock, bin) exist without any stock movement.
    Balance.objects.create(item=item, location=location, quantity=0, safety_stock=2)

    assert find_ledger_discrepancies() == []


def test_discrepancies_name_item_and_location_in_order(location, other_location):
    first, second = ItemFactory(sku="A-1"), ItemFactory(sku="B-1")
    set_stock(first, location, 1)
    set_stock(second, other_location, 2)
    Balance.objects.update(quantity=0)

    found = find_ledger_discrepancies()

    assert found == [
        Discrepancy(first.pk, location.pk, "A-1", location.code, found[0].problem),
        Discrepancy(second.pk, other_location.pk, "B-1", other_location.code, found[1].problem),
    ]


def test_one_query_whatever_the_ledger_size(item, location, django_assert_num_queries):
    # Set-based: lines are replayed in the database, never loaded into Python.
    set_stock(item, location, 5)
    for _ in range(20):
        relative(item, location, 1)

    with django_assert_num_queries(1):
        assert find_ledger_discrepancies() == []
