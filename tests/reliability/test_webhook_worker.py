"""The webhook worker, killed mid-delivery again and again, loses nothing and marks nothing
twice: `manage.py deliver_webhooks` runs as a real process against the test database and a
slow receiver on localhost; each time a request is in flight the worker gets SIGKILL (no clean
up, its transaction dies with its connection), then a fresh worker takes over. Every event
must arrive (at least once: an interrupted one comes again, with the same id, once its lease
ends), and each must be marked delivered exactly once, with exactly one successful attempt."""

import hashlib
import hmac
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils import timezone

from inventory.management.benchmark.server import server_environment
from inventory.models import Adjustment, WebhookAttempt, WebhookEndpoint, WebhookEvent, WebhookScope
from inventory.stock import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 12
KILLS = 4
RECEIVER_DELAY_SECONDS = 0.5  # long enough to kill the worker while it waits for the answer
LEASE_SECONDS = 2  # a killed worker's event comes back after this
DEADLINE_SECONDS = 90


class SlowReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, secret: str, delay: float = RECEIVER_DELAY_SECONDS):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
        self.delay = delay
        self.arrivals: list[str] = []
        self.forged = 0
        self.in_flight = threading.Event()
        self.lock = threading.Lock()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        fields = dict(p.split("=", 1) for p in self.headers["X-Stockroom-Signature"].split(","))
        expected = hmac.new(
            self.server.secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        with self.server.lock:
            self.server.arrivals.append(self.headers["X-Stockroom-Event-Id"])
            self.server.forged += not hmac.compare_digest(expected, fields["v1"])
        self.server.in_flight.set()
        time.sleep(self.server.delay)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the worker was killed while we slept

    def log_message(self, *args):
        pass


def _serve(server: SlowReceiver):
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver():
    yield from _serve(SlowReceiver(secret="whsec_reliability"))


@pytest.fixture
def healthy():
    yield from _serve(SlowReceiver(secret="whsec_healthy", delay=0.0))


class Worker:
    """`manage.py deliver_webhooks` as its own process group, against the test database."""

    def __init__(self, database_url: str, log_path):
        self.database_url = database_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self, overrides: dict[str, str] | None = None) -> None:
        """With short leases, timeouts and backoff unless `overrides` says otherwise."""
        env = server_environment(
            database_url=self.database_url,
            extra=overrides
            or {
                "WEBHOOK_ALLOW_HTTP_LOCALHOST": "1",
                "WEBHOOK_LEASE_SECONDS": str(LEASE_SECONDS),
                "WEBHOOK_TIMEOUT_SECONDS": "1.5",
                "WEBHOOK_BACKOFF_BASE_SECONDS": "0.5",
            },
        )
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "deliver_webhooks", "--poll-interval", "0.2"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def stop(self, sig: int) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
        self.process.wait(timeout=30)
        self.process = None


@pytest.fixture
def worker(test_database_url, tmp_path):
    """Depends on the database fixtures, so it is stopped before pytest-django flushes."""
    process = Worker(test_database_url, tmp_path / "worker.log")
    yield process
    process.stop(signal.SIGKILL)


def test_a_worker_killed_mid_delivery_loses_nothing_and_marks_nothing_twice(receiver, worker):
    url = f"http://127.0.0.1:{receiver.server_port}/hooks"
    WebhookEndpoint.objects.create(
        name="slow", url=url, secret=receiver.secret, events=[WebhookScope.STOCK_CHANGED]
    )
    location = LocationFactory()
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[
            LineInput(location_id=location.pk, item_id=item.pk, quantity=5)
            for item in ItemFactory.create_batch(EVENTS)
        ],
        source=Adjustment.Source.SYSTEM,
    )
    event_ids = {
        str(event_id) for event_id in WebhookEvent.objects.values_list("event_id", flat=True)
    }
    assert len(event_ids) == EVENTS

    for _ in range(KILLS):
        receiver.in_flight.clear()
        worker.start()
        assert receiver.in_flight.wait(timeout=60), worker.log_path.read_text()
        worker.stop(signal.SIGKILL)  # while the receiver holds the request

    worker.start()
    deadline = time.monotonic() + DEADLINE_SECONDS
    while WebhookEvent.objects.filter(delivered_at__isnull=True).exists():
        assert time.monotonic() < deadline, worker.log_path.read_text()
        time.sleep(0.2)
    worker.stop(signal.SIGTERM)  # a clean stop, after the delivery under way

    assert set(receiver.arrivals) == event_ids  # every event arrived
    assert receiver.forged == 0
    # Each interrupted request came again, with the same event id.
    assert len(receiver.arrivals) >= EVENTS + KILLS
    assert WebhookEvent.objects.filter(delivered_at__isnull=False).count() == EVENTS
    assert WebhookEvent.objects.filter(failed_at__isnull=False).count() == 0
    successes = WebhookAttempt.objects.filter(status_code=200)
    assert sorted(str(a.event.event_id) for a in successes) == sorted(event_ids)  # once each


class HangingEndpoint(threading.Thread):
    """Accepts every connection on 127.0.0.1 and never answers (keeps them open)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.connections: list[socket.socket] = []
        self.first_accepted = threading.Event()
        self.first_accepted_at = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks"

    def run(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(conn)
            if not self.first_accepted.is_set():
                self.first_accepted_at = time.monotonic()
                self.first_accepted.set()

    def stop(self):
        self.listener.close()
        for conn in self.connections:
            conn.close()


@pytest.fixture
def hanging():
    endpoint = HangingEndpoint()
    endpoint.start()
    yield endpoint
    endpoint.stop()


HEALTHY_EVENTS = 6
HEALTHY_WITHIN_SECONDS = 3  # less than one delivery's timeout (5 s by default)


def test_a_hanging_endpoint_does_not_hold_up_a_healthy_one(healthy, hanging, worker):
    """Issue 15, case 7: an endpoint that accepts and never answers had one worker to itself,
    and a healthy endpoint got 0 of 6 deliveries in 40 s. With the worker's defaults (only
    localhost allowed, for this test), the healthy one gets all of its events while the hanging
    one still waits for its first answer, which times out after 5 s."""
    stuck = WebhookEndpoint.objects.create(
        name="hanging", url=hanging.url, events=[WebhookScope.STOCK_CHANGED]
    )
    WebhookEndpoint.objects.create(
        name="healthy",
        url=f"http://127.0.0.1:{healthy.server_port}/hooks",
        secret=healthy.secret,
        events=[WebhookScope.STOCK_CHANGED],
    )
    location = LocationFactory()
    apply_adjustment(
        kind=Adjustment.Kind.ABSOLUTE,
        lines=[
            LineInput(location_id=location.pk, item_id=item.pk, quantity=5)
            for item in ItemFactory.create_batch(HEALTHY_EVENTS)
        ],
        source=Adjustment.Source.SYSTEM,
    )
    # The hanging endpoint's events are first in line.
    stuck.outbox.update(next_attempt_at=timezone.now() - timedelta(minutes=1))

    worker.start({"WEBHOOK_ALLOW_HTTP_LOCALHOST": "1"})
    assert hanging.first_accepted.wait(timeout=60), worker.log_path.read_text()
    deadline = hanging.first_accepted_at + HEALTHY_WITHIN_SECONDS
    while len(set(healthy.arrivals)) < HEALTHY_EVENTS and time.monotonic() < deadline:
        time.sleep(0.05)

    assert len(set(healthy.arrivals)) == HEALTHY_EVENTS, worker.log_path.read_text()
    assert len(hanging.connections) == 1  # one delivery at a time to it
    while not WebhookAttempt.objects.filter(event__endpoint=stuck).exists():
        assert time.monotonic() < deadline + 30, worker.log_path.read_text()
        time.sleep(0.1)
    worker.stop(signal.SIGTERM)
    first = WebhookAttempt.objects.filter(event__endpoint=stuck).order_by("id").first()
    assert first.status_code is None
    assert "timed out" in first.error
    assert 4500 <= first.duration_ms <= 6500  # the default timeout: 5 s
