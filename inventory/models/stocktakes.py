from django.conf import settings
from django.db import models

from inventory.models.catalog import Item
from inventory.models.ledger import Adjustment
from locations.models import Location


class Stocktake(models.Model):
    """A count of one location's stock, by store staff, while the shop keeps selling.

    Each line remembers when it was last counted; applying sets on-hand to the count plus
    whatever the ledger moved after that moment, so sales during the count are kept.
    """

    class Status(models.TextChoices):
        COUNTING = "counting", "Counting"
        SUBMITTED = "submitted", "Submitted"
        APPLIED = "applied", "Applied"
        CANCELLED = "cancelled", "Cancelled"

    OPEN_STATUSES = (Status.COUNTING, Status.SUBMITTED)

    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="stocktakes")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.COUNTING)
    blind = models.BooleanField(
        default=False, help_text="Counters never see the expected quantities."
    )
    full = models.BooleanField(
        default=True, help_text="The whole location, rather than a chosen list of items."
    )
    zero_uncounted = models.BooleanField(
        default=False, help_text="On apply, set items nobody counted to zero (full counts only)."
    )
    needs_approval = models.BooleanField(default=False, editable=False)
    adjustment = models.OneToOneField(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="stocktake",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Applied or cancelled.")

    class Meta:
        ordering = ["-id"]
        permissions = [("approve_stocktake", "Can approve and apply stocktakes over the threshold")]

    def __str__(self) -> str:
        return f"Stocktake #{self.pk} at {self.location}"

    @property
    def hidden_stock_notice(self) -> str:
        """What a counter is told about the on-hand this blind count hides from them."""
        if self.full:
            return f"Stock at {self.location.label} is hidden while stocktake #{self.pk} is open."
        items = self.lines.count()
        return (
            f"Stock of the {items} item{'s' if items != 1 else ''} in stocktake #{self.pk} "
            f"at {self.location.label} is hidden while that count is open."
        )


class StocktakeLine(models.Model):
    """One item's count. `expected_quantity` is on-hand at `counted_at` (never shown to blind
    counters); `counted_quantity` is None until someone counts the item."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    counted_quantity = models.IntegerField(null=True, blank=True)
    counted_at = models.DateTimeField(null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expected_quantity = models.IntegerField(null=True, blank=True)
    # A database default too: counts uploaded from a file are written by one SQL statement.
    left_out = models.BooleanField(
        default=False,
        db_default=False,
        editable=False,
        help_text="A manager applied the rest of the count without this line: its count is "
        "kept for the record, not applied.",
    )

    class Meta:
        ordering = ["item__sku"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "item"], name="uniq_stocktake_item"),
            models.CheckConstraint(
                condition=models.Q(counted_quantity__gte=0), name="stocktake_count_not_negative"
            ),
        ]
        indexes = [
            # The count page's latest counted lines, and how many are counted, read from the
            # index rather than sorting a 100,000-line count on each scan.
            models.Index(
                fields=["stocktake", "-counted_at", "-id"],
                condition=models.Q(counted_quantity__isnull=False),
                name="stocktake_line_latest_counted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.counted_quantity}"

    @property
    def variance(self) -> int | None:
        if self.counted_quantity is None or self.expected_quantity is None:
            return None
        return self.counted_quantity - self.expected_quantity


class StocktakeRecount(models.Model):
    """A line a manager sent back to be counted again, with the count it set aside: kept for
    the record and shown on the next review. The line itself starts again from nothing, so the
    recount's own moment is the one the count-time rule measures from."""

    line = models.ForeignKey(StocktakeLine, on_delete=models.CASCADE, related_name="recounts")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    note = models.CharField(max_length=500, blank=True)
    counted_quantity = models.IntegerField()
    counted_at = models.DateTimeField(null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    expected_quantity = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.line_id}: {self.counted_quantity}, sent back"


class StocktakeTotals(models.Model):
    """A submitted count's review totals over every line, as of a moment a little before it
    was submitted: kept so that a review reads one row and the items that moved since, not
    every line (`inventory.stocktakes.totals`). Kept again whenever the lines change under
    review; `threshold` is the one they were counted against."""

    stocktake = models.OneToOneField(
        Stocktake, on_delete=models.CASCADE, primary_key=True, related_name="kept_totals"
    )
    as_of = models.DateTimeField()
    threshold = models.IntegerField()
    counted = models.IntegerField()
    not_counted = models.IntegerField()
    variance = models.BigIntegerField()
    over = models.IntegerField()

    class Meta:
        verbose_name_plural = "stocktake totals"

    def __str__(self) -> str:
        return f"{self.stocktake_id}: totals as of {self.as_of}"


class StocktakeEvent(models.Model):
    """Every step of a stocktake: who started, counted, uploaded, submitted, approved,
    applied or cancelled it, and when."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=32)
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.action} {self.detail}".strip()


class StocktakeUnknownCode(models.Model):
    """A scanned or typed code that matched no item: kept for someone to look at."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="unknown_codes")
    code = models.CharField(max_length=255)
    scanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.code


class StocktakeUpload(models.Model):
    """A CSV of counts applied to a stocktake. Its hash lets the same file, uploaded again in
    add mode, be refused instead of counted twice."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="uploads")
    sha256 = models.CharField(max_length=64)
    mode = models.CharField(max_length=8)  # "replace" or "add"
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.mode} {self.sha256[:8]}"


class StocktakeUploadDraft(models.Model):
    """A file previewed and not yet saved, one per person and count: the preview's confirm
    names it, rather than sending a 100,000-row file back in the page and the form. Saving it
    deletes it; a new preview replaces it."""

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    mode = models.CharField(max_length=8)  # "replace" or "add"
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.mode}, {len(self.data)} bytes"


class StocktakeScan(models.Model):
    """One scan as a device queued it, under the id the device gave it: the server applies each
    id at most once, so a retry after a lost answer, or the same queue sent from two tabs, never
    counts twice. Kept whatever came of it (`outcome`), late ones included."""

    class Outcome(models.TextChoices):
        COUNTED = "counted", "Counted"
        UNKNOWN_CODE = "unknown_code", "Unknown code"
        NOT_IN_COUNT = "not_in_count", "Not part of this count"
        LATE = "late", "Arrived after counting ended"
        SUPERSEDED = "superseded", "Made before its item was sent back for a recount"

    class Resolution(models.TextChoices):
        """What a manager chose for a late scan (the others need no choice)."""

        ADDED = "added", "Added to the count"
        DISCARDED = "discarded", "Discarded"

    stocktake = models.ForeignKey(Stocktake, on_delete=models.CASCADE, related_name="scans")
    scan_id = models.UUIDField(help_text="Made on the device when it scanned.")
    code = models.CharField(max_length=255)
    quantity = models.PositiveIntegerField(default=1, help_text="Units the scan adds.")
    scanned_at = models.DateTimeField(
        help_text="The device's time of the scan, bounded to the count's start and its arrival."
    )
    received_at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    line = models.ForeignKey(
        StocktakeLine, on_delete=models.SET_NULL, null=True, blank=True, related_name="scans"
    )
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    resolution = models.CharField(max_length=16, choices=Resolution.choices, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["stocktake", "scan_id"], name="uniq_stocktake_scan_id"),
        ]

    def __str__(self) -> str:
        return f"{self.scan_id}: {self.code} x{self.quantity}, {self.outcome}"
