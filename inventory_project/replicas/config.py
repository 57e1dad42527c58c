"""`DATABASE_REPLICA_URL` as database aliases. Imported by settings.py: no models, no connections."""

from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

ALIAS_PREFIX = "replica_"


def replica_databases(urls: str, primary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`postgres://…,postgres://…` → {"replica_1": {…}, "replica_2": {…}}: each URL's server,
    name and credentials with the primary's engine options. In tests a replica reads the test
    database (MIRROR), so the test runner creates nothing on it."""
    databases = {}
    for number, url in enumerate(filter(None, (part.strip() for part in urls.split(","))), 1):
        replica = dj_database_url.parse(url)
        if replica["ENGINE"] != primary["ENGINE"] or primary["ENGINE"] != (
            "django.db.backends.postgresql"
        ):
            raise ImproperlyConfigured(
                "DATABASE_REPLICA_URL: replicas are PostgreSQL streaming replicas of a "
                f"PostgreSQL DATABASE_URL; got {replica['ENGINE']} for replica {number}."
            )
        replica.update(
            OPTIONS=dict(primary.get("OPTIONS", {})),
            CONN_MAX_AGE=primary.get("CONN_MAX_AGE", 0),
            CONN_HEALTH_CHECKS=primary.get("CONN_HEALTH_CHECKS", False),
            TEST={"MIRROR": "default"},
        )
        databases[f"{ALIAS_PREFIX}{number}"] = replica
    return databases
