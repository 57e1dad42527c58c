"""Zettle's inventory service (its `/organizations/self/…` API), so a Zettle client only swaps
its base URL (`https://inventory.izettle.com` → `https://<host>/api/zettle`) and sends a
Stockroom token as `Authorization: Bearer …`. The writes are here; the reads (locations and
balances) in inventory.api.zettle.reads:

    PUT    …/organizations/self/inventory                        move stock; answers balances
    POST   …/organizations/self/inventory                        start tracking a product
    DELETE …/organizations/self/inventory/products/{productUuid}  stop tracking it (204)

How a request becomes ONE `apply_adjustment` call (one transaction, all or nothing, every
failing change reported) is in inventory.api.zettle.movements; the UUIDs are in
inventory.api.zettle.ids (research/seed-apis.md §2, §4).
- Each change's `productUuid` must be its variant's (the item's `product_uuid`), and the
  product's tracking must be on; otherwise 422 naming `changes[n].productUuid`.
- The answer lists the balance of each variant of the request at `returnBalanceForLocationUuid`,
  or at the default STORE (location 1, or the token's first location if it may not see 1),
  as Zettle does: `{"locationUuid", "variants": [{locationUuid, locationType, productUuid,
  variantUuid, balance}]}`.
- `externalUuid` makes the request idempotent per API client: a repeat applies nothing and
  gets the first answer again; the same externalUuid with another body is refused with 400,
  as Zettle refuses a UUID that is already taken (its Pusher API's answer to a subscription
  `uuid` that exists). Without it, our `Idempotency-Key` header does the same.
- Tracking is Zettle's switch per product (`Item.zettle_tracking` on each of its items):
  stopped, its balances are kept but left out of Zettle's reads and refused to its movements;
  started again, they are back. Neither touches a balance.
- Errors are Zettle's shape, `{"developerMessage", "errorType", "violations": [{"propertyName",
  "developerMessage"}]}`: 400 for a malformed body, 404 for an unknown UUID in the path, 422 for
  unknown UUIDs and broken stock rules in the body, 403 for locations the token may not touch,
  each naming the fields at fault (`changes[2].toLocationUuid`).
"""

from collections.abc import Sequence
from uuid import UUID

from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, ConfigDict
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import allowed_location_ids
from inventory.api.idempotent import idempotency_key, run_once
from inventory.api.openapi import IDEMPOTENCY_PARAMETER
from inventory.api.vendor import VendorError, domain_refusal
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
from inventory.api.zettle.reads import default_store, find_product, store_balances
from inventory.api.zettle.shape import ZettleApi, ZettleBalances, variant_json, zettle_errors
from inventory.catalog import services as catalog
from inventory.errors import AdjustmentRejected, IdempotencyKeyReused, InventoryError
from inventory.idempotency import ZETTLE_EXTERNAL_UUID, Kept, key_of
from inventory.models import MAX_BATCH_LINES, Adjustment
from inventory.stock import apply_adjustment, selectors

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
            variant_json(place.uuid, product, variant, on_hand[found.variants[variant].item_id])
            for variant, product in products.items()
        ],
    }


class StartTracking(BaseModel):
    """Zettle's `POST /organizations/self/inventory` body."""

    model_config = ConfigDict(extra="ignore")

    productUuid: UUID


class ZettleInventoryApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_update_inventory",
        summary="Update inventory balances (Zettle)",
        description="Zettle's movements: each change moves a positive number of one variant "
        "between two locations (SUPPLIER→STORE restocks, STORE→SOLD or BIN sells or writes off, "
        "STORE→STORE transfers). All or nothing in one transaction. Answers the balances of the "
        "request's variants at `returnBalanceForLocationUuid` (default: the default STORE). "
        "Each change's `productUuid` must be its variant's, and the product tracked. "
        "`externalUuid` makes a retry safe: it applies nothing and gets the same answer; "
        "reused for another body it is refused (400).",
        request=ZettleMovements,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: ZettleBalances,
            **zettle_errors(400, 401, 403, 405, 409, 413, 415, 422, 429),
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
        except IdempotencyKeyReused as error:
            raise reused(error, body, key_field) from None
        except InventoryError as error:  # the key, still in flight
            raise domain_refusal(error, {key_field: error.message}) from None
        return outcome if isinstance(outcome, Response) else Response(outcome[1])

    @staticmethod
    def key(request: Request, body: ZettleMovements) -> tuple[str | None, str]:
        """The request's idempotency key and the field it came from. externalUuid keys live
        apart from Idempotency-Key ones, so the two can never be confused."""
        if body.externalUuid is not None:
            return key_of(ZETTLE_EXTERNAL_UUID, body.externalUuid), "externalUuid"
        return idempotency_key(request), "Idempotency-Key"

    @extend_schema(
        operation_id="zettle_start_tracking",
        summary="Start tracking a product (Zettle)",
        description="Turns Zettle's tracking on for every variant of the product and answers "
        "their non-zero balances at the default STORE (as strings, as Zettle's reads give "
        "them). Starting a tracked product again changes nothing.",
        request=StartTracking,
        responses={200: ZettleBalances, **zettle_errors(400, 401, 403, 404, 415, 422, 429)},
    )
    def post(self, request: Request) -> Response:
        body = StartTracking.model_validate(request.data)
        store = default_store(request, "locationUuid")  # the answer's: refused before any change
        if not catalog.set_zettle_tracking(product_uuid=body.productUuid, tracked=True):
            raise VendorError(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "No product has this UUID.",
                {"productUuid": "No item belongs to a product with this UUID."},
                code="product_not_found",
            )
        return Response(
            {
                "locationUuid": str(store.uuid),
                "variants": store_balances(store, body.productUuid),
            }
        )


def reused(error: IdempotencyKeyReused, body: ZettleMovements, key_field: str) -> VendorError:
    """A key reused for another request: 400 for an externalUuid, as Zettle refuses a UUID
    already taken; 422 for an Idempotency-Key, as on every other route."""
    if key_field != "externalUuid":
        return domain_refusal(error, {key_field: error.message})
    message = f"externalUuid {body.externalUuid} was already used for a different request."
    return VendorError(
        status.HTTP_400_BAD_REQUEST, message, {key_field: message}, code=str(error.code)
    )


class ZettleTrackingApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_stop_tracking",
        summary="Stop tracking a product (Zettle)",
        description="Turns Zettle's tracking off for every variant of the product: its "
        "balances are kept, but left out of Zettle's reads and refused to its movements until "
        "tracking starts again. Answers 204.",
        responses={204: None, **zettle_errors(401, 403, 404, 429)},
    )
    def delete(self, request: Request, product_uuid: str) -> Response:
        catalog.set_zettle_tracking(product_uuid=find_product(product_uuid), tracked=False)
        return Response(status=status.HTTP_204_NO_CONTENT)
