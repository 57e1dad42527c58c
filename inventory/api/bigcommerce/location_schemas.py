"""Bodies of BigCommerce's Locations API (`/inventory/locations`) as pydantic models, shaped as
in its `locations.v3.yml`: `LocationsCreateRequest`, `LocationsUpdateRequest`, `LocationResponse`.
Unknown fields are ignored, as BigCommerce does; types are strict (no "true" for true)."""

import datetime as dt
import zoneinfo
from functools import cache
from typing import Annotated, Any, ClassVar, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationInfo,
    field_serializer,
    field_validator,
)

from inventory.api.schemas import Meta, ResponseBody, absent
from locations.rules import OperatingHours, Required, SpecialHours, SpecialHoursList, trimmed

MAX_LOCATIONS_PER_REQUEST = 100
# The address as Location columns, in the order the API has always sent them.
ADDRESS_FIELDS = ("address1", "address2", "city", "state", "zip", "email", "phone", "country_code")


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("must be a valid email address") from None
    return value


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("must be a time zone name from the tz database, such as Etc/UTC")
    return value


def _upper(value: str) -> str:
    return value.upper()


Text = Annotated[str, Field(max_length=255)]
Code = Annotated[
    str,
    Field(min_length=1, max_length=100, description="Location user-defined unique identifier."),
    AfterValidator(trimmed),
]
Email = Annotated[
    str, Field(max_length=254, examples=["admin@example.com"]), AfterValidator(_email)
]
Zip = Annotated[str, Field(min_length=1, max_length=32)]
Phone = Annotated[str, Field(max_length=64)]
CountryCode = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z]{2,3}$",
        description="ISO 3166 country code (BigCommerce's examples use alpha-2: US).",
        examples=["US"],
    ),
    AfterValidator(_upper),
]
TimeZone = Annotated[
    str,
    Field(max_length=64, description="A tz database name.", examples=["Etc/UTC"]),
    AfterValidator(_time_zone),
]
Description = Annotated[str, Field(max_length=2000)]
LocationType = Literal["PHYSICAL", "VIRTUAL"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="ignore")


class GeoCoordinates(_Body):
    latitude: Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)]
    longitude: Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)]


class AddressCreate(_Body):
    """Required when the location is PHYSICAL."""

    address1: Required
    address2: Text = ""
    city: Required
    state: Required
    zip: Zip
    email: Email
    phone: Phone = ""
    geo_coordinates: GeoCoordinates
    country_code: CountryCode


class AddressUpdate(_Body):
    """Only the fields sent change (`country_code` is required, as in BigCommerce's schema)."""

    address1: Required | None = None
    address2: Text | None = None
    city: Required | None = None
    state: Required | None = None
    zip: Zip | None = None
    email: Email | None = None
    phone: Phone | None = None
    geo_coordinates: GeoCoordinates | None = None
    country_code: CountryCode


class LocationCreate(_Body):
    code: Code | None = None
    label: Required
    description: Description | None = None
    managed_by_external_source: StrictBool
    type_id: LocationType
    enabled: StrictBool = True
    operating_hours: OperatingHours | None = None
    time_zone: TimeZone
    address: AddressCreate | None = Field(
        default=None,
        validate_default=True,
        description="Required if the location's `type_id` is `PHYSICAL`.",
    )
    storefront_visibility: StrictBool = True
    special_hours: SpecialHoursList = Field(default_factory=list)

    @field_validator("address", mode="after")
    @classmethod
    def physical_has_address(
        cls, address: AddressCreate | None, info: ValidationInfo
    ) -> AddressCreate | None:
        if address is None and info.data.get("type_id") == "PHYSICAL":
            raise ValueError("Address is required for a PHYSICAL location.")
        return address


class LocationUpdate(_Body):
    """Fields left out (or null) are unchanged."""

    id: Annotated[StrictInt, Field(ge=1, le=2**63 - 1)]
    code: Code | None = None
    label: Required | None = None
    description: Description | None = None
    managed_by_external_source: StrictBool | None = None
    type_id: LocationType | None = None
    enabled: StrictBool | None = None
    operating_hours: OperatingHours | None = None
    time_zone: TimeZone | None = None
    address: AddressUpdate | None = None
    storefront_visibility: StrictBool | None = None
    special_hours: SpecialHoursList | None = None


class LocationsCreateRequest(RootModel[list[LocationCreate]]):
    root: list[LocationCreate] = Field(min_length=1, max_length=MAX_LOCATIONS_PER_REQUEST)


class LocationsUpdateRequest(RootModel[list[LocationUpdate]]):
    root: list[LocationUpdate] = Field(min_length=1, max_length=MAX_LOCATIONS_PER_REQUEST)


class AddressResponse(ResponseBody):
    documented_order = (*ADDRESS_FIELDS[:-1], "geo_coordinates", "country_code")

    address1: str
    address2: str
    city: str
    state: str
    zip: str
    email: str
    phone: str
    country_code: str
    geo_coordinates: GeoCoordinates | None = Field(
        default=None,
        description="Left out when the location has no coordinates.",
        exclude_if=absent,
    )


class LocationResponse(ResponseBody):
    """BigCommerce's LocationResponse, with our `uuid` (Zettle's locationUuid)."""

    id: int
    uuid: str = Field(description="Ours: the location's UUID (Zettle's locationUuid).")
    code: str
    label: str
    description: str
    managed_by_external_source: bool
    type_id: LocationType
    enabled: bool
    operating_hours: OperatingHours
    time_zone: str
    created_at: dt.datetime
    updated_at: dt.datetime
    address: AddressResponse
    storefront_visibility: bool
    special_hours: list[SpecialHours]

    @field_serializer("created_at", "updated_at")
    def _in_whole_seconds(self, value: dt.datetime):  # BigCommerce's 2022-05-30T12:18:02Z
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class LocationsResponse(ResponseBody):
    python_floats: ClassVar[bool] = True  # the coordinates: see inventory.api.renderers

    data: list[LocationResponse]
    meta: Meta


# How the API's fields map onto the model's (the address is flattened into columns).
_PLAIN_FIELDS = (
    "code",
    "label",
    "description",
    "managed_by_external_source",
    "type_id",
    "enabled",
    "time_zone",
    "storefront_visibility",
)


def model_fields(entry: LocationCreate | LocationUpdate) -> dict[str, Any]:
    """The Location column values an entry sets: every field of a create, and only the fields
    sent (not null) in an update."""
    given = entry.model_fields_set
    partial = isinstance(entry, LocationUpdate)
    fields: dict[str, Any] = {}
    for name in _PLAIN_FIELDS:
        value = getattr(entry, name)
        if partial and (name not in given or value is None):
            continue
        fields[name] = value
    if "description" in fields and fields["description"] is None:
        fields["description"] = ""
    if "code" in fields and fields["code"] is None:
        del fields["code"]
    if entry.operating_hours is not None or not partial:
        hours = entry.operating_hours or OperatingHours()
        fields["operating_hours"] = hours.model_dump(mode="json")
    if entry.special_hours is not None:
        fields["special_hours"] = [day.model_dump(mode="json") for day in entry.special_hours]
    address = entry.address
    if address is not None:
        for name in ADDRESS_FIELDS:
            value = getattr(address, name)
            if value is not None:
                fields[name] = value
        if address.geo_coordinates is not None:
            fields["latitude"] = address.geo_coordinates.latitude
            fields["longitude"] = address.geo_coordinates.longitude
    return fields
