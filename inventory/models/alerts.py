from django.conf import settings
from django.db import models
from django.db.models import F, Q

from inventory.models.ledger import Adjustment
from inventory.models.stock import Balance


class LowStockAlert(models.Model):
    """One episode of a balance running low: opened by the change that took it below its
    warning level (or to zero), closed by the change that brought it back.

    A balance has at most one open alert (a partial unique index says so to the database), so
    an alert opens once and not again until the balance recovers. `kind` is the worst the
    episode reached: an open low-stock alert becomes an out-of-stock one when on-hand reaches
    zero (`out_of_stock_at`/`out_of_stock_by`), and stays so until the balance recovers.

    Opened and closed only by `inventory.alerts`, inside the write path's transaction; a
    manager may acknowledge an open one (`inventory.alerts.acknowledge_alerts`).
    """

    class Kind(models.TextChoices):
        LOW = "low", "Low stock"
        OUT = "out", "Out of stock"

    balance = models.ForeignKey(Balance, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    opened_at = models.DateTimeField()
    # Empty for an alert opened by `manage.py sync_low_stock_alerts` (balances already low
    # when alerts were introduced, or written around the write path by a bulk import).
    opened_by = models.ForeignKey(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="opened_alerts",
    )
    opened_quantity = models.IntegerField(help_text="On-hand when the alert opened.")
    warning_level = models.PositiveIntegerField(help_text="Warning level when the alert opened.")
    out_of_stock_at = models.DateTimeField(null=True, blank=True)
    out_of_stock_by = models.ForeignKey(
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(  # empty when closed by sync_low_stock_alerts
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="closed_alerts"
    )
    closed_quantity = models.IntegerField(
        null=True, blank=True, help_text="On-hand when the alert closed."
    )
    # A manager saying "seen, being dealt with": the alert stays open until stock is back.
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # db_default: the write path inserts alerts in SQL of its own, naming only its columns.
    acknowledgement_note = models.CharField(
        "note", max_length=500, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = [F("closed_at").desc(nulls_first=True), "-opened_at", "-id"]
        verbose_name = "low-stock alert"
        permissions = [("acknowledge_lowstockalert", "Can acknowledge low-stock alerts")]
        constraints = [
            models.UniqueConstraint(
                fields=["balance"],
                condition=Q(closed_at__isnull=True),
                name="uniq_open_alert_per_balance",
            ),
        ]
        indexes = [models.Index(fields=["-opened_at"], name="alert_opened_recent")]

    def __str__(self) -> str:
        state = "open" if self.is_open else "resolved"
        return f"{self.get_kind_display()} alert #{self.pk} ({state})"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def is_acknowledged(self) -> bool:
        return self.acknowledged_at is not None
