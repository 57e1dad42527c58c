"""The SQL a captured query ran, through the prepared statements it executes by name."""

import re

from django.db import connection


def statement_texts(sql: str) -> list[str]:
    """The statements `sql` runs, in order: on PostgreSQL the texts of the prepared statements
    it executes (`EXECUTE name(…); …`, kept by PostgreSQL as `PREPARE name AS …`), elsewhere
    `sql` itself."""
    names = re.findall(r"EXECUTE (stockroom_[0-9a-f]+)", sql)
    if not names:
        return [sql]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, statement FROM pg_prepared_statements WHERE name = ANY(%s)", [names]
        )
        texts = dict(cursor.fetchall())
    return [texts[name] for name in names]
