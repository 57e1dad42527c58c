"""Fixtures for tests that run the project as a real gunicorn server against the test database.

The server is another process, so these tests are transactional (their rows are committed and
visible to it) and must stop the server before the test ends: pytest-django then flushes the
tables, which a server holding connections or locks could block."""

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection

from inventory.api_clients import issue_token
from inventory.management.benchmark.scratch import database_url
from inventory.management.benchmark.server import (
    free_port,
    kill_server,
    start_server,
    wait_until_ready,
)
from inventory.models import ApiClient


@pytest.fixture
def api_token(transactional_db) -> str:
    """A token allowed to read and change stock at every location."""
    client = ApiClient(name="reliability", scopes=[ApiClient.Scope.INVENTORY])
    token = issue_token(client)
    client.save()
    return token


@pytest.fixture
def test_database_url(transactional_db) -> str:
    """pytest-django's test database (test_<name>), as a DATABASE_URL for the server."""
    return database_url(connection.settings_dict)


@pytest.fixture
def server_log(tmp_path):
    return tmp_path / "server.log"


class Gunicorn:
    """One gunicorn server at a time, restartable (on a new port) after it was killed."""

    def __init__(self, database_url: str, log_path: Path):
        self.database_url = database_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def start(
        self,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
        database_url: str | None = None,
    ) -> str:
        """Start and wait until it answers; returns the base URL. `database_url` overrides the
        test database's (to go through a proxy)."""
        assert self.process is None, "already running"
        port = free_port()
        self.process = start_server(
            database_url=database_url or self.database_url,
            port=port,
            workers=workers,
            env=env,
            log_path=self.log_path,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        wait_until_ready(self.base_url, self.process)
        return self.base_url

    def kill(self, sig: int = signal.SIGTERM) -> None:
        """Signal master and workers together (SIGKILL: a crash, nothing cleans up)."""
        if self.process is not None:
            kill_server(self.process, sig)
            self.process = None


@pytest.fixture
def gunicorn(test_database_url, server_log) -> Iterator[Gunicorn]:
    """Depends on the database fixtures, so it is stopped before pytest-django flushes."""
    server = Gunicorn(test_database_url, server_log)
    yield server
    server.kill()
