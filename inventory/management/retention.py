"""What is kept, and for how long.

- Idempotency records (inventory/idempotency.py) answer a retried write from the first one's
  outcome: kept IDEMPOTENCY_KEY_RETENTION_HOURS (at least 24: a client may retry for a day).
- Delivered webhook events, with their attempts, are kept WEBHOOK_EVENT_RETENTION_DAYS for the
  admin's history. Pending and failed ones stay: they are still to be delivered or retried.

`purge` deletes what is older, in batches of its own short transactions (no long lock on
either table); `manage.py purge` runs it, and so does the webhook worker every hour.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from inventory.models import IdempotencyRecord, WebhookEvent

BATCH = 1000


def purge(*, now: datetime | None = None) -> dict[str, int]:
    """Delete what is past its retention; how many of each were deleted."""
    now = now or timezone.now()
    keys_before = now - timedelta(hours=settings.IDEMPOTENCY_KEY_RETENTION_HOURS)
    events_before = now - timedelta(days=settings.WEBHOOK_EVENT_RETENTION_DAYS)
    return {
        "idempotency records": _delete(
            IdempotencyRecord.objects.filter(created_at__lt=keys_before), "created_at"
        ),
        "delivered webhook events": _delete(
            WebhookEvent.objects.filter(delivered_at__lt=events_before), "delivered_at"
        ),
    }


def describe(purged: dict[str, int]) -> str:
    return "Purged " + ", ".join(f"{count} {what}" for what, count in purged.items()) + "."


def _delete(old: QuerySet, indexed_by: str) -> int:
    """Delete `old` a batch at a time, oldest first (by the indexed column it is chosen by)."""
    deleted = 0
    while batch := list(old.order_by(indexed_by).values_list("pk", flat=True)[:BATCH]):
        old.model.objects.filter(pk__in=batch).delete()  # an event takes its attempts along
        deleted += len(batch)
    return deleted
