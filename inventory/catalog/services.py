"""The item catalog's write: upsert a batch of items by SKU, all or nothing, set-based.

A constant number of statements whatever the batch size: one SELECT of the batch's existing
items (locked), one SELECT of the items holding a barcode, variant_id or product_id the batch
wants, one INSERT of the new items and one UPDATE of the changed ones (a whole batch travels as
one array per column, see inventory.sql), and one SELECT to return them as stored. Every
uniqueness rule of the Item table is checked before writing, so a conflict is a refusal naming
the fields, never an IntegrityError.
"""

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from inventory.errors import InventoryError
from inventory.models import MAX_BATCH_LINES, Item
from inventory.models.catalog import product_uuids
from inventory.sql import db_datetime, rows_source, table, values_source

Tracking = Item.Tracking
OPTIONAL_FIELDS = frozenset({"variant_id", "name", "barcode", "tracking"})
WRITTEN_FIELDS = ("product_id", "variant_id", "name", "barcode", "tracking")


class CatalogErrorCode(StrEnum):
    EMPTY_BATCH = "empty_batch"
    TOO_MANY_LINES = "too_many_lines"
    DUPLICATE = "duplicate_in_batch"
    TAKEN = "taken_by_another_item"
    VARIANT_REQUIRED = "variant_id_required"


@dataclass(frozen=True, slots=True)
class CatalogError:
    index: int | None  # None: the batch as a whole
    field: str
    code: CatalogErrorCode
    message: str


class CatalogRejected(InventoryError):
    """The batch breaks a rule; nothing was written. Lists every failing line."""

    def __init__(self, errors: list[CatalogError]) -> None:
        self.errors = errors
        self.code = errors[0].code  # type: ignore[assignment]
        super().__init__("; ".join(error.message for error in errors))


class CatalogConflict(InventoryError):
    """Another request changed the same items at the same moment; retrying is safe."""

    def __init__(self) -> None:
        super().__init__("The catalog changed while this request ran; retry it.")


@dataclass(frozen=True, slots=True)
class ItemInput:
    """One item to create or update, found by `sku`. Only the optional fields named in `given`
    are applied to an existing item; the others keep their stored values (a new item gets the
    defaults). `variant_id` None means none; `tracking` None means "variant" when the item has
    a variant_id, else "product" (for an existing item, only if `variant_id` is given)."""

    sku: str
    product_id: int
    variant_id: int | None = None
    name: str = ""
    barcode: str = ""
    tracking: str | None = None
    given: frozenset[str] = field(default=OPTIONAL_FIELDS)


@dataclass(frozen=True, slots=True)
class _Stored:
    """An existing item's id and the values an upsert may change (WRITTEN_FIELDS order)."""

    pk: int
    product_id: int | None
    variant_id: int | None
    name: str
    barcode: str
    tracking: str

    def values(self) -> tuple:
        return (self.product_id, self.variant_id, self.name, self.barcode, self.tracking)


@dataclass(slots=True)
class _Row:
    index: int
    sku: str
    product_id: int
    variant_id: int | None
    name: str
    barcode: str
    tracking: str
    existing: _Stored | None

    def values(self) -> tuple:
        return (self.product_id, self.variant_id, self.name, self.barcode, self.tracking)

    def changed(self) -> bool:
        assert self.existing is not None
        return self.values() != self.existing.values()


def upsert_items(*, items: Sequence[ItemInput]) -> list[Item]:
    """Create or update every item of the batch, or none; returns them as stored, in order.

    Raises CatalogRejected listing every failing line (duplicates within the batch, a
    barcode / variant_id / by-product product_id that belongs to another SKU, a by-variant item
    without variant_id), or CatalogConflict if a concurrent request won a race for a value.
    Existing items are locked in id order for the transaction.
    """
    if not items:
        raise CatalogRejected(
            [CatalogError(None, "items", CatalogErrorCode.EMPTY_BATCH, "The batch is empty.")]
        )
    if len(items) > MAX_BATCH_LINES:
        raise CatalogRejected(
            [
                CatalogError(
                    None,
                    "items",
                    CatalogErrorCode.TOO_MANY_LINES,
                    f"At most {MAX_BATCH_LINES} items per request, not {len(items)}.",
                )
            ]
        )
    skus = [item.sku for item in items]
    with transaction.atomic():
        existing = {
            sku: _Stored(pk, *values)
            for pk, sku, *values in Item.objects.select_for_update(no_key=True)
            .filter(sku__in=values_source(skus, "text"))
            .order_by("pk")
            .values_list("pk", "sku", *WRITTEN_FIELDS)
        }
        rows = [_merge(index, item, existing.get(item.sku)) for index, item in enumerate(items)]
        errors = _batch_errors(rows) + _taken_errors(rows)
        if errors:
            raise CatalogRejected(sorted(errors, key=lambda error: (error.index or 0, error.field)))
        now = timezone.now()
        product_uuids = _product_uuids(rows)
        try:
            _insert([row for row in rows if row.existing is None], product_uuids, now)
            _update(
                [row for row in rows if row.existing is not None and row.changed()],
                product_uuids,
                now,
            )
        except IntegrityError as exc:
            raise CatalogConflict() from exc
        stored = {
            item.sku: item
            for item in Item.objects.filter(sku__in=values_source(skus, "text")).only(
                "sku", *WRITTEN_FIELDS, "uuid", "product_uuid"
            )
        }
    return [stored[sku] for sku in skus]


def _merge(index: int, item: ItemInput, existing: _Stored | None) -> _Row:
    """The row as it will be stored: the item's fields, but an existing item's stored value
    for each optional field the request left out."""
    keep = existing if existing is not None else item  # a new item takes ItemInput's defaults
    variant_id = item.variant_id if "variant_id" in item.given else keep.variant_id
    if item.tracking is not None and "tracking" in item.given:
        tracking = item.tracking
    elif existing is None or "variant_id" in item.given:
        tracking = Tracking.VARIANT if variant_id is not None else Tracking.PRODUCT
    else:
        tracking = existing.tracking
    return _Row(
        index=index,
        sku=item.sku,
        product_id=item.product_id,
        variant_id=variant_id,
        name=item.name if "name" in item.given else keep.name,
        barcode=item.barcode if "barcode" in item.given else keep.barcode,
        tracking=str(tracking),
        existing=existing,
    )


def _unique_values(row: _Row) -> Iterable[tuple[str, object, str]]:
    """(field, value, how to name it) for each value of `row` that must be unique."""
    if row.barcode:
        yield "barcode", row.barcode, f"Barcode {row.barcode!r}"
    if row.variant_id is not None:
        yield "variant_id", row.variant_id, f"variant_id {row.variant_id}"
    if row.tracking == Tracking.PRODUCT:
        yield "product_id", row.product_id, f"product_id {row.product_id} (tracked by product)"


def _batch_errors(rows: list[_Row]) -> list[CatalogError]:
    errors = []
    first: dict[tuple[str, object], int] = {}
    for row in rows:
        if row.tracking == Tracking.VARIANT and row.variant_id is None:
            errors.append(
                CatalogError(
                    row.index,
                    "variant_id",
                    CatalogErrorCode.VARIANT_REQUIRED,
                    f"SKU {row.sku}: an item tracked by variant needs a variant_id.",
                )
            )
        for name, value, label in [("sku", row.sku, f"SKU {row.sku!r}"), *_unique_values(row)]:
            seen = first.setdefault((name, value), row.index)
            if seen != row.index:
                errors.append(
                    CatalogError(
                        row.index,
                        name,
                        CatalogErrorCode.DUPLICATE,
                        f"{label} appears more than once in this request (first at {seen}).",
                    )
                )
    return errors


def _taken_errors(rows: list[_Row]) -> list[CatalogError]:
    """Values the batch wants that an item with another SKU holds (one query). A value is
    refused even if its holder gives it up in the same batch: swap in two requests."""
    wanted: dict[str, set] = {"barcode": set(), "variant_id": set(), "product_id": set()}
    for row in rows:
        for name, value, _ in _unique_values(row):
            wanted[name].add(value)
    query = (
        Q(barcode__in=values_source(sorted(wanted["barcode"]), "text"))
        | Q(variant_id__in=values_source(sorted(wanted["variant_id"]), "bigint"))
        | Q(
            tracking=Tracking.PRODUCT,
            product_id__in=values_source(sorted(wanted["product_id"]), "bigint"),
        )
    )
    holders: dict[tuple[str, object], str] = {}
    for sku, barcode, variant_id, product_id, tracking in Item.objects.filter(query).values_list(
        "sku", "barcode", "variant_id", "product_id", "tracking"
    ):
        if barcode:
            holders[("barcode", barcode)] = sku
        if variant_id is not None:
            holders[("variant_id", variant_id)] = sku
        if tracking == Tracking.PRODUCT:
            holders[("product_id", product_id)] = sku
    errors = []
    for row in rows:
        for name, value, label in _unique_values(row):
            holder = holders.get((name, value))
            if holder is not None and holder != row.sku:
                errors.append(
                    CatalogError(
                        row.index,
                        name,
                        CatalogErrorCode.TAKEN,
                        f"{label} belongs to SKU {holder}.",
                    )
                )
    return errors


def _uuid(value: uuid.UUID) -> str:
    # PostgreSQL has a uuid type; Django keeps UUIDs in SQLite as 32 hex digits.
    return str(value) if connection.vendor == "postgresql" else value.hex


def _product_uuids(rows: list[_Row]) -> dict[int, uuid.UUID]:
    """The product UUID of each new item and of each item moved to another product."""
    moved = [
        row.product_id
        for row in rows
        if row.existing is None or row.existing.product_id != row.product_id
    ]
    return product_uuids(moved) if moved else {}


def _insert(rows: list[_Row], product_uuids: dict[int, uuid.UUID], now) -> None:
    if not rows:
        return
    source, params = rows_source(
        [
            (row.sku, *row.values(), _uuid(uuid.uuid4()), _uuid(product_uuids[row.product_id]))
            for row in rows
        ],
        ["text", "bigint", "bigint", "text", "text", "text", "uuid", "uuid"],
    )
    columns = ", ".join(
        ["sku", *WRITTEN_FIELDS, "uuid", "product_uuid", "created_at", "updated_at"]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table(Item)} ({columns})"
            " SELECT v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,"
            f" v.column8, %s, %s FROM ({source}) AS v",
            [db_datetime(now), db_datetime(now), *params],
        )


def _update(rows: list[_Row], product_uuids: dict[int, uuid.UUID], now) -> None:
    """An item moved to another product takes that product's UUID; the others keep theirs."""
    if not rows:
        return
    source, params = rows_source(
        [
            (
                row.existing.pk,  # type: ignore[union-attr]
                *row.values(),
                _uuid(product_uuids[row.product_id]) if row.product_id in product_uuids else None,
            )
            for row in rows
        ],
        ["bigint", "bigint", "bigint", "text", "text", "text", "uuid"],
    )
    item_table = table(Item)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {item_table} SET product_id = v.column2, variant_id = v.column3,"
            " name = v.column4, barcode = v.column5, tracking = v.column6,"
            " product_uuid = COALESCE(v.column7, product_uuid), updated_at = %s"
            f" FROM ({source}) AS v WHERE {item_table}.id = v.column1",
            [db_datetime(now), *params],
        )


def set_zettle_tracking(*, product_uuid: uuid.UUID, tracked: bool) -> bool:
    """Start or stop Zettle's tracking of every item of a product (balances are never touched);
    items already so are left as they are. False when no item carries this product UUID."""
    items = Item.objects.filter(product_uuid=product_uuid)
    if not items.exists():
        return False
    items.exclude(zettle_tracking=tracked).update(
        zettle_tracking=tracked, updated_at=timezone.now()
    )
    return True
