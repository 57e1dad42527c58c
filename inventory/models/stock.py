import secrets
import uuid
from collections.abc import Iterable
from datetime import timedelta
from time import time_ns

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Cast, Right

from locations.models import Location

# BigCommerce refuses inventory levels above a signed 32-bit integer; so do we.
MAX_QUANTITY = 2_147_483_647
MAX_BATCH_LINES = 2000


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


# Of the UUIDs Stockroom derives (products, Zettle's virtual locations): clients store them,
# so the namespace never changes.
DERIVED_UUID_NAMESPACE = uuid.UUID("83cc8b82-3d6e-4677-acd5-72b915a3dcd8")


def derived_product_uuid(product_id: int) -> uuid.UUID:
    return uuid.uuid5(DERIVED_UUID_NAMESPACE, f"product:{product_id}")


def own_product_uuid(item_uuid: uuid.UUID) -> uuid.UUID:
    """The product UUID of an item without a product id: it is a product of its own."""
    return uuid.uuid5(DERIVED_UUID_NAMESPACE, f"item:{item_uuid}")


def product_uuids(product_ids: Iterable[int | None]) -> dict[int, uuid.UUID]:
    """The UUID of each product (one query): the one its items already carry, else the one
    derived from its product id. So every item of a product carries the same UUID, and a
    product whose UUID was given keeps it for the variants added later. An empty product id
    names no product (`own_product_uuid`)."""
    wanted = {product_id for product_id in product_ids if product_id is not None}
    known = dict(
        Item.objects.filter(product_id__in=wanted)
        .order_by()
        .values_list("product_id", "product_uuid")
        .distinct()
    )
    return {
        product_id: known.get(product_id) or derived_product_uuid(product_id)
        for product_id in wanted
    }


def item_label(sku: str, name: str) -> str:
    """How a person reads an item everywhere: "TEE-BLA-M · Tee black M"."""
    return f"{sku} · {name}" if name else sku


class ItemQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        # bulk_create skips save(): give the new items their product's UUID here too.
        objs = list(objs)
        missing = [item for item in objs if item.product_uuid is None]
        if missing:
            found = product_uuids(item.product_id for item in missing)
            for item in missing:
                item.product_uuid = item.catalogue_product_uuid(found)
        return super().bulk_create(objs, *args, **kwargs)


class Item(models.Model):
    """Something we stock: a variant, or a product tracked as a whole."""

    class Tracking(models.TextChoices):
        PRODUCT = "product", "As a whole"
        VARIANT = "variant", "As a variant of a product"

    sku = models.CharField(
        "SKU",
        max_length=255,
        unique=True,
        help_text="Your code for the item, unique: what people type to find it and what "
        "other systems name it by.",
    )
    # BigCommerce's catalogue ids: a store without BigCommerce has none. A BigCommerce client
    # may name an item by them instead of its SKU (inventory.stock.resolve).
    product_id = models.PositiveIntegerField(
        "BigCommerce product id",
        null=True,
        blank=True,
        db_index=True,
        help_text="Only if you sell through BigCommerce: the id of the item's product in its "
        "catalogue, for BigCommerce clients that change stock by product id. Leave it empty "
        "otherwise.",
    )
    variant_id = models.PositiveIntegerField(
        "BigCommerce variant id",
        null=True,
        blank=True,
        unique=True,
        help_text="Only for a variant (a size, a colour) of a BigCommerce product: its id in "
        "the BigCommerce catalogue, for BigCommerce clients that change stock by variant id.",
    )
    name = models.CharField(
        max_length=255, blank=True, help_text="What people call it, shown beside the SKU."
    )
    barcode = models.CharField(
        max_length=64,
        blank=True,
        help_text="The GTIN, UPC or EAN printed on the label, so a scanner finds the item when "
        "adjusting or counting stock. Optional; no two items share one.",
    )
    tracking = models.CharField(
        "stock tracked",
        max_length=16,
        choices=Tracking.choices,
        default=Tracking.PRODUCT,
        help_text="As a whole unless the item is one of several variants of a BigCommerce "
        "product, which BigCommerce counts by variant id.",
    )
    uuid = models.UUIDField("identifier", default=uuid.uuid4, unique=True, editable=False)
    product_uuid = models.UUIDField(
        "product identifier",
        db_index=True,
        editable=False,
        help_text="Its product's UUID, the same for every item of the product (Zettle's "
        "productUuid).",
    )
    zettle_tracking = models.BooleanField(
        "tracked in Zettle",
        default=True,
        db_default=True,  # for the catalog's INSERT too
        help_text="Only if you sell through Zettle. When off, Zettle neither reads nor moves "
        "this item's stock (Zettle's stop tracking of its product); its stock is kept, and every "
        "other channel changes it as before.",
    )
    created_at = models.DateTimeField("created", auto_now_add=True)
    updated_at = models.DateTimeField("last changed", auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["barcode"],
                condition=~Q(barcode=""),
                name="uniq_item_barcode_when_set",
                violation_error_message="Another item already has this barcode: check the "
                "label, or leave the barcode empty.",
            ),
            # A product_id names one item only when the product is tracked as a whole.
            models.UniqueConstraint(
                fields=["product_id"],
                condition=Q(tracking="product"),
                name="uniq_item_product_when_tracked_by_product",
                violation_error_message="Another item with this product id is tracked as a "
                "whole: track this one as a variant, or use another product id.",
            ),
            models.CheckConstraint(
                condition=Q(tracking="product") | Q(variant_id__isnull=False),
                name="item_tracked_by_variant_has_variant_id",
                violation_error_message="An item tracked as a variant needs its BigCommerce "
                "variant id: enter it, or keep the item's stock as a whole.",
            ),
        ]

    def __str__(self) -> str:
        return item_label(self.sku, self.name)

    def save(self, *args, **kwargs):
        # A new item, or one moved to another product, carries its product's UUID.
        moved = self.product_id != getattr(self, "_stored_product_id", self.product_id)
        if self.product_uuid is None or moved:
            self.product_uuid = self.catalogue_product_uuid(product_uuids([self.product_id]))
        super().save(*args, **kwargs)
        self._stored_product_id = self.product_id

    @classmethod
    def from_db(cls, db, field_names, values):
        item = super().from_db(db, field_names, values)
        item._stored_product_id = item.__dict__.get("product_id")
        return item

    def catalogue_product_uuid(self, found: "dict[int, uuid.UUID]") -> "uuid.UUID":
        """Its product's UUID, from `product_uuids`; its own without a product id."""
        if self.product_id is None:
            return own_product_uuid(self.uuid)
        return found[self.product_id]


class StockLevel(models.IntegerChoices):
    """What is low and what is out of stock, as BigCommerce tells a store owner: a balance is
    out of stock at on-hand 0 or below, and low when it has a warning level and on-hand is
    under it. The rule is written here three ways, side by side (tests/stock/test_rules.py
    proves they agree): in Python, in SQL for the write path's statements, and as the
    expression of the balance's own `stock_level` column."""

    OK = 0, "In stock"
    LOW = 1, "Below warning level"
    OUT = 2, "Out of stock"


def stock_level(quantity: int, warning_level: int) -> StockLevel:
    if quantity <= 0:
        return StockLevel.OUT
    if warning_level > 0 and quantity < warning_level:
        return StockLevel.LOW
    return StockLevel.OK


def stock_level_sql(quantity: str, warning_level: str) -> str:
    """`stock_level` as an SQL expression of two columns."""
    return (
        f"CASE WHEN {quantity} <= 0 THEN {StockLevel.OUT.value}"
        f" WHEN {warning_level} > 0 AND {quantity} < {warning_level} THEN {StockLevel.LOW.value}"
        f" ELSE {StockLevel.OK.value} END"
    )


IS_OUT = Q(quantity__lte=0)
IS_LOW = Q(warning_level__gt=0, quantity__lt=F("warning_level"))


def _stock_level_expression() -> Case:
    return Case(
        When(IS_OUT, then=Value(StockLevel.OUT.value)),
        When(IS_LOW, then=Value(StockLevel.LOW.value)),
        default=Value(StockLevel.OK.value),
    )


def _shortfall_expression() -> Case:
    return Case(
        When(IS_OUT, then=F("quantity")),
        When(IS_LOW, then=F("quantity") - F("warning_level")),
        default=None,
    )


class Balance(models.Model):
    """On-hand stock of one item at one location, plus BigCommerce's per-location settings.

    `quantity` is written only by inventory.stock.apply (one transaction, with ledger lines).
    """

    # Few indexes, none on quantity: a quantity update then touches no index at all (a HOT
    # update, helped by the table's fillfactor), which halves the cost of a 2000-line batch.
    # uniq_balance_item_location serves lookups by item.
    item = models.ForeignKey(
        Item, on_delete=models.PROTECT, related_name="balances", db_index=False
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="balances")
    quantity = models.IntegerField("on hand", default=0)
    safety_stock = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_QUANTITY)]
    )
    warning_level = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(MAX_QUANTITY)]
    )
    is_in_stock = models.BooleanField(
        "available for sale",
        default=True,
        help_text="Available for purchase regardless of quantity (BigCommerce).",
    )
    bin_picking_number = models.CharField("bin", max_length=64, blank=True)
    updated_at = models.DateTimeField("last changed", auto_now=True)
    # Kept by the database from the two columns above, for the dashboards' lists of what is
    # low and what is out. Indexed where they are not OK, so they cost an ordinary write
    # nothing: a change that leaves a balance in stock leaves both unchanged (NULL shortfall),
    # so no indexed column changes and the update stays HOT, where an index on `quantity`
    # would cost every write its HOT update. Only a write to a low or out-of-stock balance
    # (or one that crosses a line) updates the index.
    stock_level = models.GeneratedField(
        expression=_stock_level_expression(),
        output_field=models.SmallIntegerField(choices=StockLevel.choices),
        db_persist=True,
    )
    # Lower is more urgent: on-hand when out of stock, on-hand minus the warning level when
    # low; empty when in stock.
    shortfall = models.GeneratedField(
        expression=_shortfall_expression(),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )

    class Meta:
        verbose_name = "stock level"
        ordering = ["item__sku", "location_id"]
        permissions = [("adjust_stock", "Can adjust stock through the adjust form")]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "location"],
                name="uniq_balance_item_location",
                violation_error_message="This item already has a stock level at this location.",
            ),
            models.CheckConstraint(
                condition=Q(quantity__lte=MAX_QUANTITY) & Q(quantity__gte=-MAX_QUANTITY),
                name="balance_quantity_in_range",
                violation_error_message=f"On hand must be between -{MAX_QUANTITY} and "
                f"{MAX_QUANTITY}.",
            ),
        ]
        indexes = [
            models.Index(
                fields=["location", "stock_level", "shortfall", "item"],
                name="balance_needs_attention",
                condition=Q(stock_level__gt=StockLevel.OK),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} at {self.location}"

    @property
    def available_to_sell(self) -> int:
        return self.quantity - self.safety_stock


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
