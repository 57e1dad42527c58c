"""stock.rules: each rule's SQL form (the fast path's) says what its Python form (the full
path's) says, evaluated by the database over a grid of values around each rule's edges."""

import itertools

import pytest
from django.db import connection

from inventory.models import MAX_QUANTITY, Adjustment, Balance
from inventory.models.stock import StockLevel, stock_level, stock_level_sql
from inventory.sql import rows_source
from inventory.stock import rules
from inventory.stock.types import Effect, Op
from tests.factories import ItemFactory, LocationFactory

Kind = Adjustment.Kind
QUANTITIES = [-6, -5, -1, 0, 1, 4, 5, 6, 10]
LEVELS = [0, 1, 5, 10]


def holds(sql: str, columns: dict[str, str], rows: list[tuple]) -> list[bool | None]:
    """`sql` evaluated by the database on each row (named `columns`, of their SQL types)."""
    source, params = rows_source(
        [(n, *row) for n, row in enumerate(rows)], types=["bigint", *columns.values()]
    )
    named = ", ".join(f"column{n + 2} AS {name}" for n, name in enumerate(columns))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {sql} FROM (SELECT column1 AS n, {named} FROM ({source}) AS s) AS change"
            " ORDER BY n",
            params,
        )
        return [None if value is None else bool(value) for (value,) in cursor.fetchall()]


@pytest.mark.django_db
def test_a_stock_level_is_the_same_in_python_and_in_sql():
    rows = list(itertools.product(QUANTITIES, LEVELS))
    sql = stock_level_sql("quantity", "warning_level")
    with connection.cursor() as cursor:
        source, params = rows_source(rows)
        cursor.execute(
            f"SELECT {sql} FROM (SELECT column1 AS quantity, column2 AS warning_level"
            f" FROM ({source}) AS s) AS t",
            params,
        )
        in_sql = [StockLevel(value) for (value,) in cursor.fetchall()]

    assert in_sql == [stock_level(quantity, level) for quantity, level in rows]
    assert set(in_sql) == set(StockLevel)  # the grid reaches every level


@pytest.mark.django_db
def test_a_balances_own_level_and_shortfall_follow_the_same_rule():
    rows = list(itertools.product(QUANTITIES, LEVELS))
    location = LocationFactory()
    balances = Balance.objects.bulk_create(
        Balance(item=ItemFactory(), location=location, quantity=quantity, warning_level=level)
        for quantity, level in rows
    )

    kept = Balance.objects.filter(pk__in=[b.pk for b in balances]).order_by("pk")
    levels = [(b.stock_level, b.shortfall) for b in kept]

    expected = []
    for quantity, warning_level in rows:
        level = stock_level(quantity, warning_level)
        shortfall = {
            StockLevel.OK: None,
            StockLevel.LOW: quantity - warning_level,
            StockLevel.OUT: quantity,
        }[level]
        expected.append((level, shortfall))
    assert levels == expected


@pytest.mark.django_db
def test_a_kept_alert_level_is_the_same_in_python_and_in_sql():
    rows = list(itertools.product(QUANTITIES, QUANTITIES, LEVELS))
    in_sql = holds(
        rules.LEVEL_KEPT_SQL,
        {"before": "bigint", "after": "bigint", "warning_level": "bigint"},
        rows,
    )

    expected = [stock_level(b, w) == stock_level(a, w) for b, a, w in rows]
    assert in_sql == expected
    assert set(expected) == {True, False}


@pytest.mark.django_db
def test_staleness_is_the_same_in_python_and_in_sql():
    rows = list(itertools.product([None, 0, 4, 5], [0, 5]))
    in_sql = holds(rules.NOT_STALE_SQL, {"expected": "bigint", "before": "bigint"}, rows)

    assert in_sql == [not rules.is_stale(expected, before) for expected, before in rows]


@pytest.mark.django_db
def test_setting_below_zero_is_the_same_in_python_and_in_sql():
    rows = [(amount,) for amount in QUANTITIES]
    in_sql = holds(rules.SETS_NOT_BELOW_ZERO_SQL, {"amount": "bigint"}, rows)

    assert in_sql == [not rules.sets_below_zero(Kind.ABSOLUTE, amount) for (amount,) in rows]
    assert not rules.sets_below_zero(Kind.RELATIVE, -1)  # a relative line may subtract


@pytest.mark.django_db
def test_the_range_is_the_same_in_python_and_in_sql():
    rows = [
        (value,) for value in (-MAX_QUANTITY - 1, -MAX_QUANTITY, 0, MAX_QUANTITY, MAX_QUANTITY + 1)
    ]
    in_sql = holds(rules.in_range_sql("after"), {"after": "bigint"}, rows)

    assert in_sql == [not rules.out_of_range(value) for (value,) in rows]
    assert in_sql == [False, True, True, True, False]


@pytest.mark.django_db
def test_the_range_of_a_change_is_the_same_in_python_and_in_sql():
    ends = (-MAX_QUANTITY, -1, 0, 6, MAX_QUANTITY)
    rows = list(itertools.product(ends, ends))
    in_sql = holds(rules.CHANGE_IN_RANGE_SQL, {"before": "bigint", "after": "bigint"}, rows)

    assert in_sql == [not rules.change_out_of_range(before, after) for before, after in rows]
    assert set(in_sql) == {True, False}


@pytest.mark.postgres
@pytest.mark.django_db
def test_insufficient_stock_is_the_same_in_python_and_in_sql():
    rows = [
        (before, amount, before + amount, safety_stock, allow_negative)
        for before, amount, safety_stock, allow_negative in itertools.product(
            QUANTITIES, QUANTITIES, [-1, 0, 3], [False, True]
        )
    ]
    in_sql = holds(
        rules.ENOUGH_STOCK_SQL,
        {
            "before": "bigint",
            "amount": "bigint",
            "after": "bigint",
            "safety_stock": "bigint",
            "allow_negative_stock": "boolean",
        },
        rows,
    )

    def in_python(before, amount, after, safety_stock, allow_negative):
        effect = Effect(0, (1, 1), Op.ADD, amount, "sku", "A", None, allow_negative)
        return not rules.takes_too_much(effect, after, safety_stock)

    expected = [in_python(*row) for row in rows]
    assert in_sql == expected
    assert set(expected) == {True, False}
