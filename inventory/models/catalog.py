"""Items (what a store stocks, by SKU, variant or product) and the catalog's size, kept by the
database."""

import uuid
from collections.abc import Iterable

from django.db import models
from django.db.models import Q

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


class CatalogSize(models.Model):
    """How many items there are: one row, kept by triggers on PostgreSQL (migration 0031). The
    API's item lists report the total on every page, and at a million items counting them
    costs more than the page itself. SQLite counts instead (`inventory.stock.selectors.item_total`)."""

    items = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.items} items"
