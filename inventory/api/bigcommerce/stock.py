"""Reading stock (BigCommerce's GET inventory items, all locations or one) and updating one
location's settings. A balance that was never written reads as 0 with BigCommerce's defaults.

A read answers with its response model, validated from the items, locations and balances of
the page in one call (inventory.api.schemas)."""

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import InventoryScope, allowed_location_ids
from inventory.api.bigcommerce import filters
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, Page, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.errors import Problem, domain_error_response
from inventory.api.idempotent import idempotency_key
from inventory.api.openapi import COMMON_ERRORS, IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas import (
    InventoryItemsResponse,
    LocationItemsResponse,
    SettingsRequest,
    TransactionResponse,
)
from inventory.errors import InventoryError
from inventory.models import Adjustment, ApiClient, Balance, Item
from inventory.movements.selectors import Quantities, named_quantities
from inventory.stock import SettingsInput, update_settings
from inventory.stock.selectors import balances_at, item_total
from locations.models import Location

DEFAULT_SETTINGS = Balance(quantity=0)  # an unsaved row: the model's defaults
ITEM_FILTERS = filters.parameters(filters.ItemFilters)
SETTING_NAMES = ("safety_stock", "is_in_stock", "warning_level", "bin_picking_number")
NO_SETTING = "At least one setting must be specified: warning_level, is_in_stock or safety_stock"


def filtered_items(request: Request):
    return filters.apply(filters.ItemFilters, request, Item.objects.order_by("id"))


def item_page(request: Request) -> Page:
    """One page of the items the request's filters find, in id order. Unfiltered, the total is
    the count the database keeps (counting a million items costs more than the page), and deep
    pages are read after the previous page's last id when it is known (`paginate`)."""
    total = None if filters.filtering(filters.ItemFilters, request) else item_total()
    return paginate(request, filtered_items(request), count=total, keyset=True)


def visible_locations(client: ApiClient):
    locations = Location.objects.order_by("id")
    allowed = allowed_location_ids(client)
    return locations if allowed is None else locations.filter(pk__in=allowed)


def inventory_identity(item: Item) -> dict[str, Any]:
    """With BigCommerce's sku_id, the id of a variant's SKU record: ours is the item's own id,
    and a product tracked as a whole (BigCommerce's base variant) has none (README)."""
    return {
        "sku": item.sku,
        "product_id": item.product_id,
        "variant_id": item.variant_id,
        "sku_id": item.pk if item.tracking == Item.Tracking.VARIANT else None,
    }


def beyond_on_hand(quantities: Quantities) -> dict[str, int]:
    """Ours, beside BigCommerce's quantities: what transfers and supplier receipts hold."""
    return {
        "in_transit_out": quantities.in_transit_out,
        "in_transit_in": quantities.in_transit_in,
        "expected": quantities.expected,
        "incoming": quantities.incoming,
    }


NOTHING_MOVING = Quantities()


def uuids(item: Item) -> dict[str, str]:
    """Ours, beside BigCommerce's identity: what Zettle clients name the item by."""
    return {"uuid": str(item.uuid), "product_uuid": str(item.product_uuid)}


def stock(balance: Balance) -> dict[str, Any]:
    return {
        "available_to_sell": balance.available_to_sell,
        "total_inventory_onhand": balance.quantity,
        "settings": balance,
    }


class InventoryItemViewSet(BigCommerceViewSet):
    permission_classes = [InventoryScope]
    view_names = {"list": "Inventory Items Api"}

    @extend_schema(
        operation_id="inventory_items",
        summary="Stock and settings of items at every location",
        parameters=[
            *ITEM_FILTERS,
            *filters.parameters(filters.StockLocationFilters),
            *PAGE_PARAMETERS,
        ],
        responses={200: InventoryItemsResponse, **COMMON_ERRORS},
    )
    def list(self, request: Request) -> Response:
        found = visible_locations(request.auth)
        locations = list(filters.apply(filters.StockLocationFilters, request, found))
        page = item_page(request)
        item_ids, location_ids = [item.pk for item in page.rows], [loc.pk for loc in locations]
        balances = balances_at(item_ids=item_ids, location_ids=location_ids)
        moving = named_quantities(item_ids, location_ids)
        data = [
            {
                "identity": inventory_identity(item),
                **uuids(item),
                "locations": [
                    {
                        "location_id": location.pk,
                        "location_code": location.code,
                        "location_name": location.label,
                        "location_enabled": location.enabled,
                        **stock(balances.get((item.pk, location.pk), DEFAULT_SETTINGS)),
                        **beyond_on_hand(moving.get((item.pk, location.pk), NOTHING_MOVING)),
                    }
                    for location in locations
                ],
            }
            for item in page.rows
        ]
        return Response(InventoryItemsResponse.model_validate({"data": data, "meta": page.meta}))


class LocationItemViewSet(BigCommerceViewSet):
    permission_classes = [InventoryScope]
    view_names = {"list": "Location Items Api"}

    def location(self, request: Request, location_id: int) -> Location:
        # A location the token may not see does not exist for it.
        location = visible_locations(request.auth).filter(pk=location_id).first()
        if location is None:
            raise Problem(404, f"Location {location_id} not found.")
        return location

    @extend_schema(
        operation_id="location_items",
        summary="Stock and settings of items at one location",
        parameters=[*ITEM_FILTERS, *PAGE_PARAMETERS],
        responses={
            200: LocationItemsResponse,
            **problems(404),
            **COMMON_ERRORS,
        },
    )
    def list(self, request: Request, location_id: int) -> Response:
        location = self.location(request, location_id)
        page = item_page(request)
        item_ids = [item.pk for item in page.rows]
        balances = balances_at(item_ids=item_ids, location_ids=[location.pk])
        moving = named_quantities(item_ids, [location.pk])
        data = [
            {
                "identity": item,
                **uuids(item),
                **stock(balances.get((item.pk, location.pk), DEFAULT_SETTINGS)),
                **beyond_on_hand(moving.get((item.pk, location.pk), NOTHING_MOVING)),
            }
            for item in page.rows
        ]
        return Response(LocationItemsResponse.model_validate({"data": data, "meta": page.meta}))

    @extend_schema(
        operation_id="update_location_settings",
        summary="Update settings of items at one location",
        description="BigCommerce's settings update. Settings left out stay as they are; "
        "quantities never change here.",
        request=SettingsRequest,
        parameters=[IDEMPOTENCY_PARAMETER],
        responses={
            200: TransactionResponse,
            **problems(404),
            **COMMON_ERRORS,
        },
    )
    def update_many(self, request: Request, location_id: int) -> Response:
        location = self.location(request, location_id)
        body = SettingsRequest.model_validate(request.data)
        empty = {
            f"setting.{n}.settings": NO_SETTING
            for n, item in enumerate(body.settings)
            if all(getattr(item, name) is None for name in SETTING_NAMES)
        }
        if empty:
            raise Problem(422, "Payload contains invalid fields", empty)
        lines = [
            SettingsInput(
                location_id=location.pk,
                sku=item.identity.sku,
                variant_id=item.identity.variant_id,
                product_id=item.identity.product_id,
                **{name: getattr(item, name) for name in SETTING_NAMES},
            )
            for item in body.settings
        ]
        try:
            adjustment = update_settings(
                lines=lines,
                source=Adjustment.Source.API,
                api_client=request.auth,
                idempotency_key=idempotency_key(request),
            )
        except InventoryError as error:
            rename = {name: f"identity.{name}" for name in ("sku", "variant_id", "product_id")}
            return domain_error_response(error, prefix="settings", rename=rename)
        return Response(TransactionResponse(transaction_id=str(adjustment.transaction_id)))
