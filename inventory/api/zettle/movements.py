"""How Zettle's movements map onto the write path (see inventory.api.zettle.views for the routes):
the request body, what its UUIDs name (in a constant number of queries), the refusals made
before anything is written, and the ONE batch a request becomes.

- Each change moves a positive `change` of one variant (an item, by its `uuid`) from one
  location to another. A store end is a balance; a virtual end (SUPPLIER, SOLD, BIN) is not:
  SUPPLIER→store adds, store→SOLD/BIN/SUPPLIER subtracts, and a movement between two virtual
  locations is refused (it would change nothing we keep).
- When every change goes store→store (each balance touched once) the batch is a transfer, so
  the history calls it one. Anything else is one relative batch of the changes' effects, summed
  per balance: a transfer line cannot have a virtual end, and the relative batch applies the
  same rules to each store end (no stock below zero unless the location allows it, nor below
  the safety stock by a decrease), so mixing costs nothing. The sum makes a request order-free,
  as one transaction should be: a sale and a restock of the same variant in one request are
  both applied.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated
from uuid import UUID

from django.db.models import Q
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from rest_framework import status

from inventory.api.vendor import VendorError
from inventory.api.zettle.ids import STORE, VIRTUAL_LOCATIONS
from inventory.errors import LineError
from inventory.models import MAX_BATCH_LINES, MAX_QUANTITY, Adjustment, Item
from inventory.stock import LineInput
from locations.models import DEFAULT_LOCATION_ID, Location

ENDS = ("fromLocationUuid", "toLocationUuid")


class ZettleChange(BaseModel):
    model_config = ConfigDict(extra="ignore")

    productUuid: UUID = Field(description="The variant's product: a mismatch is refused.")
    variantUuid: UUID = Field(description="The item's `uuid`.")
    fromLocationUuid: UUID
    toLocationUuid: UUID
    change: Annotated[StrictInt, Field(gt=0, le=MAX_QUANTITY)] = Field(
        description="How many units move: always positive."
    )


class ZettleMovements(BaseModel):
    """Zettle's `PUT /organizations/self/inventory` body."""

    model_config = ConfigDict(extra="ignore")

    changes: list[ZettleChange] = Field(min_length=1, max_length=MAX_BATCH_LINES)
    returnBalanceForLocationUuid: UUID | None = Field(
        default=None, description="A STORE location; the default STORE when left out."
    )
    externalUuid: UUID | None = Field(
        default=None, description="Makes the request idempotent: a repeat applies nothing."
    )


@dataclass(frozen=True, slots=True)
class Place:
    """Where a movement starts or ends: one of our locations (a STORE) or a virtual one."""

    uuid: UUID
    type: str
    location_id: int | None = None

    @property
    def is_store(self) -> bool:
        return self.type == STORE


@dataclass(frozen=True, slots=True)
class Variant:
    item_id: int
    sku: str
    product_uuid: UUID
    tracked: bool


@dataclass(frozen=True, slots=True)
class Found:
    """What a request's UUIDs name."""

    places: dict[UUID, Place]
    variants: dict[UUID, Variant]
    default_store: Place | None


def default_store_id(allowed: set[int] | None) -> int:
    """Zettle's default STORE: location 1, or the first location a restricted token may see
    (location 1 again for a token left with none: refuse_outside then refuses it)."""
    if allowed is None or DEFAULT_LOCATION_ID in allowed or not allowed:
        return DEFAULT_LOCATION_ID
    return min(allowed)


def find(body: ZettleMovements, default_id: int) -> Found:
    """Resolve every UUID of the request: two queries whatever the number of changes."""
    location_uuids = {getattr(change, end) for change in body.changes for end in ENDS}
    if body.returnBalanceForLocationUuid is not None:
        location_uuids.add(body.returnBalanceForLocationUuid)
    virtual = location_uuids & VIRTUAL_LOCATIONS.keys()
    places = {uuid: Place(uuid, VIRTUAL_LOCATIONS[uuid]) for uuid in virtual}
    ours = Location.objects.filter(Q(uuid__in=location_uuids - virtual) | Q(pk=default_id))
    default_store = None
    for pk, uuid in ours.values_list("pk", "uuid"):
        places[uuid] = Place(uuid, STORE, pk)
        if pk == default_id:
            default_store = places[uuid]
    items = Item.objects.filter(uuid__in={change.variantUuid for change in body.changes})
    variants = {
        uuid: Variant(*row)
        for uuid, *row in items.values_list("uuid", "pk", "sku", "product_uuid", "zettle_tracking")
    }
    return Found(places, variants, default_store)


def refuse_unknown(body: ZettleMovements, found: Found) -> None:
    """422 naming every UUID that names nothing (or a variant of another product, or of a
    product whose tracking is stopped), and every movement that cannot be made."""
    errors: dict[str, str] = {}
    for n, change in enumerate(body.changes):
        errors.update(change_errors(f"changes[{n}]", change, found))
    target = body.returnBalanceForLocationUuid
    if target is not None and target not in found.places:
        errors["returnBalanceForLocationUuid"] = "No location has this UUID."
    elif target is not None and not found.places[target].is_store:
        errors["returnBalanceForLocationUuid"] = "Balances are kept at STORE locations only."
    if errors:
        raise VendorError(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "The request names unknown or untracked variants or locations, or impossible "
            "movements.",
            errors,
            code="invalid_movement",
        )


def change_errors(path: str, change: ZettleChange, found: Found) -> dict[str, str]:
    errors = {}
    variant = found.variants.get(change.variantUuid)
    if variant is None:
        errors[f"{path}.variantUuid"] = "No variant (item) has this UUID."
    elif variant.product_uuid != change.productUuid:
        errors[f"{path}.productUuid"] = (
            f"The variant (SKU {variant.sku}) belongs to product {variant.product_uuid}."
        )
    elif not variant.tracked:
        errors[f"{path}.productUuid"] = (
            "Tracking of this product is stopped: start it with POST /organizations/self/inventory."
        )
    for end in ENDS:
        if getattr(change, end) not in found.places:
            errors[f"{path}.{end}"] = "No location has this UUID."
    if errors:
        return errors
    source, destination = (found.places[getattr(change, end)] for end in ENDS)
    if source == destination:
        errors[f"{path}.toLocationUuid"] = "The stock would move to where it already is."
    elif not (source.is_store or destination.is_store):
        message = f"A movement from {source.type} to {destination.type} changes no stock: "
        message += "one end must be a STORE location."
        errors.update({f"{path}.{end}": message for end in ENDS})
    return errors


def refuse_outside(allowed: set[int] | None, body: ZettleMovements, found: Found) -> None:
    """403 naming each store a restricted token may not change (or read, for the answer)."""
    if allowed is None:
        return
    named = [
        (f"changes[{n}].{end}", getattr(change, end))
        for n, change in enumerate(body.changes)
        for end in ENDS
    ]
    if body.returnBalanceForLocationUuid is not None:
        named.append(("returnBalanceForLocationUuid", body.returnBalanceForLocationUuid))
    refused = {
        path: f"Location {place.location_id} is not allowed for this token."
        for path, uuid in named
        if (place := found.places[uuid]).is_store and place.location_id not in allowed
    }
    if refused:
        raise VendorError(
            status.HTTP_403_FORBIDDEN,
            "This token may not touch stock at these locations.",
            refused,
            code="location_not_allowed",
        )


# How the write path's field names read in a change, for each end a line stands for.
FROM_END = {"location_id": "fromLocationUuid", "quantity": "change", "sku": "variantUuid"}
TO_END = {**FROM_END, "location_id": "toLocationUuid"}
BOTH_ENDS = {**FROM_END, "to_location_id": "toLocationUuid"}


@dataclass
class Movement:
    """One batch for the write path, and for each of its lines the changes it comes from (with
    how the line's fields are named there), to name them in a refusal."""

    kind: Adjustment.Kind
    lines: list[LineInput] = field(default_factory=list)
    origins: list[list[tuple[int, dict[str, str]]]] = field(default_factory=list)


def plan_movement(changes: Sequence[ZettleChange], found: Found) -> Movement:
    """A transfer batch when every change goes store→store and touches its balances once;
    otherwise one relative batch, each balance's effects summed (see the module docstring)."""
    moves = [
        (
            found.variants[change.variantUuid],
            found.places[change.fromLocationUuid],
            found.places[change.toLocationUuid],
            change.change,
        )
        for change in changes
    ]
    touched = [
        (variant.item_id, place.location_id)
        for variant, source, to, _ in moves
        for place in (source, to)
    ]
    all_stores = all(source.is_store and to.is_store for _, source, to, _ in moves)
    if all_stores and len(set(touched)) == len(touched):
        movement = Movement(Adjustment.Kind.TRANSFER)
        for n, (variant, source, to, amount) in enumerate(moves):
            movement.lines.append(
                LineInput(
                    location_id=source.location_id,
                    to_location_id=to.location_id,
                    quantity=amount,
                    sku=variant.sku,
                )
            )
            movement.origins.append([(n, BOTH_ENDS)])
        return movement
    return summed_relative(moves)


def summed_relative(moves: list[tuple[Variant, Place, Place, int]]) -> Movement:
    totals: dict[tuple[int, int], int] = {}
    origins: dict[tuple[int, int], list[tuple[int, dict[str, str]]]] = {}
    skus: dict[int, str] = {}
    for n, (variant, source, to, amount) in enumerate(moves):
        skus[variant.item_id] = variant.sku
        for place, delta, names in ((source, -amount, FROM_END), (to, amount, TO_END)):
            if place.is_store:
                key = (variant.item_id, place.location_id)
                totals[key] = totals.get(key, 0) + delta
                origins.setdefault(key, []).append((n, names))
    movement = Movement(Adjustment.Kind.RELATIVE)
    for (item_id, location_id), total in totals.items():
        movement.lines.append(LineInput(location_id=location_id, quantity=total, sku=skus[item_id]))
        movement.origins.append(origins[(item_id, location_id)])
    return movement


def line_violations(errors: Sequence[LineError], movement: Movement) -> dict[str, str]:
    """The write path's line errors, keyed by the changes the lines come from."""
    keyed: dict[str, str] = {}
    for error in errors:
        if error.index is None:
            paths = ["changes"]
        else:
            origins = movement.origins[error.index]
            paths = [f"changes[{n}].{names.get(error.field, error.field)}" for n, names in origins]
        for path in paths:
            keyed[path] = f"{keyed[path]} {error.message}" if path in keyed else error.message
    return keyed
