"""Stock that moves between places over time: transfers between our locations (with a transit
stage) and supplier receipts (expected deliveries). These are documents: on-hand is changed
only by `inventory.stock.apply_adjustment` (a shipment leaves the origin, a receiving event adds
what arrived), and the quantities in between (in transit, incoming) are computed from the
lines here (`inventory.movements.selectors`), never stored twice."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from inventory.models.catalog import Item
from inventory.models.ledger import Adjustment
from locations.models import Location


class TransferOrder(models.Model):
    """Stock sent from one of our locations to another: drafted, shipped (it leaves the origin
    and is in transit), then received at the destination in one or more parts."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SHIPPED = "shipped", "In transit"
        PARTIALLY_RECEIVED = "partially_received", "Partly received"
        RECEIVED = "received", "Received"
        CLOSED = "closed", "Closed short"
        CANCELLED = "cancelled", "Cancelled"

    origin = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_out", verbose_name="from"
    )
    destination = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="transfers_in", verbose_name="to"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    reference = models.CharField(
        max_length=500, blank=True, help_text="Your own reference: a ticket, a waybill number."
    )
    note = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    api_client = models.ForeignKey(
        "inventory.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    shipped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    shipment = models.OneToOneField(
        Adjustment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="shipped_transfer",
        help_text="The ledger's record of the stock leaving the origin.",
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Received in full, closed short or cancelled."
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        permissions = [
            ("ship_transferorder", "Can ship, cancel and close transfers"),
            ("receive_transferorder", "Can receive transfers and supplier deliveries"),
            ("accept_overage", "Can accept more than was shipped or expected"),
        ]
        indexes = [
            models.Index(fields=["status", "destination"], name="transfer_open_by_destination"),
            models.Index(fields=["status", "origin"], name="transfer_open_by_origin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(origin=models.F("destination")),
                name="transfer_between_two_locations",
                violation_error_message="A transfer goes from one location to another.",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        """How people refer to it: on the packing list, in the ledger's reference."""
        return f"T-{self.pk}"

    @property
    def in_transit(self) -> bool:
        return self.status in (self.Status.SHIPPED, self.Status.PARTIALLY_RECEIVED)


class TransferLine(models.Model):
    """One item of a transfer: how many are sent, and what became of them so far."""

    transfer = models.ForeignKey(TransferOrder, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField("sent")
    received = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item__sku"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "item"], name="uniq_transfer_item"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.quantity}"

    @property
    def accounted(self) -> int:
        return self.received + self.damaged + self.missing

    @property
    def outstanding(self) -> int:
        """Still in transit: sent, and not yet received, damaged or missing."""
        return max(self.quantity - self.accounted, 0)


class SupplierReceipt(models.Model):
    """A delivery expected from a supplier, received into one location in one or more parts."""

    class Status(models.TextChoices):
        EXPECTED = "expected", "Expected"
        PARTIALLY_RECEIVED = "partially_received", "Partly received"
        RECEIVED = "received", "Received"
        CLOSED = "closed", "Closed"

    supplier = models.CharField(max_length=200)
    reference = models.CharField(
        max_length=500, blank=True, help_text="The supplier's or your order number: a PO number."
    )
    expected_on = models.DateField("expected", null=True, blank=True)
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="supplier_receipts", verbose_name="into"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.EXPECTED)
    note = models.CharField(max_length=1000, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    api_client = models.ForeignKey(
        "inventory.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Received in full, or closed with the rest not coming."
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        permissions = [("manage_supplierreceipt", "Can create and close supplier receipts")]
        indexes = [models.Index(fields=["status", "location"], name="receipt_open_by_location")]

    def __str__(self) -> str:
        return self.number

    @property
    def number(self) -> str:
        return f"R-{self.pk}"

    @property
    def open(self) -> bool:
        return self.status in (self.Status.EXPECTED, self.Status.PARTIALLY_RECEIVED)


class SupplierReceiptLine(models.Model):
    """One item of a supplier receipt: how many are expected and how many arrived so far."""

    receipt = models.ForeignKey(SupplierReceipt, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    expected = models.PositiveIntegerField()
    received = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["item__sku"]
        constraints = [
            models.UniqueConstraint(fields=["receipt", "item"], name="uniq_receipt_item"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.expected}"

    @property
    def accounted(self) -> int:
        return self.received + self.damaged

    @property
    def outstanding(self) -> int:
        """Still incoming: expected and not yet arrived."""
        return max(self.expected - self.accounted, 0)


class ReceivingEvent(models.Model):
    """One delivery, or one part of one, received at a transfer's destination or a supplier
    receipt's location: who, when, what arrived, and the adjustment that added it to on-hand
    (none when nothing arrived in a sellable state)."""

    transfer = models.ForeignKey(
        TransferOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    receipt = models.ForeignKey(
        SupplierReceipt, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    adjustment = models.OneToOneField(
        Adjustment, on_delete=models.PROTECT, null=True, blank=True, related_name="receiving"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    api_client = models.ForeignKey(
        "inventory.ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    note = models.CharField(max_length=1000, blank=True)
    overage_accepted = models.BooleanField(default=False)
    closing = models.BooleanField(
        default=False, help_text="Closed short: what was still outstanding is recorded missing."
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(transfer__isnull=True, receipt__isnull=False)
                | Q(transfer__isnull=False, receipt__isnull=True),
                name="receiving_event_of_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"Received {self.created_at:%Y-%m-%d %H:%M}"


class ReceivingEventLine(models.Model):
    event = models.ForeignKey(ReceivingEvent, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, on_delete=models.PROTECT, related_name="+")
    received = models.PositiveIntegerField(default=0)
    damaged = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.item_id}: +{self.received}"
