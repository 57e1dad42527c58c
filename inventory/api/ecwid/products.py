"""Ecwid's "get product", its inventory fields, so a client reads what it adjusts:

    GET /api/ecwid/v3/{storeId}/products/{productId}
    → {"id": 130, "quantity": 8, "inStock": true, "unlimited": false, "combinations": [
         {"id": 78, "sku": "TEE-S", "quantity": 3, "inStock": true, "unlimited": false}, …]}

- Quantities are on-hand at the default location, the one location Ecwid's adjustments
  change (inventory.api.ecwid.views): a total over every location would be a number that no
  Ecwid write moves as the client expects.
- A product tracked as a whole answers its item's `sku` and quantity. A product tracked by
  variant keeps no stock of its own (its product route refuses adjustments), so it answers no
  `sku` and, as `quantity`, the sum of its combinations' quantities.
- `combinations` are the product's items tracked by variant (Ecwid's combination `id` is our
  `variant_id`), in variant_id order.
- `inStock`: quantity above zero, or, for the product, any combination's (Ecwid's rule).
- `unlimited` is always false: Stockroom tracks the stock of every item. A location that
  allows negative stock still counts every sale down, so that is not unlimited stock either.
- One query reads the product and all its combinations, whatever their number.
"""

from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import allowed_location_ids
from inventory.api.ecwid.base import PRODUCT_PARAMETER, STORE_PARAMETER, EcwidApi, parse_id
from inventory.api.ecwid.errors import ecwid_errors
from inventory.api.vendor import VendorError
from inventory.models import ApiClient, Item
from inventory.stock import selectors
from locations.models import DEFAULT_LOCATION_ID

UNLIMITED = Field(description="Always false: Stockroom tracks every item's stock.")


class EcwidCombinationStock(BaseModel):
    id: int = Field(description="Ecwid's combination id: our `variant_id`.")
    sku: str
    quantity: int = Field(description="On-hand at the default location.")
    inStock: bool
    unlimited: bool = UNLIMITED


class EcwidProductStock(BaseModel):
    id: int = Field(description="Ecwid's product id: our `product_id`.")
    sku: str | None = Field(
        default=None, description="Absent when the product is tracked by combination."
    )
    quantity: int = Field(
        description="On-hand at the default location; for a product tracked by combination, "
        "the sum of its combinations'."
    )
    inStock: bool
    unlimited: bool = UNLIMITED
    combinations: list[EcwidCombinationStock]


def stock_json(row: dict) -> dict:
    quantity = row["on_hand"]
    return {
        "id": row["variant_id"],
        "sku": row["sku"],
        "quantity": quantity,
        "inStock": quantity > 0,
        "unlimited": False,
    }


def product_json(product_id: int, items: list[dict]) -> dict:
    """Ecwid's product from its items (`selectors.items_of_product`)."""
    whole = [item for item in items if item["tracking"] == Item.Tracking.PRODUCT]
    combinations = [stock_json(item) for item in items if item["tracking"] != Item.Tracking.PRODUCT]
    product: dict = {"id": product_id}
    if whole:
        product["sku"] = whole[0]["sku"]
        quantity = whole[0]["on_hand"]
    else:
        quantity = sum(combination["quantity"] for combination in combinations)
    in_stock = quantity > 0 or any(combination["inStock"] for combination in combinations)
    return {
        **product,
        "quantity": quantity,
        "inStock": in_stock,
        "unlimited": False,
        "combinations": combinations,
    }


def check_default_location_visible(client: ApiClient) -> None:
    """403 for a token restricted to other locations: it may not read the default one."""
    allowed = allowed_location_ids(client)
    if allowed is not None and DEFAULT_LOCATION_ID not in allowed:
        raise VendorError(
            status.HTTP_403_FORBIDDEN,
            "This token may not see stock at the default location, where Ecwid's stock is.",
            {"location_id": f"Location {DEFAULT_LOCATION_ID} is not allowed for this token."},
            code="",
        )


class EcwidProductApi(EcwidApi):
    @extend_schema(
        operation_id="ecwid_get_product",
        summary="Get product: its stock (Ecwid)",
        description="The inventory fields of Ecwid's product: on-hand at the default location "
        "(the one Ecwid's adjustments change) of the product and of each combination.",
        parameters=[STORE_PARAMETER, PRODUCT_PARAMETER],
        responses={
            200: EcwidProductStock,
            **ecwid_errors(
                400,
                401,
                403,
                404,
                429,
                described={
                    403: "The token lacks `store_inventory_read_only`, or may not see the "
                    "default location.",
                    404: "Product not found.",
                },
            ),
        },
    )
    def get(self, request: Request, store_id: str, product_id: str) -> Response:
        product = parse_id(product_id, "Product not found")
        check_default_location_visible(request.auth)
        items = selectors.items_of_product(product_id=product, location_id=DEFAULT_LOCATION_ID)
        if not items:
            raise VendorError(status.HTTP_404_NOT_FOUND, "Product not found", code="")
        return Response(product_json(product, items))
