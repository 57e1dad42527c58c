"""Our item catalog: `GET /api/v3/items` (filters, BigCommerce pagination) and `POST /api/v3/items`
(upsert an array of up to 2000 items by SKU, all or nothing; see inventory.catalog.services).

Items belong to the whole store, not to a location, so a client restricted to some locations
still reads and writes the catalog (its stock stays restricted)."""

from typing import Annotated, Any, Literal

from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt, field_validator
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope
from inventory.api.bigcommerce import filters
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, paginate
from inventory.api.errors import Problem, listing_title, problem_response
from inventory.api.idempotent import idempotent_write
from inventory.api.openapi import IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas import Meta
from inventory.catalog.services import CatalogConflict, CatalogRejected, ItemInput, upsert_items
from inventory.models import MAX_BATCH_LINES, Item

MAX_INT = 2_147_483_647  # PostgreSQL's integer, the column type of product_id and variant_id


class CatalogItemIn(BaseModel):
    """An item to create or update, found by `sku`. For an existing item, fields left out keep
    their value. `tracking` defaults to "variant" when a variant_id is given, else "product"."""

    model_config = ConfigDict(extra="ignore")

    sku: str = Field(min_length=1, max_length=255)
    product_id: Annotated[StrictInt, Field(ge=1, le=MAX_INT)]
    variant_id: Annotated[StrictInt, Field(ge=0, le=MAX_INT)] | None = Field(
        default=None, description="0 or null: none (the item is a product tracked as a whole)."
    )
    name: str | None = Field(default=None, max_length=255)
    barcode: str | None = Field(
        default=None, max_length=64, description="GTIN, UPC or EAN; unique when set."
    )
    tracking: Literal["product", "variant"] | None = None

    @field_validator("sku", "barcode")
    @classmethod
    def trimmed(cls, value: str | None) -> str | None:
        if value is not None and value != value.strip():
            raise ValueError("must not start or end with whitespace")
        return value

    def as_input(self) -> ItemInput:
        given = self.model_fields_set & {"variant_id", "name", "barcode", "tracking"}
        return ItemInput(
            sku=self.sku,
            product_id=self.product_id,
            variant_id=self.variant_id or None,
            name=self.name or "",
            barcode=self.barcode or "",
            tracking=self.tracking,
            given=frozenset(given),
        )


class CatalogUpsertRequest(RootModel[list[CatalogItemIn]]):
    root: list[CatalogItemIn] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class CatalogItem(BaseModel):
    sku: str
    product_id: int | None = Field(description="null when the item has none.")
    variant_id: int | None
    name: str
    barcode: str | None = Field(description="null when the item has none.")
    tracking: Literal["product", "variant"]
    uuid: str


class CatalogItemsResponse(BaseModel):
    data: list[CatalogItem]


class CatalogPageResponse(BaseModel):
    data: list[CatalogItem]
    meta: Meta


class CatalogItemsApi(APIView):
    """Reads need `store_inventory_read_only`, writes `store_inventory`."""

    permission_classes = [InventoryScope]

    @extend_schema(
        operation_id="getCatalogItems",
        summary="List catalog items",
        parameters=[*filters.parameters(filters.CatalogFilters), *PAGE_PARAMETERS],
        responses={200: CatalogPageResponse, **problems(401, 403, 422, 429)},
    )
    def get(self, request: Request) -> Response:
        items = filters.apply(filters.CatalogFilters, request, Item.objects.order_by("sku"))
        page = paginate(request, items)
        data = [catalog_item(item) for item in page.rows]
        return Response(CatalogPageResponse.model_validate({"data": data, "meta": page.meta}))

    @extend_schema(
        operation_id="upsertCatalogItems",
        summary="Create or update catalog items",
        description=f"Upsert up to {MAX_BATCH_LINES} items by SKU, all or none. Answers with the "
        "items as stored, in the order sent.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=CatalogUpsertRequest,
        responses={200: CatalogItemsResponse, **problems(400, 401, 403, 409, 413, 415, 422, 429)},
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if isinstance(data, list) and len(data) > MAX_BATCH_LINES:
            # Refused before validating a single entry: an oversized batch costs nothing.
            raise Problem(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                f"At most {MAX_BATCH_LINES} items per request.",
                {"body": f"The array has {len(data)} items; the limit is {MAX_BATCH_LINES}."},
            )
        payload = CatalogUpsertRequest.model_validate(data)
        items = [entry.as_input() for entry in payload.root]

        def upsert() -> dict[str, Any]:
            stored = [catalog_item(item) for item in upsert_items(items=items)]
            # Kept as JSON with the Idempotency-Key, to replay.
            return CatalogItemsResponse.model_validate({"data": stored}).model_dump(mode="json")

        try:
            return idempotent_write(request, upsert)
        except CatalogRejected as error:
            return problem_response(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                listing_title([e.message for e in error.errors]),
                _keyed(error),
            )
        except CatalogConflict as error:
            return problem_response(status.HTTP_409_CONFLICT, error.message)


def _keyed(error: CatalogRejected) -> dict[str, str]:
    """`3.sku: message` (the body is a bare array); the batch as a whole under `body`."""
    keyed: dict[str, str] = {}
    for e in error.errors:
        path = "body" if e.index is None else f"{e.index}.{e.field}"
        keyed[path] = f"{keyed[path]} {e.message}" if path in keyed else e.message
    return keyed


def catalog_item(item: Item) -> dict[str, Any]:
    return {
        "sku": item.sku,
        "product_id": item.product_id,
        "variant_id": item.variant_id,
        "name": item.name,
        "barcode": item.barcode or None,
        "tracking": item.tracking,
        "uuid": str(item.uuid),
    }
