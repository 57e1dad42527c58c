"""`manage.py deliver_webhooks`: the webhook worker (see inventory/webhooks/delivery.py).

Runs until SIGTERM or Ctrl-C (finishing the delivery under way), polling for due events every
--poll-interval seconds when idle; `--once` delivers what is due now and exits, for cron.
On PostgreSQL several workers may run side by side; on SQLite run one.
"""

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError, close_old_connections

from inventory.models import WebhookEvent
from inventory.webhooks.delivery import Outcome, deliver_due

logger = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 2.0
BATCH = 100  # events between two checks of the database connection's health


class Command(BaseCommand):
    help = (
        "Deliver webhook events from the outbox: signed POSTs, retried with exponential backoff,"
        " at least once. Runs until stopped; --once delivers what is due and exits."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--once", action="store_true", help="Deliver what is due now, then exit (for cron)."
        )
        parser.add_argument(
            "--poll-interval",
            type=float,
            default=IDLE_POLL_SECONDS,
            help=f"Seconds between looks at the outbox when idle (default {IDLE_POLL_SECONDS}).",
        )

    def handle(self, *args: Any, once: bool, poll_interval: float, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopping.set())
        if once:
            tried = deliver_due(should_stop=stopping.is_set, report=self.report)
            self.stdout.write(f"Tried {tried} event(s).")
            return
        self.stdout.write(f"Delivering webhooks (polling every {poll_interval:g} s; Ctrl-C stops).")
        while not stopping.is_set():
            close_old_connections()  # a long-running process outlives CONN_MAX_AGE
            try:
                tried = deliver_due(limit=BATCH, should_stop=stopping.is_set, report=self.report)
            except DatabaseError as exc:
                # The database restarting is no reason to stop: what was claimed comes back
                # when its lease ends, and the next round reconnects.
                logger.warning("deliver_webhooks: database error, retrying: %s", exc)
                close_old_connections()
                tried = 0
            if not tried:
                stopping.wait(poll_interval)
        self.stdout.write("Stopped.")

    def report(self, event: WebhookEvent, outcome: Outcome, state: str) -> None:
        if self.verbosity < 1:
            return
        answer = outcome.status_code if outcome.status_code is not None else outcome.error
        self.stdout.write(
            f"{state:<9} {event.event_id} {event.scope} → {event.endpoint.name}"
            f" ({answer}, {outcome.duration_ms} ms)"
        )
        self.stdout.flush()
