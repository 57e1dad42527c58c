from django.conf import settings
from django.db import models

from inventory.models.ledger import Adjustment
from locations.models import Location


class ApiClient(models.Model):
    """A partner system's credentials. The token is `<prefix>.<secret>`; only the prefix (to find
    the client) and a SHA-256 of the secret are stored, so a database leak reveals no token."""

    class Scope(models.TextChoices):
        # BigCommerce's scope names; a modify scope implies its read-only one.
        INVENTORY = "store_inventory", "Inventory: modify"
        INVENTORY_READ = "store_inventory_read_only", "Inventory: read-only"
        LOCATIONS = "store_locations", "Locations: modify"
        LOCATIONS_READ = "store_locations_read_only", "Locations: read-only"

    name = models.CharField(max_length=100)
    token_prefix = models.CharField(max_length=16, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text="BigCommerce scope names.")
    # Stored, not read from whether `allowed_locations` is empty: deleting a client's last
    # location must leave it with no location, never turn it into an every-location token.
    restricted_to_locations = models.BooleanField(
        default=False, help_text="Only the allowed locations, not every location."
    )
    allowed_locations = models.ManyToManyField(
        Location,
        blank=True,
        related_name="api_clients",
        help_text="The locations a restricted client may see and change.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        verbose_name = "API client"

    def __str__(self) -> str:
        return self.name

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(models.Model):
    """The outcome of a write made with an `Idempotency-Key`, saved in the write's own
    transaction: a retry finds either this record (and replays it) or no trace of the write.

    `scope` keeps clients apart ("client:3", "user:7"); `fingerprint` is a hash of the request,
    so a key reused for a different request is told apart from a retry."""

    scope = models.CharField(max_length=64)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    adjustment = models.ForeignKey(
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    response_status = models.PositiveSmallIntegerField(default=200)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="uniq_idempotency_scope_key"),
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class RateLimitCounter(models.Model):
    """How many requests one caller made in one rate-limit window, when the counts live in the
    database (`API_RATE_LIMIT_STORE=database`, inventory/api/throttling.py): every process of a
    deployment bumps the same row with one atomic upsert. The key names the caller and the
    window; a window's row is deleted once it is over. On PostgreSQL the table is UNLOGGED: a
    count needs no durability, and a bump then waits for no WAL flush."""

    key = models.CharField(max_length=200, primary_key=True)
    used = models.PositiveIntegerField()
    # When the window ends, in milliseconds since the epoch (the window arithmetic's unit).
    expires_ms = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.used}"
