"""Two server processes on one database share one rate-limit quota with the default settings
(no Redis): a client cannot get the quota once per process by spreading its requests.

On PostgreSQL the servers use the test database; on SQLite a database file of their own,
migrated and given an API client by `manage.py` (the test database lives in this process's
memory, out of their reach)."""

import os
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import ExitStack

import pytest
from django.conf import settings
from django.db import connection

from inventory.api_clients import issue_token
from inventory.management.benchmark.scratch import database_url
from inventory.management.benchmark.server import serve
from inventory.models import ApiClient

# Transactional: on PostgreSQL the servers must see the client this process creates.
pytestmark = pytest.mark.django_db(transaction=True)

QUOTA = 20
# One long window, so that the requests never straddle two of them.
SERVER_ENV = {"API_RATE_LIMIT_REQUESTS": str(QUOTA), "API_RATE_LIMIT_WINDOW_SECONDS": "3600"}


def _status(url: str, token: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"X-Auth-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers["X-Rate-Limit-Requests-Left"]
    except urllib.error.HTTPError as error:
        return error.code, error.headers["X-Rate-Limit-Requests-Left"]


def _manage(url: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout


@pytest.fixture
def database_and_token(tmp_path) -> tuple[str, str]:
    if connection.vendor == "postgresql":
        client = ApiClient(name="spreader", scopes=[])
        token = issue_token(client)
        client.save()
        return database_url(connection.settings_dict), token
    url = f"sqlite:///{tmp_path / 'servers.sqlite3'}"
    _manage(url, "migrate", "--verbosity", "0")
    token = _manage(url, "create_api_client", "spreader", "--scope", "store_inventory_read_only")
    return url, token.strip().splitlines()[-1]


def test_two_server_processes_share_one_quota(database_and_token, tmp_path):
    url, token = database_and_token
    with ExitStack() as stack:
        servers = [
            stack.enter_context(
                serve(
                    database_url=url,
                    workers=1,
                    env=SERVER_ENV,
                    log_path=tmp_path / f"server{n}.log",
                )
            )
            for n in range(2)
        ]
        # Alternate between the two processes: each sees every other request.
        answers = [_status(f"{servers[n % 2]}/api/v3/ping", token) for n in range(QUOTA)]
        beyond = [_status(f"{server}/api/v3/ping", token) for server in servers]

    assert [status for status, _ in answers] == [200] * QUOTA
    assert [left for _, left in answers] == [str(QUOTA - n) for n in range(1, QUOTA + 1)]
    assert [status for status, _ in beyond] == [429, 429]
    for n in range(2):
        assert "Traceback" not in (tmp_path / f"server{n}.log").read_text()
