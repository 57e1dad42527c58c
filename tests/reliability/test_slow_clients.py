"""The README's own gunicorn command keeps answering while slow clients dribble their request
headers a byte at a time (a "slowloris"): each such socket holds a gunicorn thread until its
headers are complete, so the command must leave threads over for everyone else. (Serving on the
internet goes behind nginx, which buffers whole requests first: README, Production.)

Only loopback addresses; every loop is bounded in count and time."""

import os
import re
import shlex
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from inventory.management.benchmark.server import (
    free_port,
    kill_server,
    server_environment,
    wait_until_ready,
)

SLOW_CLIENTS = 4
PINGS = 4
PING_TIMEOUT_SECONDS = 5
README = Path(settings.BASE_DIR) / "README.md"


def readme_command(port: int) -> list[str]:
    """The README's gunicorn line, on this machine's core count and a loopback port."""
    line = next(
        line.strip()
        for line in README.read_text().splitlines()
        if line.strip().startswith("gunicorn inventory_project.wsgi")
    )
    line = line.split("#")[0].replace('"$(nproc)"', str(os.cpu_count()))
    line = re.sub(r"--bind \S+", f"--bind 127.0.0.1:{port}", line)
    return [sys.executable, "-m", *shlex.split(line), "--no-control-socket"]


@contextmanager
def readme_server(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    # A ping without a token is answered (401) before any database access.
    env = server_environment(database_url=f"sqlite:///{tmp_path / 'unused.sqlite3'}")
    with open(tmp_path / "server.log", "wb") as log:
        process = subprocess.Popen(
            readme_command(port),
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, process)
        yield base_url
    finally:
        kill_server(process)


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[None]:
    """`count` connections that send a request line, then a header byte every half second,
    never finishing, until the block ends."""
    stop = threading.Event()

    def dribble() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            for _ in range(120):  # at most a minute
                if stop.wait(0.5):
                    return
                try:
                    sock.sendall(b"x")
                except OSError:
                    return

    threads = [threading.Thread(target=dribble, daemon=True) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(1.5)  # past gunicorn's wait for a first byte: the threads are taken
    try:
        yield
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)


def answered(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=PING_TIMEOUT_SECONDS) as sock:
            sock.sendall(
                b"GET /api/v3/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            )
            return sock.recv(12).startswith(b"HTTP/1.1 ")
    except OSError:  # a timeout: nobody took the request
        return False


def test_the_readme_command_answers_while_slow_clients_hold_connections(tmp_path):
    with readme_server(tmp_path) as base_url:
        port = int(base_url.rsplit(":", 1)[1])
        with slow_clients(port, SLOW_CLIENTS):
            pings = [answered(port) for _ in range(PINGS)]

    assert pings == [True] * PINGS
