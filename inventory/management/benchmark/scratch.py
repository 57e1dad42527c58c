"""A scratch PostgreSQL database for one benchmark run: created, migrated, used, dropped."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction


def database_url(settings_dict: dict) -> str:
    """A DATABASE_URL for the database `settings_dict` names, for a server process."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = quote(settings_dict.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "localhost"
    port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
    return f"postgres://{credentials}{host}{port}/{quote(settings_dict['NAME'], safe='')}"


def _switch_to(name: str) -> None:
    connection.close()
    connection.settings_dict["NAME"] = name
    settings.DATABASES["default"]["NAME"] = name


@contextmanager
def scratch_database() -> Iterator[str]:
    """Point the default connection at a new, migrated database; yields its URL. The database
    is dropped afterwards (WITH FORCE: a killed server process may still hold a connection)."""
    original = connection.settings_dict["NAME"]
    name = f"stockroom_benchmark_{os.getpid()}"
    with connection._nodb_cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    _switch_to(name)
    try:
        call_command("migrate", verbosity=0)
        yield database_url(connection.settings_dict)
    finally:
        _switch_to(original)
        with connection._nodb_cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def checkpoint() -> bool:
    """Write out what earlier sections left dirty (CHECKPOINT), so that the next measurement
    does not pay for it: the history section's million-line fill leaves nearly all the shared
    buffers dirty (README, Performance), and the next section's writes, which need fresh buffers for
    their ledger pages, would write them out one by one while pings, which read a few hot
    pages, would not. False when the database user may not checkpoint (it needs superuser or
    pg_checkpoint)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a refusal rolls back only this
            cursor.execute("CHECKPOINT")
    except DatabaseError:
        return False
    return True
