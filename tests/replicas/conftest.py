"""A real streaming replica of the test database, for tests marked `replica`.

Started once per session AFTER pytest-django has created the test database on the primary
(`pg_basebackup -R -X stream` copies it, and physical replication carries every later
change), on a free port, as the `replica_1` database alias; stopped and deleted at the end.
Skipped, with the reason, on SQLite or where Debian's PostgreSQL server tools are missing."""

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

from inventory_project.replicas import health

ALIAS = "replica_1"
REPLICATION_RULE = "host replication all 127.0.0.1/32 trust"
MIDDLEWARE = "inventory_project.replicas.middleware.ReplicaReadsMiddleware"


@dataclass
class Replica:
    port: int
    data_dir: Path
    log: Path
    pg_ctl: Path
    dsn: str
    primary_dsn: str

    def sql(self, statement: str, params=()):
        with psycopg.connect(self.dsn, autocommit=True) as db:
            return db.execute(statement, params).fetchone()

    def primary_sql(self, statement: str, params=()):
        with psycopg.connect(self.primary_dsn, autocommit=True) as db:
            return db.execute(statement, params).fetchone()

    def wait_until_caught_up(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        (target,) = self.primary_sql("SELECT pg_current_wal_insert_lsn()::text")
        deadline = time.monotonic() + timeout
        while not self.sql("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])[0]:
            if time.monotonic() > deadline:
                raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.05)

    def pause(self) -> None:
        self.sql("SELECT pg_wal_replay_pause()")

    def resume(self) -> None:
        self.sql("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        _as_postgres([self.pg_ctl, "-D", self.data_dir, "-m", "immediate", "-w", "stop"])

    def start(self) -> None:
        options = f"-p {self.port} -k {tempfile.gettempdir()} -c hot_standby=on"
        try:
            _as_postgres(
                [self.pg_ctl, "-D", self.data_dir, "-o", options, "-l", self.log, "-w", "start"]
            )
        except RuntimeError as error:
            log = self.log.read_text() if self.log.exists() else "(no log)"
            raise RuntimeError(f"{error}\nThe replica's log:\n{log[-3000:]}") from None

    def is_running(self) -> bool:
        status = subprocess.run(
            _postgres_command([self.pg_ctl, "-D", self.data_dir, "status"]),
            capture_output=True,
            check=False,
        )
        return status.returncode == 0


def _postgres_command(command: list) -> list[str]:
    command = [str(part) for part in command]
    # The server refuses to run as root; its files must belong to the user running it.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _as_postgres(command: list) -> None:
    done = subprocess.run(
        _postgres_command(command), capture_output=True, text=True, timeout=120, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(done.args)} failed:\n{done.stderr}{done.stdout}")


def _server_tools(major: int) -> tuple[Path, Path] | str:
    """pg_basebackup and pg_ctl of the primary's major version, or why there are none."""
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "runuser is missing (needed to run the replica as the postgres user)"
    found = []
    for tool in ("pg_basebackup", "pg_ctl"):
        debian = Path(f"/usr/lib/postgresql/{major}/bin/{tool}")
        path = debian if debian.exists() else shutil.which(tool)
        if path is None:
            return f"{tool} is missing (install postgresql-{major})"
        found.append(Path(path))
    return found[0], found[1]


# A hot standby refuses to start with any of these below the primary's.
AT_LEAST_THE_PRIMARYS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _write_own_config(data_dir: Path, primary_settings: dict[str, str]) -> None:
    """Debian keeps a cluster's configuration in /etc/postgresql, outside the data directory
    that pg_basebackup copies: the replica gets its own, local connections only, trusted."""
    settings = {"listen_addresses": "'127.0.0.1'", "hot_standby": "on", **primary_settings}
    files = {
        "postgresql.conf": "".join(f"{name} = {value}\n" for name, value in settings.items()),
        "pg_hba.conf": "local all all trust\nhost all all 127.0.0.1/32 trust\n",
        "pg_ident.conf": "",
    }
    for name, text in files.items():
        (data_dir / name).write_text(text)
        if os.geteuid() == 0:
            shutil.chown(data_dir / name, "postgres", "postgres")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _allow_replication_connections(cursor) -> None:
    """Replication connections from this machine, without a password, if the primary's
    pg_hba.conf does not allow them yet (Debian's default asks for one)."""
    cursor.execute("SHOW hba_file")
    hba = Path(cursor.fetchone()[0])
    lines = hba.read_text().splitlines()
    if REPLICATION_RULE in (line.strip() for line in lines):
        return
    # First: pg_hba.conf rules are tried in order, and the first that matches decides.
    hba.write_text("\n".join([REPLICATION_RULE, *lines]) + "\n")
    cursor.execute("SELECT pg_reload_conf()")


def _dsn(settings_dict: dict, **overrides) -> str:
    values = {
        "host": settings_dict["HOST"] or "127.0.0.1",
        "port": settings_dict["PORT"] or 5432,
        "user": settings_dict["USER"] or "postgres",
        "dbname": settings_dict["NAME"],
        **overrides,
    }
    return " ".join(f"{key}={value}" for key, value in values.items())


@pytest.fixture(scope="session")
def streaming_replica(django_db_setup, django_db_blocker):
    primary = connections[DEFAULT_DB_ALIAS]
    if primary.vendor != "postgresql":
        pytest.skip("a streaming replica needs PostgreSQL: set DATABASE_URL to a PostgreSQL URL")
    with django_db_blocker.unblock(), primary.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000
        tools = _server_tools(major)
        if isinstance(tools, str):
            pytest.skip(f"no streaming replica: {tools}")
        try:
            _allow_replication_connections(cursor)
        except OSError as error:
            pytest.skip(f"no streaming replica: cannot allow replication in pg_hba.conf ({error})")
        cursor.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
            [list(AT_LEAST_THE_PRIMARYS)],
        )
        primary_settings = dict(cursor.fetchall())
    pg_basebackup, pg_ctl = tools
    settings_dict = primary.settings_dict
    # Not under pytest's own temporary folder: the postgres user must reach it.
    base = Path(tempfile.mkdtemp(prefix="stockroom-replica-"))
    replica = None
    try:
        replica = _base_backup(base, settings_dict, pg_basebackup, pg_ctl, primary_settings)
        replica.start()
        replica.wait_until_caught_up()
        # The alias, as settings.py would make it from DATABASE_REPLICA_URL: the test
        # database's name on the replica's server; a mirror, so no test flushes it.
        connections.settings[ALIAS] = {
            **settings_dict,
            "HOST": "127.0.0.1",
            "PORT": replica.port,
            "TEST": {**settings_dict["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
        }
        yield replica
    finally:
        with contextlib.suppress(Exception):
            connections[ALIAS].close()
        connections.settings.pop(ALIAS, None)
        with contextlib.suppress(AttributeError):
            delattr(connections._connections, ALIAS)
        if replica is not None and replica.is_running():
            with contextlib.suppress(RuntimeError):
                replica.stop()
        shutil.rmtree(base, ignore_errors=True)


def _base_backup(base: Path, settings_dict, pg_basebackup, pg_ctl, primary_settings) -> Replica:
    data_dir, log = base / "data", base / "replica.log"
    data_dir.mkdir(mode=0o700)
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
        shutil.chown(data_dir, "postgres", "postgres")
    _as_postgres(
        [
            pg_basebackup,
            *("-h", settings_dict["HOST"] or "127.0.0.1", "-p", settings_dict["PORT"] or 5432),
            *("-U", settings_dict["USER"] or "postgres", "-D", data_dir),
            *("-R", "-X", "stream", "-c", "fast"),
        ]
    )
    _write_own_config(data_dir, primary_settings)
    port = _free_port()
    return Replica(
        port=port,
        data_dir=data_dir,
        log=log,
        pg_ctl=pg_ctl,
        dsn=_dsn(settings_dict, host="127.0.0.1", port=port),
        primary_dsn=_dsn(settings_dict),
    )


@pytest.fixture
def replica(streaming_replica, settings):
    """Replicas on for this test, as DATABASE_REPLICA_URL turns them on; replay running and
    the replica up again afterwards."""
    settings.DATABASE_REPLICAS = [ALIAS]
    settings.DATABASE_ROUTERS = ["inventory_project.replicas.router.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(
        middleware.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        MIDDLEWARE,
    )
    settings.MIDDLEWARE = middleware
    health.forget_down_marks()
    cache.clear()
    yield streaming_replica
    connections[ALIAS].close()
    if not streaming_replica.is_running():
        streaming_replica.start()
    streaming_replica.resume()
    health.forget_down_marks()
    cache.clear()
