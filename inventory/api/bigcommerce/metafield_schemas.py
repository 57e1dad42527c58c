"""Bodies of BigCommerce's location metafields (`/inventory/locations/{location_id}/metafields`
and the batch `/inventory/locations/metafields`), shaped as in its `locations.v3.yml`: unknown
fields are ignored, types are strict, and a whole batch is validated before anything is
written."""

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, StrictInt, field_serializer

from inventory.api.schemas import Meta, ResponseBody
from inventory.models import MAX_BATCH_LINES
from inventory.models.metafields import MAX_DESCRIPTION_LENGTH, MAX_NAME_LENGTH, MAX_VALUE_LENGTH

PermissionSet = Literal["app_only", "read", "write", "read_and_sf_access", "write_and_sf_access"]
PERMISSION_SET = Field(
    description="Who else may use it: `app_only` (only the client that wrote it), `read` "
    "(other clients read it), `write` (other clients read and change it); the `_sf_access` "
    "forms mean the same here (Stockroom has no storefront)."
)
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
Value = Annotated[str, Field(min_length=1, max_length=MAX_VALUE_LENGTH)]
Description = Annotated[str, Field(max_length=MAX_DESCRIPTION_LENGTH)]
MetafieldId = Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class MetafieldCreate(_Body):
    """BigCommerce's MetafieldBase as it must be sent to create one."""

    namespace: Name
    key: Name
    value: Value
    permission_set: PermissionSet = PERMISSION_SET
    description: Description = ""


class MetafieldUpdate(_Body):
    """Fields left out (or null) are unchanged."""

    namespace: Name | None = None
    key: Name | None = None
    value: Value | None = None
    permission_set: PermissionSet | None = None
    description: Description | None = None


class MetafieldCreateAt(MetafieldCreate):
    resource_id: MetafieldId = Field(description="The location the metafield is kept at.")


class MetafieldUpdateById(MetafieldUpdate):
    id: MetafieldId | Annotated[str, Field(pattern=r"^[1-9][0-9]{0,17}$")] = Field(
        description="The metafield to change (BigCommerce's schema types it as a string)."
    )

    @property
    def metafield_id(self) -> int:
        return int(self.id)


class MetafieldsCreateRequest(RootModel[list[MetafieldCreateAt]]):
    root: list[MetafieldCreateAt] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class MetafieldsUpdateRequest(RootModel[list[MetafieldUpdateById]]):
    root: list[MetafieldUpdateById] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class MetafieldsDeleteRequest(RootModel[list[MetafieldId]]):
    root: list[MetafieldId] = Field(min_length=1, max_length=MAX_BATCH_LINES)


class Metafield(ResponseBody):
    """BigCommerce's Metafield of a location."""

    id: int
    key: str
    value: str
    namespace: str
    permission_set: PermissionSet
    description: str
    resource_type: Literal["location"]
    resource_id: int = Field(description="The location's id.")
    date_created: dt.datetime
    date_modified: dt.datetime
    owner_client_id: str = Field(
        description="The token prefix of the API client that wrote it (its public part)."
    )

    @field_serializer("date_created", "date_modified")
    def _with_offset(self, value: dt.datetime):  # BigCommerce's 2022-04-14T23:06:45+00:00
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class MetafieldResponse(ResponseBody):
    data: Metafield
    meta: dict[str, Any] = Field(default_factory=dict)


class MetafieldsResponse(ResponseBody):
    data: list[Metafield]
    meta: Meta


class WriteMeta(ResponseBody):
    total: int
    success: int
    failed: int = Field(description="Always 0: a batch is written whole or not at all.")


class MetafieldsWriteResponse(ResponseBody):
    data: list[Metafield]
    errors: list[Any] = Field(default_factory=list, description="Always empty.")
    meta: WriteMeta


class MetafieldsDeleteResponse(ResponseBody):
    data: list[int] = Field(description="The ids of the deleted metafields.")
    errors: list[Any] = Field(default_factory=list, description="Always empty.")
    meta: WriteMeta
