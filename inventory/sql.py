"""Helpers for set-based SQL that runs on PostgreSQL and SQLite.

A whole batch travels as a handful of parameters: one array per column on PostgreSQL (`unnest`),
one JSON document on SQLite (`json_each`). So neither the number of statements nor the number of
parameters grows with the batch. (Django's bulk_create splits batches to fit SQLite's 999-parameter
limit, and thousands of `%s` placeholders cost more to convert than the database work itself.)
Either way the rows come out as a subquery with columns column1, column2, …
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


def rows_source(
    rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
) -> tuple[str, list[Any]]:
    """A `SELECT` yielding `rows` as columns column1…columnN, in order. Every column is a
    bigint unless `types` names its PostgreSQL type (boolean, text); None is NULL."""
    width = len(rows[0])
    types = types or ["bigint"] * width
    names = [f"column{n}" for n in range(1, width + 1)]
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{sql_type}[]" for sql_type in types)
        sql = f"SELECT * FROM unnest({arrays}) AS v({', '.join(names)})"
        return sql, [[row[n] for row in rows] for n in range(width)]
    columns = ", ".join(f"json_extract(value, '$[{n}]') AS {name}" for n, name in enumerate(names))
    return f"SELECT {columns} FROM json_each(%s)", [json.dumps(rows)]


def table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def db_datetime(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)
