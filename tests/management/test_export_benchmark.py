"""The export benchmark section: its set-based stock fill writes what the write path would have
(the ledger replays cleanly against the balances, each location's history has one line per
balance), and a quick run measures both exports at both scales. The figures themselves are
not asserted: speed and memory are reported by `manage.py benchmark`, never timed in tests."""

import pytest

from inventory.management.benchmark import export
from inventory.management.benchmark.context import Context
from inventory.management.benchmark.export_fill import SKU_PREFIX, fill_export_stock
from inventory.models import AdjustmentLine, Balance, Item
from inventory.stock.audit import find_ledger_discrepancies

pytestmark = pytest.mark.postgres


@pytest.mark.django_db
def test_fill_writes_consistent_stock_for_both_locations():
    small, large = fill_export_stock(small=300, large=4_500)

    assert Item.objects.filter(sku__startswith=SKU_PREFIX).count() == 4_500
    assert Balance.objects.filter(location=small).count() == 300
    assert Balance.objects.filter(location=large).count() == 4_500
    assert AdjustmentLine.objects.filter(location=small).count() == 300
    assert AdjustmentLine.objects.filter(location=large).count() == 4_500
    assert find_ledger_discrepancies() == []
    # Settings vary, and available to sell goes below zero somewhere (safety > on hand).
    assert Balance.objects.filter(location=large, is_in_stock=False).exists()
    assert Balance.objects.filter(location=large, quantity__lt=6, safety_stock=6).exists()
    assert fill_export_stock(small=300, large=4_500) == (small, large)  # once per database
    assert Balance.objects.filter(location=large).count() == 4_500


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_export_section_runs(monkeypatch):
    monkeypatch.setattr(export, "QUICK_SCALES", (200, 3_000))
    context = Context(database_url="", base_url="", token="", admin_cookie="", repeat=1, quick=True)

    rows = export.run(context)

    assert [row.measure for row in rows] == [
        "balances CSV of one location, 3,000 rows: peak Python memory",
        "balances CSV of one location, 3,000 rows: throughput",
        "history CSV of one location, 3,000 rows: peak Python memory",
        "history CSV of one location, 3,000 rows: throughput",
    ]
    assert all(row.value > 0 and row.floor > 0 for row in rows)
    assert [row.target for row in rows] == ["<= 1.5", ">= 0.5", "<= 1.5", ">= 0.5"]
