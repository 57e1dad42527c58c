"""`manage.py benchmark`: refuses SQLite; on PostgreSQL a quick run measures every figure of the
batch and contention sections against its floor and loses no update. (The figures themselves
are not asserted: speed is reported by the command, never timed in tests.)"""

import json
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection


@pytest.mark.django_db
def test_on_sqlite_it_says_it_needs_postgresql():
    if connection.vendor == "postgresql":
        pytest.skip("runs on SQLite only")
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("benchmark", "--quick")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_quick_run_reports_ratios_and_drops_its_scratch_database():
    output = StringIO()
    call_command(
        "benchmark",
        "--quick",
        "--json",
        "--section",
        "batch",
        "--section",
        "contention",
        "--section",
        "flash",
        stdout=output,
        stderr=StringIO(),
    )

    report = json.loads(output.getvalue())
    rows = {(row["section"], row["measure"]): row for row in report["rows"]}
    batch = [row for (section, _), row in rows.items() if section == "batch"]
    assert len(batch) == 3
    assert all(row["value"] > 0 and row["floor"] > 0 and row["ratio"] > 0 for row in batch)
    contention = next(row for (_, measure), row in rows.items() if measure.startswith("relative"))
    assert contention["value"] > 0
    assert contention["floor"] > 0
    assert contention["note"] == "errors: none"
    lost = next(row for (_, measure), row in rows.items() if measure.startswith("lost updates"))
    assert lost["value"] == 0
    sale = next(row for (section, _), row in rows.items() if section == "flash sale")
    assert sale["value"] > 0
    assert sale["floor"] > 0
    oversold = next(row for (_, measure), row in rows.items() if measure.startswith("sold ≠"))
    assert oversold["value"] == 0, oversold["note"]
    assert report["machine"]["postgresql"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_database WHERE datname = %s",
            [f"stockroom_benchmark_{os.getpid()}"],
        )
        assert cursor.fetchone()[0] == 0
