"""On-hand stock: one balance per item and location, and how low it is (its stock level)."""

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, Q, Value, When

from inventory.models.catalog import Item
from locations.models import Location

# BigCommerce refuses inventory levels above a signed 32-bit integer; so do we.
MAX_QUANTITY = 2_147_483_647
MAX_BATCH_LINES = 2000


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
