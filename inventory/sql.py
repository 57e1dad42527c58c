"""Helpers for set-based SQL that runs on PostgreSQL and SQLite.

A whole batch travels as ONE parameter, a JSON document, so neither the number of statements nor
the number of parameters grows with the batch. (Django's bulk_create splits batches to fit
SQLite's 999-parameter limit; thousands of `%s` placeholders cost more to convert than the
database work itself; and psycopg's client-side binding quotes a Python list element by element,
while one JSON string is escaped in one go.) The rows come out as a subquery with columns
column1, column2, … of the given types.
"""

import functools
import hashlib
import json
import weakref
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import IntegerField, QuerySet, Subquery
from django.db.models.expressions import RawSQL

SQL_TYPES = frozenset({"bigint", "boolean", "text", "uuid"})


@functools.cache
def on_postgresql() -> bool:
    """Whether the database is PostgreSQL. Read once: the database does not change under a
    running process, and every read of `connection.vendor` goes through Django's per-thread
    connection proxy (dozens of them in a one-line write cost it more than its JSON)."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def rows_source(
    rows: Sequence[Sequence[Any]], types: Sequence[str] | None = None
) -> tuple[str, list[Any]]:
    """A `SELECT` yielding `rows` as columns column1…columnN, in order, and its one parameter.
    Every column is a bigint unless `types` names its PostgreSQL type; None is NULL.

    On PostgreSQL the `LIMIT` tells the planner about how many rows there are, which it cannot
    see inside the JSON (it assumes 100): for the many one-line writes it then probes the
    balance and item indexes instead of hashing the document and scanning the whole table. It
    is the row count rounded up to a power of two, so that a prepared statement (`prepared`)
    is planned for batches of its size: at most a dozen texts per statement, each of whose
    plans suits every batch it serves (a 2000-line batch's plan would scan tables for a
    one-line write; a one-line write's would probe indexes 2000 times one by one).

    The document is `jsonb`: parsed once, its elements' columns are then read without parsing
    them again (a `json` document is parsed anew by each `->>`)."""
    types = types or ["bigint"] * len(rows[0])
    if unknown := set(types) - SQL_TYPES:
        raise ValueError(f"unsupported column types: {sorted(unknown)}")
    document = json.dumps(rows, separators=(",", ":"))
    if on_postgresql():
        columns = ", ".join(
            f"(e.value->>{n})::{sql_type} AS column{n + 1}" for n, sql_type in enumerate(types)
        )
        limit = 1 << (len(rows) - 1).bit_length()
        return (
            f"SELECT {columns} FROM jsonb_array_elements(%s::jsonb) AS e(value) LIMIT {limit}",
            [document],
        )
    columns = ", ".join(
        f"json_extract(value, '$[{n}]') AS column{n + 1}" for n in range(len(types))
    )
    return f"SELECT {columns} FROM json_each(%s)", [document]


def values_subquery(values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
    """`values` as a one-column `SELECT`, for `column IN (…)`, and its one parameter."""
    if sql_type not in SQL_TYPES:
        raise ValueError(f"unsupported type: {sql_type}")
    document = json.dumps(list(values), separators=(",", ":"))
    if on_postgresql():
        return f"SELECT json_array_elements_text(%s::json)::{sql_type}", [document]
    return "SELECT value FROM json_each(%s)", [document]


def in_values(column: str, values: Sequence[Any], sql_type: str) -> tuple[str, list[Any]]:
    """`column` is one of `values`, as a condition and its one parameter.

    On PostgreSQL the values travel as one array parameter, `= ANY(%s::type[])`. Django binds
    parameters client-side, so the array reaches the planner as a constant: it knows how many
    values there are, probes the column's index for a few, and for many scans with a hashed
    lookup. `= ANY(ARRAY(SELECT … FROM jsonb…))` hides the count behind a sub-plan: without
    fresh statistics the planner then scans the table comparing each row with every value, one
    by one."""
    if sql_type not in SQL_TYPES:
        raise ValueError(f"unsupported type: {sql_type}")
    if on_postgresql():
        return f"{column} = ANY(%s::{sql_type}[])", [list(values)]
    subquery, params = values_subquery(values, sql_type)
    return f"{column} IN ({subquery})", params


def values_source(values: Sequence[Any], sql_type: str) -> RawSQL:
    """`values` as a one-column subquery, for `field__in=values_source(...)`."""
    return RawSQL(*values_subquery(values, sql_type))


def typed_param(sql_type: str) -> str:
    """A placeholder whose type PostgreSQL cannot infer where it stands (a SELECT list) when the
    statement is prepared; SQLite takes the plain placeholder."""
    return f"%s::{sql_type}" if on_postgresql() else "%s"


@functools.cache
def table(model: Any) -> str:
    return connections[DEFAULT_DB_ALIAS].ops.quote_name(model._meta.db_table)


def db_datetime(value: datetime) -> Any:
    if on_postgresql():
        return value  # psycopg adapts datetimes itself
    return connections[DEFAULT_DB_ALIAS].ops.adapt_datetimefield_value(value)


# The statements prepared on each open PostgreSQL connection, by the connection.
_prepared_on: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def prepared(statement: str) -> str:
    """`statement` as the SQL to execute with the same parameters: on PostgreSQL an `EXECUTE`
    of that statement, prepared once per connection; elsewhere the statement itself.

    For the many one-line writes, parsing and planning the write path's CTEs over JSON cost
    PostgreSQL more CPU than running them. A prepared
    statement is parsed once and, after a few runs, planned once: PostgreSQL then keeps a
    generic plan, as good as a fresh one when the text already tells the batch's size.

    The text must vary little with the data (`rows_source` rounds batch sizes to powers of two),
    as each variant is prepared and kept on the connection. Prepared statements belong to
    the session, not the transaction: a rollback keeps them, so they are tracked per connection.
    """
    if not on_postgresql():
        return statement
    name, body, arity = _prepared_form(statement)
    database = connections[DEFAULT_DB_ALIAS]
    database.ensure_connection()
    session = database.connection
    names = _prepared_on.setdefault(session, set())
    if name not in names:
        # On the raw connection: a once-per-connection setup step, like Django's own session
        # settings, not a query of the request (so query counts stay the same however warm
        # the connection is).
        session.execute(f"PREPARE {name} AS {body}")
        names.add(name)
    return f"EXECUTE {name}({', '.join(['%s'] * arity)})" if arity else f"EXECUTE {name}"


@functools.lru_cache(maxsize=64)
def _prepared_form(statement: str) -> tuple[str, str, int]:
    """The statement's name (from a hash of its text, so two texts never share a name), its
    body with $1…$n placeholders, and n."""
    if "%%" in statement:
        raise ValueError("a prepared statement cannot contain a literal %")
    pieces = statement.split("%s")
    body = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], 1))
    name = "stockroom_" + hashlib.blake2s(statement.encode(), digest_size=8).hexdigest()
    return name, body, len(pieces) - 1


COUNT_CAP = 10_000


def capped_count(rows: QuerySet, cap: int = COUNT_CAP) -> int:
    """How many `rows`, counting no further than `cap` + 1: on a list that grows with the
    business, an exact count past ten thousand costs more than the page around it, and tells a
    reader nothing a filter would not. Unordered: which rows are counted does not matter, and an
    ordering could make the database walk an index it does not need."""
    return rows.order_by()[: cap + 1].count()


class CappedCount(Subquery):
    """`capped_count` of `rows` as a subquery: a capped count for each row of an outer query
    (each location, say, with `rows` filtered by an OuterRef), all in the outer query's one
    statement."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"
    output_field = IntegerField()

    def __init__(self, rows: QuerySet, cap: int = COUNT_CAP) -> None:
        super().__init__(rows.order_by().values("pk")[: cap + 1])
