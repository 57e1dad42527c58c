"""Webhooks: partners' endpoints, the outbox of events for them, and every delivery attempt.

An event row is written in the same transaction as the change it reports (so it exists exactly
when the change does) and delivered later by `manage.py deliver_webhooks`, at least once."""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.webhooks import destination


class WebhookScope(models.TextChoices):
    """BigCommerce's event names (scopes). Inventory events name every storefront channel (`*`):
    this store has one, and a change fires one event."""

    STOCK_CHANGED = "store/channel/*/inventory/product/stock_changed", "Stock changed"
    LOW_STOCK_REACHED = "store/channel/*/inventory/product/low_stock_reached", "Low stock reached"
    OUT_OF_STOCK_REACHED = (
        "store/channel/*/inventory/product/out_of_stock_reached",
        "Out of stock reached",
    )
    SETTINGS_CHANGED = (
        "store/channel/*/inventory/product/settings_changed",
        "Inventory settings changed",
    )
    LOCATION_CREATED = "store/inventory/location/created", "Location created"
    LOCATION_UPDATED = "store/inventory/location/updated", "Location updated (incl. enable/disable)"
    # Ours: BigCommerce has no transfers or receipts. Each change of stock they make also fires
    # stock_changed for every balance it touches.
    TRANSFER_SHIPPED = "stockroom/inventory/transfer/shipped", "Transfer shipped"
    TRANSFER_RECEIVED = (
        "stockroom/inventory/transfer/received",
        "Transfer received (in part or in full)",
    )
    RECEIPT_RECEIVED = "stockroom/inventory/receipt/received", "Supplier delivery received"


# Sent by the admin's "send a test event" action whatever the endpoint subscribes to.
TEST_SCOPE = "stockroom/webhook/test"


def generate_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def validate_webhook_url(url: str) -> None:
    """Public internet addresses over https only (inventory/webhooks/destination.py): events
    carry stock data, and the URL must not make our server reach inside our own network."""
    destination.check(url)


class WebhookEndpoint(models.Model):
    """A partner's URL that receives the events it subscribes to, signed with `secret`."""

    name = models.CharField(max_length=100)
    url = models.URLField("URL", max_length=500, validators=[validate_webhook_url])
    secret = models.CharField(
        max_length=100,
        default=generate_secret,
        editable=False,
        help_text="Signs every request (HMAC-SHA256); give it to the receiver.",
    )
    events = models.JSONField(default=list, help_text="BigCommerce scope names.")
    active = models.BooleanField(
        default=True, help_text="Inactive endpoints get no new events; pending ones wait."
    )
    # Paused by the worker after WEBHOOK_PAUSE_AFTER_FAILURES failed deliveries in a row: its
    # events keep coming and wait until a manager resumes it.
    paused_at = models.DateTimeField(null=True, blank=True, editable=False)
    pause_reason = models.CharField(max_length=600, blank=True, editable=False)
    consecutive_failures = models.PositiveIntegerField(default=0, editable=False)
    # One delivery at a time per endpoint: a worker delivering to it holds it until then (the
    # same lease as the event's), so an endpoint that hangs holds one worker thread, not all.
    delivering_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.name


class WebhookEvent(models.Model):
    """The outbox: one event for one endpoint, with its delivery state.

    Pending while `delivered_at` and `failed_at` are empty; due when `next_attempt_at` has
    passed. A worker claims an event by moving `next_attempt_at` to the end of its lease
    (`claimed_until`) under a fresh `claim_token`: if the worker dies, the event is simply due
    again when the lease ends. Only the holder of the current token may record the outcome."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Indexed by webhook_event_endpoint (endpoint, -id): one index fewer to write per event.
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="outbox", db_index=False
    )
    scope = models.CharField(max_length=100)
    data = models.JSONField()
    created_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(
        null=True, blank=True, help_text="Given up after the last attempt."
    )

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook event"
        indexes = [
            # What the worker asks for: pending events by due time. Delivered ones (nearly
            # all of them) stay out of the index.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True, failed_at__isnull=True),
                name="webhook_event_due",
            ),
            models.Index(fields=["endpoint", "-id"], name="webhook_event_endpoint"),
            # What the purge deletes (inventory/management/retention.py); new events stay out of it.
            models.Index(
                fields=["delivered_at"],
                condition=Q(delivered_at__isnull=False),
                name="webhook_event_delivered",
            ),
            # The admin's pending and failed counts per endpoint.
            models.Index(
                fields=["endpoint"],
                condition=Q(delivered_at__isnull=True),
                name="webhook_event_undelivered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.event_id}"

    @property
    def status(self) -> str:
        if self.delivered_at is not None:
            return "delivered"
        if self.failed_at is not None:
            return "failed"
        return "pending"


class WebhookAttempt(models.Model):
    """One try at delivering an event: the answer (or the error) and how long it took."""

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    attempted_at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # In our words only: what an endpoint answers is never kept (it could be anything the URL
    # reaches, shown to whoever reads the admin).
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField()

    class Meta:
        ordering = ["-id"]
        verbose_name = "webhook delivery attempt"

    def __str__(self) -> str:
        outcome = self.status_code if self.status_code is not None else self.error
        return f"Attempt at {self.attempted_at:%Y-%m-%d %H:%M:%S}: {outcome}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
