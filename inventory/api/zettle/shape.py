"""Zettle's shapes, shared by its views: the error body every refusal takes, the balances
bodies, and the base view (Bearer tokens, the inventory scopes, errors in Zettle's shape)."""

import re
from typing import Literal
from uuid import UUID

from pydantic import BaseModel
from rest_framework import status
from rest_framework.request import Request
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope, allowed_location_ids
from inventory.api.vendor import (
    VENDOR_AUTHENTICATION,
    Refusal,
    VendorError,
    vendor_exception_handler,
)
from inventory.api.zettle.ids import STORE


class ZettleVariantBalance(BaseModel):
    locationUuid: UUID
    locationType: Literal["STORE"]  # balances are kept at STORE locations only
    productUuid: UUID
    variantUuid: UUID
    balance: int | str  # a number in the movements' answer, a string in reads (as Zettle's)


class ZettleBalances(BaseModel):
    locationUuid: UUID
    variants: list[ZettleVariantBalance]


class ZettleLocationBalances(ZettleBalances):
    trackedProducts: list[UUID]
    latest: int


class ZettleViolation(BaseModel):
    propertyName: str
    developerMessage: str


class ZettleError(BaseModel):
    """Zettle's error body."""

    developerMessage: str
    errorType: str
    violations: list[ZettleViolation]


def variant_json(location: UUID, product: UUID, variant: UUID, balance: int | str) -> dict:
    return {
        "locationUuid": str(location),
        "locationType": STORE,
        "productUuid": str(product),
        "variantUuid": str(variant),
        "balance": balance,
    }


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


def refuse_store_outside(request: Request, location_id: int, field: str) -> None:
    """403 when the token may not see or change stock at this store of ours."""
    allowed = allowed_location_ids(request.auth)
    if allowed is not None and location_id not in allowed:
        raise VendorError(
            status.HTTP_403_FORBIDDEN,
            "This token may not touch stock at this location.",
            {field: f"Location {location_id} is not allowed for this token."},
            code="location_not_allowed",
        )


class ZettleApi(APIView):
    authentication_classes = VENDOR_AUTHENTICATION
    permission_classes = [InventoryScope]

    def get_exception_handler(self):
        return vendor_exception_handler(render_error)
