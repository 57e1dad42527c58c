"""Ecwid's "adjust product inventory", so an Ecwid client only swaps its base URL
(`https://app.ecwid.com/api/v3` → `https://<host>/api/ecwid/v3`) and sends a Stockroom token:

    PUT /api/ecwid/v3/{storeId}/products/{productId}/inventory
    PUT /api/ecwid/v3/{storeId}/products/{productId}/combinations/{combinationId}/inventory
    {"quantityDelta": -3, "checkLowStockNotification": true}
    → 200 {"updateCount": 1}, or {"updateCount": 1, "warning": "Product has negative stock."}

How Ecwid's names map onto ours (research/seed-apis.md §3, §4; `storeId` and the ids in the
path: inventory.api.ecwid.base):
- `productId` is our `product_id` and names the item tracked by product: Ecwid's product-level
  stock. A product tracked by variant keeps no product-level stock here, so that route answers
  400 pointing at the combination route (BigCommerce's rule, in Ecwid's words).
- `combinationId` is our `variant_id`, of an item of `productId` tracked by variant; any other
  pairing is a combination that does not exist (404).
- The delta is ONE relative line at the default location (`DEFAULT_LOCATION_ID`), through
  `apply_adjustment`, with the token's client as the source.
- Ecwid always lets stock go negative and warns. Here that is the location's
  `allow_negative_stock` (off by default): when on, a negative result is applied and answered
  with Ecwid's warning; when off, it is refused with 422 and nothing changes. A decrease below
  the safety stock is refused in the same way.
- `checkLowStockNotification` (in the body, or as Ecwid documents it, in the query string):
  when true, a change that reaches low stock is also emailed; absent means false, as at Ecwid.
- Errors are Ecwid's (inventory.api.ecwid.errors): 404 for an unknown product or
  combination, 400 naming the malformed parameter.
- `Idempotency-Key` (ours, optional) replays the first answer as the BigCommerce routes do.
"""

from collections.abc import Callable
from typing import Annotated

from drf_spectacular.utils import OpenApiParameter, extend_schema
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.bigcommerce.adjustments import check_locations
from inventory.api.ecwid.base import PRODUCT_PARAMETER, STORE_PARAMETER, EcwidApi, parse_id
from inventory.api.ecwid.errors import ecwid_errors
from inventory.api.idempotent import idempotency_key
from inventory.api.openapi import IDEMPOTENCY_PARAMETER
from inventory.api.parsers import StrictJSONParser
from inventory.api.vendor import VendorError, domain_refusal
from inventory.errors import InventoryError
from inventory.models import MAX_QUANTITY, Adjustment, AdjustmentLine, Item
from inventory.stock import LineInput, apply_adjustment
from locations.models import DEFAULT_LOCATION_ID

NEGATIVE_STOCK_WARNING = "Product has negative stock."
TRUE, FALSE = frozenset({"true", "1"}), frozenset({"false", "0"})


class EcwidInventory(BaseModel):
    """Ecwid's `Inventory` request."""

    model_config = ConfigDict(extra="ignore")

    quantityDelta: Annotated[StrictInt, Field(ge=-MAX_QUANTITY, le=MAX_QUANTITY)] = Field(
        description="Added to the quantity: negative decreases it, positive increases it."
    )
    checkLowStockNotification: StrictBool | None = Field(
        default=None,
        description="When true, low stock reached by this change is also emailed. The query "
        "parameter of the same name works too.",
    )


class EcwidInventoryAdjustmentStatus(BaseModel):
    """Ecwid's `InventoryAdjustmentStatus`."""

    updateCount: int = Field(description="1: the quantity was updated.")
    warning: str | None = Field(
        default=None, description=f'"{NEGATIVE_STOCK_WARNING}" when the result is below zero.'
    )


class TextJSONParser(StrictJSONParser):
    """Ecwid accepts `text/json` as well as `application/json`."""

    media_type = "text/json"


ADJUST_ERRORS = (400, 401, 403, 404, 405, 409, 413, 415, 422, 429)
LOW_STOCK_PARAMETER = OpenApiParameter(
    "checkLowStockNotification",
    bool,
    description="When true, low stock reached by this change is also emailed.",
)


def ecwid_schema(*, operation_id: str, summary: str, parameters: list[OpenApiParameter]):
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        description="Ecwid's inventory adjustment: adds `quantityDelta` to the stock of the "
        "default location. A result below zero is applied (with Ecwid's warning) only where the "
        "location allows negative stock; otherwise it is refused with 422 and nothing changes.",
        parameters=[
            STORE_PARAMETER,
            PRODUCT_PARAMETER,
            *parameters,
            LOW_STOCK_PARAMETER,
            IDEMPOTENCY_PARAMETER,
        ],
        request=EcwidInventory,
        responses={
            200: EcwidInventoryAdjustmentStatus,
            **ecwid_errors(
                *ADJUST_ERRORS,
                described={
                    403: "The token lacks `store_inventory`, or may not change the default "
                    "location.",
                    404: "Product or combination not found.",
                },
            ),
        },
    )


def low_stock_flag(request: Request, body: EcwidInventory) -> bool:
    if body.checkLowStockNotification is not None:
        return body.checkLowStockNotification
    raw = request.query_params.get("checkLowStockNotification", "false").lower()
    if raw not in TRUE | FALSE:
        raise VendorError(
            status.HTTP_400_BAD_REQUEST,
            "Wrong parameter 'checkLowStockNotification' value: expected true or false.",
            code="",
        )
    return raw in TRUE


def product_item(product_id: int) -> str:
    """The SKU of the item tracked by product `product_id`, in one query."""
    rows = list(
        Item.objects.filter(product_id=product_id)
        .order_by("tracking")  # "product" sorts before "variant"
        .values_list("sku", "tracking")[:1]
    )
    if not rows:
        raise VendorError(status.HTTP_404_NOT_FOUND, "Product not found", code="")
    sku, tracking = rows[0]
    if tracking != Item.Tracking.PRODUCT:
        raise VendorError(
            status.HTTP_400_BAD_REQUEST,
            f"Product {product_id} is tracked by combination: adjust each combination with "
            f"PUT …/products/{product_id}/combinations/{{combinationId}}/inventory",
            {"productId": "Tracked by combination."},
            code="wrong_identifier_for_tracking",
        )
    return sku


def combination_item(product_id: int, variant_id: int) -> str:
    """The SKU of combination `variant_id` of product `product_id`, in one query."""
    row = (
        Item.objects.filter(product_id=product_id, variant_id=variant_id)
        .values_list("sku", "tracking")
        .first()
    )
    if row is None:
        raise VendorError(status.HTTP_404_NOT_FOUND, "Combination not found", code="")
    sku, tracking = row
    if tracking != Item.Tracking.VARIANT:
        raise VendorError(
            status.HTTP_400_BAD_REQUEST,
            f"Product {product_id} is tracked as a whole: adjust it with "
            f"PUT …/products/{product_id}/inventory",
            {"combinationId": "The product is tracked as a whole."},
            code="wrong_identifier_for_tracking",
        )
    return sku


class EcwidInventoryApi(EcwidApi):
    parser_classes = [StrictJSONParser, TextJSONParser]

    def adjust(self, request: Request, find_item: Callable[[], str]) -> Response:
        """Validate the body, find the item (its SKU), check the token may change the default
        location, and apply the delta there."""
        body = EcwidInventory.model_validate(request.data)
        notify = low_stock_flag(request, body)
        sku = find_item()
        check_locations(request.auth, [("location_id", DEFAULT_LOCATION_ID)])
        line = LineInput(location_id=DEFAULT_LOCATION_ID, quantity=body.quantityDelta, sku=sku)
        try:
            adjustment = apply_adjustment(
                kind=Adjustment.Kind.RELATIVE,
                lines=[line],
                reason="Ecwid: adjust inventory",
                source=Adjustment.Source.API,
                api_client=request.auth,
                idempotency_key=idempotency_key(request),
                notify_low_stock=notify,
            )
        except InventoryError as error:
            raise domain_refusal(error) from None
        # The ledger line, not a read of the balance: a replay answers as the first request did.
        after = AdjustmentLine.objects.filter(adjustment=adjustment).values_list(
            "quantity_after", flat=True
        )[0]
        answer = {"updateCount": 1}
        if after < 0:
            answer["warning"] = NEGATIVE_STOCK_WARNING
        return Response(answer)


class EcwidProductInventoryApi(EcwidInventoryApi):
    @ecwid_schema(
        operation_id="ecwid_adjust_product_inventory",
        summary="Adjust product inventory (Ecwid)",
        parameters=[],
    )
    def put(self, request: Request, store_id: str, product_id: str) -> Response:
        product = parse_id(product_id, "Product not found")
        return self.adjust(request, lambda: product_item(product))


class EcwidCombinationInventoryApi(EcwidInventoryApi):
    @ecwid_schema(
        operation_id="ecwid_adjust_combination_inventory",
        summary="Adjust product variation inventory (Ecwid)",
        parameters=[
            OpenApiParameter(
                "variant_id",
                int,
                OpenApiParameter.PATH,
                description="Ecwid's combinationId: our `variant_id`.",
            )
        ],
    )
    def put(self, request: Request, store_id: str, product_id: str, variant_id: str) -> Response:
        product = parse_id(product_id, "Product not found")
        combination = parse_id(variant_id, "Combination not found")
        return self.adjust(request, lambda: combination_item(product, combination))
