"""A real server process for benchmarks and fault tests: gunicorn serving the project against a
given database, the way production runs it (DEBUG off, several workers)."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from django.conf import settings

READY_TIMEOUT_SECONDS = 30


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(*, database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Production settings over plain HTTP on loopback, without the rate limit (a benchmark or
    a fault test would trip it; it is tested on its own)."""
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_DEBUG": "0",
        # The key this process signs with, so admin sessions it creates are valid there.
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "API_RATE_LIMIT_REQUESTS": str(10**9),
        **(extra or {}),
    }


def start_server(
    *,
    database_url: str,
    port: int,
    workers: int = 2,
    threads: int = 1,
    env: dict[str, str] | None = None,
    log_path: Path | None = None,
) -> subprocess.Popen:
    """Start gunicorn in its own process group (so one signal reaches master and workers)."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "inventory_project.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--timeout",
        "120",
        # Each instance would otherwise share one control socket path with every other.
        "--no-control-socket",
    ]
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    try:
        return subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=server_environment(database_url=database_url, extra=env),
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    finally:
        if log_path:
            log.close()


def wait_until_ready(base_url: str, process: subprocess.Popen) -> None:
    """Until the server answers any HTTP status on the API (a 401 without a token is fine)."""
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            urllib.request.urlopen(f"{base_url}/api/v3/ping", timeout=2)
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the server at {base_url} did not answer in {READY_TIMEOUT_SECONDS} s")


def kill_server(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the whole process group (gunicorn's master and its workers) and reap it."""
    with suppress(ProcessLookupError):  # already gone
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@contextmanager
def serve(*, database_url: str, workers: int = 2, threads: int = 1, **options) -> Iterator[str]:
    """Serve the project against `database_url`; yields the base URL."""
    port = free_port()
    process = start_server(
        database_url=database_url, port=port, workers=workers, threads=threads, **options
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield base_url
    finally:
        kill_server(process)
