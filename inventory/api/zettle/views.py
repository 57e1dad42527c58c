"""Zettle's inventory movements (its `/organizations/self/…` API), so a Zettle client only swaps
its base URL (`https://inventory.izettle.com` → `https://<host>/api/zettle`) and sends a
Stockroom token as `Authorization: Bearer …`:

    GET /api/zettle/organizations/self/locations   our STORE locations and the virtual ones
    PUT /api/zettle/organizations/self/inventory   move stock; answers the resulting balances

How a request becomes ONE `apply_adjustment` call (one transaction, all or nothing, every
failing change reported) is in inventory.api.zettle.movements; the UUIDs are in
inventory.api.zettle.ids (research/seed-apis.md §2, §4).
- `productUuid` is echoed in the answer but not checked: Stockroom keeps no products, and the
  variant names the item. `/api/v3/inventory/items` lists each item's `product_uuid` to send.
- The answer lists the balance of each variant of the request at `returnBalanceForLocationUuid`,
  or at the default STORE (location 1, or the token's first location if it may not see 1),
  as Zettle does: `{"locationUuid", "variants": [{locationUuid, locationType, productUuid,
  variantUuid, balance}]}`.
- `externalUuid` makes the request idempotent per API client: a repeat applies nothing and
  gets the first answer again; the same externalUuid with another body is refused (422).
  Without it, our `Idempotency-Key` header does the same.
- Errors are Zettle's shape, `{"developerMessage", "errorType", "violations": [{"propertyName",
  "developerMessage"}]}`: 400 for a malformed body, 422 for unknown UUIDs and broken stock
  rules, 403 for locations the token may not touch, each naming the fields at fault
  (`changes[2].toLocationUuid`).
"""

import re
from collections.abc import Sequence
from typing import Literal
from uuid import UUID

from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, RootModel
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory import selectors
from inventory.api.auth import InventoryScope, allowed_location_ids
from inventory.api.idempotent import idempotency_key, run_once
from inventory.api.openapi import IDEMPOTENCY_PARAMETER, problems
from inventory.api.vendor import (
    VENDOR_AUTHENTICATION,
    Refusal,
    VendorError,
    domain_refusal,
    vendor_exception_handler,
)
from inventory.api.zettle.ids import STORE, VIRTUAL_LOCATIONS
from inventory.api.zettle.movements import (
    Found,
    Movement,
    Place,
    ZettleChange,
    ZettleMovements,
    default_store_id,
    find,
    line_violations,
    plan_movement,
    refuse_outside,
    refuse_unknown,
)
from inventory.errors import AdjustmentRejected, InventoryError
from inventory.idempotency import ZETTLE_EXTERNAL_UUID, Kept, key_of
from inventory.models import MAX_BATCH_LINES, Adjustment
from inventory.stock import apply_adjustment
from locations.models import DEFAULT_LOCATION_ID, Location

LocationType = Literal["STORE", "SUPPLIER", "SOLD", "BIN"]


class ZettleVariantBalance(BaseModel):
    locationUuid: UUID
    locationType: Literal["STORE"]  # balances are kept at STORE locations only
    productUuid: UUID
    variantUuid: UUID
    balance: int


class ZettleBalances(BaseModel):
    locationUuid: UUID
    variants: list[ZettleVariantBalance]


class ZettleLocation(BaseModel):
    uuid: UUID
    type: LocationType
    name: str
    description: str
    default: bool


class ZettleLocations(RootModel[list[ZettleLocation]]):
    pass


class ZettleViolation(BaseModel):
    propertyName: str
    developerMessage: str


class ZettleError(BaseModel):
    """Zettle's error body."""

    developerMessage: str
    errorType: str
    violations: list[ZettleViolation]


def render_error(refusal: Refusal) -> dict:
    return {
        "developerMessage": refusal.message,
        "errorType": refusal.type_name,
        "violations": [
            {"propertyName": java_path(name), "developerMessage": message}
            for name, message in refusal.fields.items()
        ],
    }


def java_path(path: str) -> str:
    """`changes.0.change` (pydantic's) → `changes[0].change` (Zettle's, bean validation's)."""
    return re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", path)


def zettle_errors(*codes: int) -> dict:
    return {(code, "application/json"): ZettleError for code in codes}


class ZettleApi(APIView):
    authentication_classes = VENDOR_AUTHENTICATION
    permission_classes = [InventoryScope]

    def get_exception_handler(self):
        return vendor_exception_handler(render_error)


# --- locations -------------------------------------------------------------------------------


def store_json(location: Location) -> dict:
    return {
        "uuid": str(location.uuid),
        "type": STORE,
        "name": location.label,
        "description": location.description,
        "default": location.pk == DEFAULT_LOCATION_ID,
    }


def virtual_json(uuid: UUID, location_type: str) -> dict:
    return {
        "uuid": str(uuid),
        "type": location_type,
        "name": location_type,
        "description": "System generated location",
        "default": False,
    }


class ZettleLocationsApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_locations",
        summary="Fetch inventory locations (Zettle)",
        description="Our enabled locations the token may see, as STORE locations (location 1 is "
        "the default), then Zettle's virtual SUPPLIER, SOLD and BIN locations. Their UUIDs never "
        "change.",
        responses={200: ZettleLocations, **zettle_errors(401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        stores = Location.objects.filter(enabled=True).order_by("pk")
        allowed = allowed_location_ids(request.auth)
        if allowed is not None:
            stores = stores.filter(pk__in=allowed)
        virtual = [virtual_json(uuid, kind) for uuid, kind in VIRTUAL_LOCATIONS.items()]
        return Response([store_json(location) for location in stores] + virtual)


# --- movements -------------------------------------------------------------------------------


def balances(place: Place, changes: Sequence[ZettleChange], found: Found) -> dict:
    """Zettle's answer: each variant of the request (once, in request order) at `place`."""
    products: dict[UUID, UUID] = {}
    for change in changes:
        products.setdefault(change.variantUuid, change.productUuid)
    assert place.location_id is not None
    on_hand = selectors.on_hand(
        location_id=place.location_id,
        item_ids=[found.variants[variant].item_id for variant in products],
    )
    return {
        "locationUuid": str(place.uuid),
        "variants": [
            {
                "locationUuid": str(place.uuid),
                "locationType": STORE,
                "productUuid": str(product),
                "variantUuid": str(variant),
                "balance": on_hand[found.variants[variant].item_id],
            }
            for variant, product in products.items()
        ],
    }


class ZettleInventoryApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_update_inventory",
        summary="Update inventory balances (Zettle)",
        description="Zettle's movements: each change moves a positive number of one variant "
        "between two locations (SUPPLIER→STORE restocks, STORE→SOLD or BIN sells or writes off, "
        "STORE→STORE transfers). All or nothing in one transaction. Answers the balances of the "
        "request's variants at `returnBalanceForLocationUuid` (default: the default STORE). "
        "`externalUuid` makes a retry safe: it applies nothing and gets the same answer.",
        request=ZettleMovements,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: ZettleBalances,
            **zettle_errors(400, 401, 403, 405, 409, 415, 422, 429),
            **problems(413),  # the body-size guard answers before any view
        },
    )
    def put(self, request: Request) -> Response:
        body = ZettleMovements.model_validate(request.data)
        allowed = allowed_location_ids(request.auth)
        found = find(body, default_store_id(allowed))
        refuse_unknown(body, found)
        refuse_outside(allowed, body, found)
        target = body.returnBalanceForLocationUuid
        place = found.default_store if target is None else found.places[target]
        if place is None:
            raise VendorError(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "There is no default STORE location: name one in returnBalanceForLocationUuid.",
                {"returnBalanceForLocationUuid": "Required: there is no default STORE."},
                code="invalid_movement",
            )
        return self.move(request, body, plan_movement(body.changes, found), place, found)

    def move(
        self,
        request: Request,
        body: ZettleMovements,
        movement: Movement,
        place: Place,
        found: Found,
    ) -> Response:
        key, key_field = self.key(request, body)
        reason = "Zettle: inventory movements"
        if body.externalUuid is not None:
            reason += f" (externalUuid {body.externalUuid})"

        def act() -> tuple[Adjustment, dict]:
            adjustment = apply_adjustment(
                kind=movement.kind,
                lines=movement.lines,
                reason=reason,
                source=Adjustment.Source.API,
                api_client=request.auth,
                max_lines=2 * MAX_BATCH_LINES,  # a change has up to two store ends
            )
            return adjustment, balances(place, body.changes, found)

        try:
            outcome = run_once(
                request, key, act, lambda done: Kept(adjustment=done[0], body=done[1])
            )
        except AdjustmentRejected as error:
            raise domain_refusal(error, line_violations(error.errors, movement)) from None
        except InventoryError as error:  # the key: reused for another request, or in flight
            raise domain_refusal(error, {key_field: error.message}) from None
        return outcome if isinstance(outcome, Response) else Response(outcome[1])

    @staticmethod
    def key(request: Request, body: ZettleMovements) -> tuple[str | None, str]:
        """The request's idempotency key and the field it came from. externalUuid keys live
        apart from Idempotency-Key ones, so the two can never be confused."""
        if body.externalUuid is not None:
            return key_of(ZETTLE_EXTERNAL_UUID, body.externalUuid), "externalUuid"
        return idempotency_key(request), "Idempotency-Key"
