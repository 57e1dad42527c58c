"""Zettle's reads: its locations, and the balances at one of them, as Zettle answers them.

- `GET …/locations[?type=]`: our enabled stores the token may see (STORE), then the virtual
  SUPPLIER, SOLD and BIN locations; `type` keeps one type.
- `GET …/inventory/locations/{locationUuid}` and `…/inventory/locations?type=`: the non-zero
  balances of every tracked variant there, with the tracked products:
  `{locationUuid, trackedProducts, variants, latest}`. `type=STORE` names the default STORE
  (location 1, or a restricted token's first location), as in the movements' answer.
- `GET …/inventory/locations/{locationUuid}/products/{productUuid}`: one product's variants.
Balances are strings here, as in Zettle's reads (its movements answer numbers). The virtual
locations keep no balances, so their variants are always empty. `latest` is always 0: Stockroom
does not offer Zettle's `since` polling.
Each read costs the same queries whatever the number of products."""

from typing import Literal
from uuid import UUID

from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, RootModel
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import allowed_location_ids
from inventory.api.vendor import VendorError
from inventory.api.zettle import filters
from inventory.api.zettle.ids import STORE, VIRTUAL_LOCATIONS, virtual_location_uuid
from inventory.api.zettle.movements import default_store_id
from inventory.api.zettle.shape import (
    ZettleApi,
    ZettleBalances,
    ZettleLocationBalances,
    refuse_store_outside,
    variant_json,
    zettle_errors,
)
from inventory.models import Balance, Item
from locations.models import DEFAULT_LOCATION_ID, Location


def type_parameter(*, required: bool) -> OpenApiParameter:
    return OpenApiParameter(
        "type",
        str,
        enum=["STORE", "SUPPLIER", "SOLD", "BIN"],
        required=required,
        description="A location type, in any case.",
    )


class ZettleLocation(BaseModel):
    uuid: UUID
    type: Literal["STORE", "SUPPLIER", "SOLD", "BIN"]
    name: str
    description: str
    default: bool


class ZettleLocations(RootModel[list[ZettleLocation]]):
    pass


def location_json(uuid: UUID, location_type: str, name: str, description: str, default: bool):
    return {
        "uuid": str(uuid),
        "type": location_type,
        "name": name,
        "description": description,
        "default": default,
    }


class ZettleLocationsApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_locations",
        summary="Fetch inventory locations (Zettle)",
        description="Our enabled locations the token may see, as STORE locations (location 1 is "
        "the default), then Zettle's virtual SUPPLIER, SOLD and BIN locations; `type` keeps one "
        "type. Their UUIDs never change.",
        parameters=[type_parameter(required=False)],
        responses={200: ZettleLocations, **zettle_errors(400, 401, 403, 429)},
    )
    def get(self, request: Request) -> Response:
        stores = Location.objects.filter(enabled=True).order_by("pk")
        allowed = allowed_location_ids(request.auth)
        if allowed is not None:
            stores = stores.filter(pk__in=allowed)
        stores, wanted = filters.apply(request, stores)
        listed = [
            location_json(
                store.uuid, STORE, store.label, store.description, store.pk == DEFAULT_LOCATION_ID
            )
            for store in stores
        ]
        listed += [
            location_json(uuid, kind, kind, "System generated location", False)
            for uuid, kind in VIRTUAL_LOCATIONS.items()
            if wanted in (None, kind)
        ]
        return Response(listed)


# --- balances --------------------------------------------------------------------------------


def tracked_products() -> list[str]:
    """Every product with a tracked variant, in the catalog's order (by product id)."""
    rows = Item.objects.filter(zettle_tracking=True).order_by("product_id", "product_uuid")
    return [str(uuid) for _, uuid in rows.values_list("product_id", "product_uuid").distinct()]


def store_balances(location: Location, product: UUID | None = None) -> list[dict]:
    """The non-zero balances of tracked variants at one of our stores (of one product)."""
    balances = Balance.objects.filter(location=location, item__zettle_tracking=True).exclude(
        quantity=0
    )
    if product is not None:
        balances = balances.filter(item__product_uuid=product)
    rows = balances.order_by("item__product_id", "item__sku").values_list(
        "item__product_uuid", "item__uuid", "quantity"
    )
    return [
        variant_json(location.uuid, product, variant, str(quantity))
        for product, variant, quantity in rows
    ]


def find_location(request: Request, uuid: str, field: str = "locationUuid") -> Location | UUID:
    """One of our enabled stores the token may see, or a virtual location's UUID; else 404."""
    try:
        parsed = UUID(uuid)
    except ValueError:
        parsed = None
    if parsed in VIRTUAL_LOCATIONS:
        return parsed
    store = Location.objects.filter(uuid=parsed, enabled=True).first() if parsed else None
    if store is None:
        raise VendorError(
            status.HTTP_404_NOT_FOUND,
            "No location has this UUID.",
            {field: f"No location has the UUID {uuid!r}."},
            code="location_not_found",
        )
    refuse_store_outside(request, store.pk, field)
    return store


def default_store(request: Request, field: str) -> Location:
    """The token's default STORE (location 1, or a restricted token's first location): 404
    when it is gone or disabled, 403 when the token may not see it."""
    store_id = default_store_id(allowed_location_ids(request.auth))
    store = Location.objects.filter(pk=store_id, enabled=True).first()
    if store is None:
        raise VendorError(
            status.HTTP_404_NOT_FOUND,
            "There is no default STORE location.",
            {field: "No enabled default STORE location."},
            code="location_not_found",
        )
    refuse_store_outside(request, store.pk, field)
    return store


def location_answer(place: Location | UUID) -> dict:
    """At a store, its balances; at a virtual location (a UUID), none."""
    store = place if isinstance(place, Location) else None
    return {
        "locationUuid": str(store.uuid if store else place),
        "trackedProducts": tracked_products(),
        "variants": store_balances(store) if store else [],
        "latest": 0,
    }


class ZettleLocationBalancesApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_location_balances",
        summary="Fetch inventory balance for a given location (Zettle)",
        description="The tracked products, and the non-zero balances of their variants at the "
        "location (balances as strings, as Zettle's reads give them). A virtual location "
        "keeps no balances.",
        responses={200: ZettleLocationBalances, **zettle_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, location_uuid: str) -> Response:
        return Response(location_answer(find_location(request, location_uuid)))


class ZettleBalancesByTypeApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_balances_by_type",
        summary="Fetch inventory balance for a given location type (Zettle)",
        description="As for one location: `type=STORE` is the default STORE (location 1, or a "
        "restricted token's first location), the other types Zettle's virtual locations.",
        parameters=[type_parameter(required=True)],
        responses={200: ZettleLocationBalances, **zettle_errors(400, 401, 403, 404, 429)},
    )
    def get(self, request: Request) -> Response:
        _, wanted = filters.apply(request, Location.objects.none())
        if wanted is None:
            raise VendorError(
                status.HTTP_400_BAD_REQUEST,
                "Name a location type.",
                {"type": "Required: STORE, SUPPLIER, SOLD or BIN."},
                code="invalid_query_parameter",
            )
        if wanted != STORE:
            return Response(location_answer(virtual_location_uuid(wanted)))
        return Response(location_answer(default_store(request, "type")))


class ZettleProductBalancesApi(ZettleApi):
    @extend_schema(
        operation_id="zettle_product_balances",
        summary="Fetch inventory balance for a product in a location (Zettle)",
        description="The non-zero balances of the product's variants at the location; none "
        "while the product's tracking is stopped.",
        responses={200: ZettleBalances, **zettle_errors(401, 403, 404, 429)},
    )
    def get(self, request: Request, location_uuid: str, product_uuid: str) -> Response:
        place = find_location(request, location_uuid)
        product = find_product(product_uuid)
        if not isinstance(place, Location):
            return Response({"locationUuid": str(place), "variants": []})
        return Response(
            {"locationUuid": str(place.uuid), "variants": store_balances(place, product)}
        )


def find_product(uuid: str, field: str = "productUuid") -> UUID:
    """A product UUID some item carries; else 404."""
    try:
        parsed = UUID(uuid)
    except ValueError:
        parsed = None
    if parsed is None or not Item.objects.filter(product_uuid=parsed).exists():
        raise VendorError(
            status.HTTP_404_NOT_FOUND,
            "No product has this UUID.",
            {field: f"No item belongs to a product with the UUID {uuid!r}."},
            code="product_not_found",
        )
    return parsed
