"""Helpers for set-based SQL that runs unchanged on PostgreSQL and SQLite.

A whole batch travels as one `VALUES` list, so a statement's count never depends on the number of
lines. (Django's bulk_create splits batches to fit SQLite's conservative 999-parameter limit; a
2000-line batch would then cost a statement per ~100 lines.) Both databases name the columns of a
VALUES list column1, column2, …
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


def values_list(rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
    """`VALUES (%s, %s), (%s, %s)` and its flat parameters, for rows of equal width."""
    width = len(rows[0])
    row_sql = "(" + ", ".join(["%s"] * width) + ")"
    return "VALUES " + ", ".join([row_sql] * len(rows)), [value for row in rows for value in row]


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def db_datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
