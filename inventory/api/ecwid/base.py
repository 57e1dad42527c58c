"""What every Ecwid view shares: its tokens, its error shape, and Ecwid's ids in the path.

- `storeId` is accepted and ignored: Stockroom is one store, and the token says who may use
  it. (Checking it against a setting would only make a correct token fail on a typo'd URL.)
- `productId` is our `product_id`; `combinationId` our `variant_id`. An id that cannot be one
  (not digits, beyond a 32-bit integer) names nothing: 404, as Ecwid answers.
"""

import re

from drf_spectacular.utils import OpenApiParameter
from rest_framework import status
from rest_framework.views import APIView

from inventory.api.auth import InventoryScope
from inventory.api.ecwid.auth import ECWID_AUTHENTICATION
from inventory.api.ecwid.errors import render_error
from inventory.api.vendor import VendorError, vendor_exception_handler

ID = re.compile(r"[0-9]{1,10}")
MAX_ID = 2_147_483_647

STORE_PARAMETER = OpenApiParameter(
    "store_id", int, OpenApiParameter.PATH, description="Ecwid's storeId: accepted, ignored."
)
PRODUCT_PARAMETER = OpenApiParameter(
    "product_id", int, OpenApiParameter.PATH, description="Our `product_id` (Ecwid's productId)."
)


class EcwidApi(APIView):
    authentication_classes = ECWID_AUTHENTICATION
    permission_classes = [InventoryScope]

    def get_exception_handler(self):
        return vendor_exception_handler(render_error)


def parse_id(value: str, not_found: str) -> int:
    """An id from the path; one that cannot be an id names nothing (404, as Ecwid answers)."""
    if ID.fullmatch(value) is None or int(value) > MAX_ID:
        raise VendorError(status.HTTP_404_NOT_FOUND, not_found, code="")
    return int(value)
