"""The ledger: adjustments (who changed stock, when, why, through which channel) and their
lines (each balance's before and after), append-only."""

import secrets
import uuid
from datetime import timedelta
from time import time_ns

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Right

from inventory.models.catalog import Item
from locations.models import Location


def time_ordered_uuid() -> uuid.UUID:
    """A version 7 UUID (RFC 9562; `uuid.uuid7` from Python 3.14): the Unix time in
    milliseconds, then random bits. Newer ids sort after older ones, so an insert into a unique
    index on them lands on the index's newest page. A random (version 4) id lands on any page,
    and PostgreSQL logs a page's full image the first time it changes after a checkpoint: many
    more bytes of WAL per write than with these."""
    value = (time_ns() // 1_000_000) << 80 | secrets.randbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76  # the version, 7 (Python 3.11 accepts 1 to 5)
    value = value & ~(0x3 << 62) | 0x2 << 62  # the variant, RFC 9562's
    return uuid.UUID(int=value)


def short_id_sql() -> Right:
    """`Adjustment.short_id` as SQL, the expression the index adjustment_short_id is built on:
    a search by short id must filter on this very expression to use it."""
    return Right(Cast("transaction_id", models.CharField()), 8)


class Adjustment(models.Model):
    """One transaction of the ledger: who changed stock, when, why and through which channel."""

    class Kind(models.TextChoices):
        # Plain words for BigCommerce's "absolute" and "relative" adjustments.
        ABSOLUTE = "absolute", "Set on hand"
        RELATIVE = "relative", "Add or remove"
        TRANSFER = "transfer", "Transfer"
        STOCKTAKE = "stocktake", "Stocktake"
        # A transfer order's two halves (inventory.movements): the stock leaves the origin when
        # shipped, and arrives at the destination when received. In between it is in transit.
        SHIPMENT = "shipment", "Transfer shipped"
        RECEIPT = "receipt", "Received"
        SETTINGS = "settings", "Settings change"

    class Source(models.TextChoices):
        API = "api", "API"
        ADMIN = "admin", "Back office"
        STOCKTAKE = "stocktake", "Stocktake"
        IMPORT = "import", "Import"
        SYSTEM = "system", "System"

    class ReasonCode(models.TextChoices):
        """Why stock changed, as a code a report can group by; `reason` is the free-text note.
        Shopify's and Square's adjustment reasons, by Shopify's names where they have one."""

        RECEIVED = "received", "Received"
        RETURNED = "returned", "Customer return"
        DAMAGED = "damaged", "Damaged"
        SHRINKAGE = "shrinkage", "Theft or loss"
        CORRECTION = "correction", "Correction"
        STOCK_COUNT = "stock_count", "Stock count"
        SALE = "sale", "Sale"
        PROMOTION = "promotion", "Promotion or sample"
        QUALITY_CONTROL = "quality_control", "Quality control"
        RESTOCK = "restock", "Restock"
        OTHER = "other", "Other"

    transaction_id = models.UUIDField(
        "transaction id", default=time_ordered_uuid, unique=True, editable=False
    )
    kind = models.CharField("type of change", max_length=16, choices=Kind.choices)
    reason_code = models.CharField(
        "reason",
        max_length=32,
        choices=ReasonCode.choices,
        blank=True,
        default="",
        db_default="",
        db_index=True,
    )
    reason = models.CharField("note", max_length=1000, blank=True)
    # An outside document the change belongs to: an order number, a PO, a URL (Shopify's
    # referenceDocumentUri, Square's reference_id).
    # Database defaults too: the benchmark's fill and other raw inserts name only older columns.
    reference = models.CharField(max_length=500, blank=True, default="", db_default="")
    source = models.CharField("made through", max_length=16, choices=Source.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name="person",
    )
    api_client = models.ForeignKey(
        "inventory.ApiClient",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name="API client",
    )
    created_at = models.DateTimeField("when", db_index=True)

    # Set by apply_adjustment: True when an idempotent retry returned this earlier adjustment.
    replayed = False

    class Meta:
        indexes = [models.Index(short_id_sql(), name="adjustment_short_id")]
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"Adjustment {self.short_id}"

    # What the write path's statements insert, in order: `inserted_values` gives the values.
    INSERTED_COLUMNS = (
        "transaction_id, kind, reason_code, reason, reference, source, actor_id, api_client_id,"
        " created_at"
    )

    def inserted_values(self) -> list:
        return [
            self.transaction_id,
            self.kind,
            self.reason_code,
            self.reason,
            self.reference,
            self.source,
            self.actor_id,
            self.api_client_id,
            self.created_at,
        ]

    def mark_inserted(self, pk: int, using: str) -> None:
        """This instance is now the row a raw statement inserted (as save() would leave it)."""
        self.pk = pk
        self._state.adding = False
        self._state.db = using

    @property
    def short_id(self) -> str:
        """The transaction id's last 8 hex digits, to show in lists: its first ones are its
        time (`time_ordered_uuid`), the same for every adjustment made within a minute."""
        return self.transaction_id.hex[-8:]

    @property
    def made_by(self) -> str:
        """Who made the change: a user, an API client, or the system."""
        if self.actor_id is not None:
            return self.actor.get_username()
        if self.api_client_id is not None:
            return f"API: {self.api_client.name}"
        return "system"


# A ledger line is dated as its write is made and seen once its transaction commits, a moment
# later. Every line dated more than this long ago is seen by now (and by any replica that is
# read), so what is counted up to then stays counted: a dashboard's closed days, a submitted
# count's review totals.
LEDGER_SETTLED_AFTER = timedelta(minutes=15)


class AdjustmentLine(models.Model):
    """The ledger: one change of one balance. Append-only (a PostgreSQL trigger enforces it).

    Lines of a balance chain: `quantity_before` of each equals `quantity_after` of the previous,
    and the last `quantity_after` equals the balance (`manage.py verify_ledger` checks this).
    `created_at` repeats the adjustment's so per-balance history is one index range scan.
    """

    # No database constraint on the adjustment either: the write path inserts a batch's lines in
    # the same statement as their adjustment, and neither can be updated or deleted afterwards
    # (the append-only triggers), so the check could only ever pass. It cost a KEY SHARE lock
    # of the adjustment row per line at commit, a large share of a 2000-line batch's time.
    # `verify_ledger` reports a line whose adjustment is missing.
    adjustment = models.ForeignKey(
        Adjustment, on_delete=models.PROTECT, related_name="lines", db_constraint=False
    )
    # No database constraint on item and location: a line is only ever written for a balance
    # row locked in the same transaction, and that row has both foreign keys. Checking them
    # again per line (a KEY SHARE lock on every item row at commit) doubled the commit time of
    # a 2000-line batch. Indexes: ledger_balance_chain leads with item, the other with location.
    item = models.ForeignKey(
        Item,
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        db_constraint=False,
        db_index=False,
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        db_constraint=False,
        db_index=False,
    )
    quantity_before = models.IntegerField("on hand before")
    quantity_after = models.IntegerField("on hand after")
    delta = models.BigIntegerField("change")
    created_at = models.DateTimeField("when")

    class Meta:
        ordering = ["-id"]
        verbose_name = "stock history entry"
        verbose_name_plural = "stock history"
        indexes = [
            models.Index(fields=["item", "location", "id"], name="ledger_balance_chain"),
            models.Index(fields=["location", "-id"], name="ledger_location_recent"),
            models.Index(fields=["created_at"], name="ledger_created_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(delta=F("quantity_after") - F("quantity_before")),
                name="ledger_delta_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} at {self.location}: {self.quantity_before} → {self.quantity_after}"
