"""`manage.py purge`: delete idempotency records and delivered webhook events past their
retention (inventory/management/retention.py). The webhook worker does the same every hour; this is for a
deployment without it, or to purge now."""

from typing import Any

from django.core.management.base import BaseCommand

from inventory.management import retention


class Command(BaseCommand):
    help = (
        "Delete idempotency records older than IDEMPOTENCY_KEY_RETENTION_HOURS and webhook "
        "events delivered more than WEBHOOK_EVENT_RETENTION_DAYS ago (with their attempts)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(retention.describe(retention.purge()))
