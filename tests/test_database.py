"""How Stockroom's connections to PostgreSQL are set up (inventory_project/settings.py)."""

import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_statements_are_never_jit_compiled():
    # A statement the planner overestimates (a range bounded by a subquery over a large
    # ledger) would otherwise spend longer being compiled than run.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit_above_cost = 0")  # JIT, were it on, for any statement
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) SELECT sum(n) FROM generate_series(1, 10) n")
        (plan,) = cursor.fetchone()

    assert "JIT" not in plan[0]
