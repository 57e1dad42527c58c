"""Ecwid's "get store profile", the part of it Ecwid clients read when they start (to check the
token and the storeId, and to name the store):

    GET /api/ecwid/v3/{storeId}/profile
    → {"generalInfo": {"storeId": 1003}, "settings": {"storeName": "Stockroom"},
       "formatsAndUnits": {"timezone": "UTC"}}

- `generalInfo.storeId` is the storeId of the path: Stockroom is one store and answers to any
  storeId (inventory.api.ecwid.base), so a client that compares the profile's storeId with the
  one it was configured with finds it. A number, as Ecwid's is, when it is one.
- `settings.storeName` is the `STORE_NAME` setting; `formatsAndUnits.timezone` is
  `DJANGO_TIME_ZONE`'s.
- Nothing else: Stockroom has no storefront (`storeUrl`), owner account, company, taxes or
  currency, and inventing them would mislead a client more than their absence does.
- Any valid token may read it, whatever its scopes (Ecwid asks for `read_store_profile`, a
  scope Stockroom does not have).
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, Field
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.ecwid.base import ID, MAX_ID, STORE_PARAMETER, EcwidApi
from inventory.api.ecwid.errors import ecwid_errors
from inventory.models import ApiClient


class EcwidGeneralInfo(BaseModel):
    storeId: int | str = Field(description="The storeId of the path.")


class EcwidSettings(BaseModel):
    storeName: str = Field(description="The `STORE_NAME` setting.")


class EcwidFormatsAndUnits(BaseModel):
    timezone: str = Field(description="The time zone of the store (`DJANGO_TIME_ZONE`).")


class EcwidProfile(BaseModel):
    generalInfo: EcwidGeneralInfo
    settings: EcwidSettings
    formatsAndUnits: EcwidFormatsAndUnits


class AnyValidToken(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiClient)


def store_number(store_id: str) -> int | str:
    """The path's storeId as Ecwid's number, or as given when it is not one."""
    if ID.fullmatch(store_id) and int(store_id) <= MAX_ID:
        return int(store_id)
    return store_id


class EcwidProfileApi(EcwidApi):
    permission_classes = [AnyValidToken]

    @extend_schema(
        operation_id="ecwid_get_profile",
        summary="Get store profile (Ecwid)",
        description="What Ecwid clients read on start: the storeId (that of the path: one "
        "store answers to any), the store's name and its time zone. Any valid token.",
        parameters=[STORE_PARAMETER],
        responses={200: EcwidProfile, **ecwid_errors(400, 401, 429)},
    )
    def get(self, request: Request, store_id: str) -> Response:
        return Response(
            {
                "generalInfo": {"storeId": store_number(store_id)},
                "settings": {"storeName": settings.STORE_NAME},
                "formatsAndUnits": {"timezone": settings.TIME_ZONE},
            }
        )
