"""A small webhook receiver for trying webhooks on one machine (`manage.py webhook_receiver`):
it verifies each request's signature, prints the event, and answers 204 (or 401 when the
signature does not verify, so the sender retries and the admin shows why)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

from inventory.webhooks import signing

MAX_BODY_BYTES = 1024 * 1024


class Receiver(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], *, secret: str, out: TextIO) -> None:
        super().__init__(address, _Handler)
        self.secret = secret
        self.out = out
        self.lock = threading.Lock()  # one event's lines at a time
        self.received: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._answer(413)
            return
        body = self.rfile.read(length)
        event_id = self.headers.get(signing.EVENT_ID_HEADER, "?")
        verified = signing.verify(
            self.server.secret, self.headers.get(signing.SIGNATURE_HEADER, ""), body
        )
        with self.server.lock:
            if not verified:
                self.server.out.write(f"REJECTED {event_id}: bad or stale signature\n")
            else:
                self.server.received.append(event_id)
                self.server.out.write(f"{event_id} {self._describe(body)}\n")
            self.server.out.flush()
        self._answer(204 if verified else 401)

    def _describe(self, body: bytes) -> str:
        try:
            payload = json.loads(body)
            return f"{payload['scope']} {json.dumps(payload['data'], sort_keys=True)}"
        except (ValueError, KeyError, TypeError):
            return f"(unreadable body: {body[:80]!r})"

    def _answer(self, status: int) -> None:
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        pass  # the event lines say it all
