"""`manage.py webhook_receiver --port 8765 --secret whsec_…`: a local receiver for trying
webhooks. Add an endpoint http://127.0.0.1:8765/ in the admin (plain http to localhost is
allowed while WEBHOOK_ALLOW_HTTP_LOCALHOST is on, the default in development), copy its secret,
start this, run `manage.py deliver_webhooks`, change some stock: each event is printed once its
signature verified (401 when it does not, so the worker retries and the admin shows why)."""

from typing import Any

from django.core.management.base import BaseCommand

from inventory.webhooks.receiver import Receiver


class Command(BaseCommand):
    help = "Receive webhooks on localhost, verify their signatures and print the events."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--secret", required=True, help="The endpoint's secret (whsec_…).")

    def handle(self, *args: Any, port: int, host: str, secret: str, **options: Any) -> None:
        server = Receiver((host, port), secret=secret, out=self.stdout)
        self.stdout.write(
            f"Receiving webhooks on http://{host}:{server.server_port}/ (Ctrl-C stops)."
        )
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
