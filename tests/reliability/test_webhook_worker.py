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
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings

from inventory.benchmark.server import server_environment
from inventory.models import Adjustment, WebhookAttempt, WebhookEndpoint, WebhookEvent, WebhookScope
from inventory.services import LineInput, apply_adjustment
from tests.factories import ItemFactory, LocationFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EVENTS = 12
KILLS = 4
RECEIVER_DELAY_SECONDS = 0.5  # long enough to kill the worker while it waits for the answer
LEASE_SECONDS = 2  # a killed worker's event comes back after this
DEADLINE_SECONDS = 90


class SlowReceiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, secret: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.secret = secret
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
        time.sleep(RECEIVER_DELAY_SECONDS)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # the worker was killed while we slept

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = SlowReceiver(secret="whsec_reliability")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class Worker:
    """`manage.py deliver_webhooks` as its own process group, against the test database."""

    def __init__(self, database_url: str, log_path):
        self.database_url = database_url
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = server_environment(
            database_url=self.database_url,
            extra={
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
