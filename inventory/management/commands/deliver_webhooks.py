"""`manage.py deliver_webhooks`: the webhook worker (see inventory/webhooks/delivery.py).

Runs until SIGTERM or Ctrl-C (finishing the deliveries under way), polling for due events every
--poll-interval seconds when idle; `--once` delivers what is due now and exits, for cron.
--threads deliveries go on at once (WEBHOOK_WORKER_THREADS), never two to the same endpoint,
so an endpoint that hangs holds one of them while the others deliver to everyone else.
On PostgreSQL several workers may run side by side. It also purges what is past its retention
(inventory/management/retention.py) when it starts and every hour.
"""

import logging
import signal
import threading
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, close_old_connections, connections

from inventory.management import retention
from inventory.models import WebhookEvent
from inventory.webhooks.delivery import Outcome, deliver_due

logger = logging.getLogger(__name__)
IDLE_POLL_SECONDS = 2.0
BATCH = 100  # events between two checks of the database connection's health
PURGE_EVERY_SECONDS = 3600.0


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
        parser.add_argument(
            "--threads",
            type=int,
            default=settings.WEBHOOK_WORKER_THREADS,
            help="Deliveries at once, never two to the same endpoint "
            f"(default WEBHOOK_WORKER_THREADS, {settings.WEBHOOK_WORKER_THREADS}).",
        )

    def handle(
        self, *args: Any, once: bool, poll_interval: float, threads: int, **options: Any
    ) -> None:
        if threads < 1:
            raise CommandError("--threads must be at least 1.")
        self.verbosity = options["verbosity"]
        self.output = threading.Lock()  # one report line at a time
        self.tried = 0
        self.failed = False
        self.stopping = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stopping.set())
        if not once:
            self.stdout.write(
                f"Delivering webhooks with {threads} thread(s) (polling every "
                f"{poll_interval:g} s; Ctrl-C stops)."
            )
        self.purge()
        # The main thread is one of the lanes (it also receives the signals and purges).
        others = [
            threading.Thread(target=self.lane, args=(once, poll_interval), daemon=True)
            for _ in range(threads - 1)
        ]
        for lane in others:
            lane.start()
        try:
            self.lane(once, poll_interval, main=True)
        finally:
            if not once:
                self.stopping.set()
            for lane in others:
                lane.join()
        if self.failed:
            raise CommandError("A delivery thread stopped on an error (logged above).")
        self.stdout.write(f"Tried {self.tried} event(s)." if once else "Stopped.")

    def lane(self, once: bool, poll_interval: float, main: bool = False) -> None:
        """One thread's loop: deliver what is due, one event at a time. An unexpected error
        in any lane stops the worker, for its supervisor to restart it, rather than leaving it
        running short-handed."""
        next_purge = time.monotonic() + PURGE_EVERY_SECONDS
        try:
            while not self.stopping_soon():
                if not once:
                    close_old_connections()  # a long-running process outlives CONN_MAX_AGE
                tried = self.round(once)
                with self.output:
                    self.tried += tried
                if once and not tried:
                    return
                if main and not once and time.monotonic() >= next_purge:
                    self.purge()
                    next_purge = time.monotonic() + PURGE_EVERY_SECONDS
                if not tried:
                    self.stopping.wait(poll_interval)
        except Exception:
            self.failed = True
            logger.exception("deliver_webhooks: a delivery thread stopped on an error")
            if main:
                raise
        finally:
            if not main:
                connections.close_all()  # this thread's own connections

    def round(self, once: bool) -> int:
        """Deliver what is due (at most BATCH events when running on); how many were tried."""
        try:
            return deliver_due(
                limit=None if once else BATCH, should_stop=self.stopping_soon, report=self.report
            )
        except DatabaseError as exc:
            if once:
                raise
            # The database restarting is no reason to stop: what was claimed comes back when
            # its lease ends, and the next round reconnects.
            logger.warning("deliver_webhooks: database error, retrying: %s", exc)
            close_old_connections()
            return 0

    def stopping_soon(self) -> bool:
        return self.stopping.is_set() or self.failed

    def purge(self) -> None:
        try:
            purged = retention.purge()
        except DatabaseError as exc:
            logger.warning("deliver_webhooks: purge failed, trying again later: %s", exc)
            return
        if self.verbosity >= 1 and any(purged.values()):
            with self.output:
                self.stdout.write(retention.describe(purged))

    def report(self, event: WebhookEvent, outcome: Outcome, state: str) -> None:
        if self.verbosity < 1:
            return
        answer = outcome.status_code if outcome.status_code is not None else outcome.error
        with self.output:
            self.stdout.write(
                f"{state:<9} {event.event_id} {event.scope} → {event.endpoint.name}"
                f" ({answer}, {outcome.duration_ms} ms)"
            )
            self.stdout.flush()
