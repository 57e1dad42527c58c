"""What the API's transfer order and receipt writes share (`transfer_orders.py`,
`receipts.py`; ours, beside BigCommerce's paths): each view reads the body, checks the token's
locations, resolves the lines' items, calls the service (inventory.movements.services) and maps
its refusals to problem+json; the services hold every rule.

A token restricted to some locations sees a transfer with either end among them, and may change
(create, ship, receive, cancel, close) only one with both ends among them: a transfer moves stock
out of one location and into the other, so each of its steps answers for both. A receipt
belongs to its one location. A document the token may not see does not exist for it (404)."""

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from django.db.models import Q
from pydantic import BaseModel
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import allowed_location_ids
from inventory.api.errors import Problem, domain_error_response, listing_title, problem_response
from inventory.api.idempotent import idempotent_write
from inventory.api.openapi import problems
from inventory.api.schemas.movements import (
    LineIdentity,
)
from inventory.errors import (
    AdjustmentRejected,
    ErrorCode,
    InventoryError,
    MovementNotAllowed,
    MovementRejected,
)
from inventory.models import (
    ApiClient,
    Item,
    TransferOrder,
)
from inventory.movements.services import Arrival, Who
from inventory.sql import values_source
from inventory.stock.resolve import ItemIndex, ItemRef
from locations.models import Location

# The services' names for what is wrong with a document as a whole, as the request names them.
DOCUMENT_FIELDS = {
    "origin": "origin_location_id",
    "destination": "destination_location_id",
    "location": "location_id",
    "supplier": "supplier",
    "lines": "lines",
}
# How a line may name its item (in LineIdentity.given()'s order): the item's column, its SQL type.
ITEM_COLUMNS = {
    "sku": ("sku", "text"),
    "variant_id": ("variant_id", "bigint"),
    "product_id": ("product_id", "bigint"),
    "item_id": ("pk", "bigint"),
}
IDENTITIES = tuple(ITEM_COLUMNS)
BOTH_ENDS = " A token restricted to some locations needs both of the transfer's among them."
STEP_ERRORS = problems(400, 401, 403, 404, 409, 413, 415, 422, 429)


# The token's locations


def refuse_outside(client: ApiClient, located: dict[str, int]) -> None:
    """403 when any of these locations (by the request's field) is not the token's."""
    allowed = allowed_location_ids(client)
    if allowed is None:
        return
    refused = {path: pk for path, pk in located.items() if pk not in allowed}
    if refused:
        raise Problem(
            status.HTTP_403_FORBIDDEN,
            "This token may not change stock at these locations: "
            + ", ".join(str(pk) for pk in sorted(set(refused.values()))),
            {path: f"Location {pk} is not allowed for this token." for path, pk in refused.items()},
        )


def may_change_transfer(client: ApiClient, transfer: TransferOrder) -> None:
    refuse_outside(
        client,
        {
            "origin_location_id": transfer.origin_id,
            "destination_location_id": transfer.destination_id,
        },
    )


def existing_locations(located: dict[str, int]) -> dict[str, Location]:
    """The locations the request names, by its field; 422 naming each that does not exist."""
    found = Location.objects.in_bulk(set(located.values()))
    unknown = {path: pk for path, pk in located.items() if pk not in found}
    if unknown:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "Payload contains invalid fields",
            {path: f"Location {pk} does not exist." for path, pk in unknown.items()},
        )
    return {path: found[pk] for path, pk in located.items()}


# The lines' items


def resolve_items(lines: Sequence[LineIdentity]) -> list[Item]:
    """Each line's item, in one query whatever the number of lines, by the write path's own
    meanings of sku, variant_id, product_id and item_id; 422 naming every line whose
    identity finds no item (or items that disagree)."""
    wanted = Q(pk__in=[])
    for name, (column, sql_type) in ITEM_COLUMNS.items():
        values = sorted({value for line in lines if (value := getattr(line, name)) is not None})
        if values:
            wanted |= Q(**{f"{column}__in": values_source(values, sql_type)})
    found = {item.pk: item for item in Item.objects.filter(wanted).order_by()}
    index = ItemIndex(
        [
            ItemRef(item.pk, item.sku, item.variant_id, item.product_id, item.tracking)
            for item in found.values()
        ]
    )
    items, errors = [], []
    for number, line in enumerate(lines):
        given = [
            (name, value)
            for name, value in zip(IDENTITIES, line.given(), strict=True)
            if value is not None
        ]
        ref, error = index.resolve(number, given)
        if error is not None:
            errors.append(error)
        else:
            items.append(found[ref.id])
    if errors:
        raise Problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            listing_title([error.message for error in errors]),
            {f"lines.{error.index}.{error.field}": error.message for error in errors},
        )
    return items


def named_by(lines: Sequence[LineIdentity]) -> dict[int, str]:
    """The field each line names its item by first: where an error about its item points."""
    return {
        number: next(
            name for name, value in zip(IDENTITIES, line.given(), strict=True) if value is not None
        )
        for number, line in enumerate(lines)
    }


# Refusals


def refusal(
    error: InventoryError,
    *,
    lines: Sequence[LineIdentity] = (),
    rename: dict[str, str] | None = None,
    positions: Sequence[int] | None = None,
    place: str | None = None,
) -> Response:
    """A service's refusal as problem+json: a step the document's status does not allow is
    409, one the caller may not take 403; rules broken by the lines or the document 422 with
    each failing field's path (`lines.2.received`, `destination_location_id`).

    The write path's own refusals (shipping, stocking what arrived) name lines by its batch:
    `positions` maps them to the request's when it was given only some of them, and an error
    about a line's location is about the document's `place` (its origin, its destination)."""
    if isinstance(error, MovementNotAllowed):
        code = 403 if error.code == ErrorCode.NOT_PERMITTED else 409
        return problem_response(code, error.message)
    if isinstance(error, AdjustmentRejected):
        from_write_path = not isinstance(error, MovementRejected)
        items_named_by = named_by(lines)
        fixed = []
        for line_error in error.errors:
            index, field = line_error.index, line_error.field
            if from_write_path and index is not None and place and field == "location_id":
                index, field = None, place
            elif from_write_path and index is not None and positions is not None:
                index = positions[index]
            if field == "item" and index in items_named_by:
                field = items_named_by[index]
            fixed.append(replace(line_error, index=index, field=field))
        error = type(error)(fixed)
    return domain_error_response(error, prefix="lines", rename=rename, whole=DOCUMENT_FIELDS)


def written(request: Request, write: Callable[[], BaseModel], **mapping: Any) -> Response:
    """`write()` with the request's Idempotency-Key: its answer is kept and replayed to a retry.
    A refusal keeps nothing, so a corrected retry may reuse the key."""
    try:
        return idempotent_write(request, lambda: write().model_dump(mode="json"))
    except (AdjustmentRejected, MovementNotAllowed) as error:
        return refusal(error, **mapping)


def who(request: Request) -> Who:
    return Who(api_client=request.auth)


def arrivals(items: list[Item], lines) -> list[Arrival]:
    return [
        Arrival(
            item=item,
            received=line.received,
            damaged=line.damaged,
            missing=getattr(line, "missing", 0),
        )
        for item, line in zip(items, lines, strict=True)
    ]


def body_of(model: type[BaseModel], request: Request) -> Any:
    """A step's optional body: none at all reads as `{}`."""
    data = request.data
    return model.model_validate({} if data is None or data == {} else data)
