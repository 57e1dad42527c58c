"""sql.prepared: the write path's statements are prepared once per PostgreSQL connection and
executed by name after that; elsewhere they run as they are."""

import pytest
from django.db import connection, transaction

from inventory.sql import prepared

STATEMENT = "SELECT %s::bigint + 1"


def run(statement: str, *params):
    with connection.cursor() as cursor:
        cursor.execute(statement, list(params))
        return cursor.fetchone()[0]


def prepared_count(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name = %s", [name])
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_on_sqlite_a_statement_runs_as_it_is():
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    assert prepared(STATEMENT) == STATEMENT


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_statement_is_prepared_once_and_executed_by_name():
    first = prepared(STATEMENT)
    second = prepared(STATEMENT)  # preparing it again would fail: the name is taken

    assert first == second
    assert first.startswith("EXECUTE stockroom_")
    name = first.split()[1].split("(")[0]
    assert prepared_count(name) == 1
    assert run(first, 41) == 42
    assert prepared("SELECT %s::bigint + 2") != first  # another text, another statement


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_rollback_keeps_the_statement_and_a_new_connection_prepares_it_again():
    with transaction.atomic():
        statement = prepared("SELECT %s::bigint * 2")
        transaction.set_rollback(True)
    assert run(statement, 21) == 42  # PREPARE is not undone by the rollback

    connection.close()
    assert run(prepared("SELECT %s::bigint * 2"), 4) == 8  # a new session, prepared anew


@pytest.mark.postgres
def test_a_literal_percent_is_refused():
    with pytest.raises(ValueError, match="literal %"):
        prepared("SELECT 5 %% 3")
