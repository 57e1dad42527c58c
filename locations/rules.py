"""What a location's opening hours may hold: one rule, used by the locations API (its bodies in
inventory/api/location_schemas.py) and by the admin's location form, which both store the
rule's normalised form. Unknown fields are ignored, as BigCommerce does; types are strict."""

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import ValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    TypeAdapter,
)
from pydantic import ValidationError as PydanticValidationError

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_SPECIAL_HOURS = 1000


def trimmed(value: str) -> str:
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


def _iso_date(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date as YYYY-MM-DD") from None
    return value


Required = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(trimmed)]
Time = Annotated[str, Field(pattern=TIME_PATTERN, examples=["08:00"])]


class _Hours(BaseModel):
    model_config = ConfigDict(extra="ignore")


class OperatingHoursForDay(_Hours):
    open: StrictBool = False
    opening: Time = "00:00"
    closing: Time = "00:00"


class OperatingHours(_Hours):
    """Opening and closing hours for each day of the week; a day left out is closed."""

    sunday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    monday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    tuesday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    wednesday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    thursday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    friday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)
    saturday: OperatingHoursForDay = Field(default_factory=OperatingHoursForDay)


class SpecialHours(_Hours):
    label: Required
    date: Annotated[
        str,
        Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"}),
        AfterValidator(_iso_date),
    ]
    open: StrictBool
    opening: Time = "00:00"
    closing: Time = "00:00"
    all_day: StrictBool = False
    annual: StrictBool = False


SpecialHoursList = Annotated[list[SpecialHours], Field(max_length=MAX_SPECIAL_HOURS)]
_OPERATING_HOURS = TypeAdapter(OperatingHours)
_SPECIAL_HOURS = TypeAdapter(SpecialHoursList)

# The admin's words for what pydantic reports by error type (the API keeps pydantic's own).
_PLAIN = {
    "model_type": "must be an object in braces",
    "model_attributes_type": "must be an object in braces",
    "list_type": "must be a list in square brackets",
    "bool_type": "must be true or false",
    "missing": "is required",
    "string_type": "must be text in double quotes",
}
# What a field of the wrong shape should look like, by field and depth.
_EXAMPLES = {
    ("Opening hours", 0): '{"monday": {"open": true, "opening": "09:00", "closing": "17:00"}}',
    ("Opening hours", 1): '{"open": true, "opening": "09:00", "closing": "17:00"}',
    ("Special hours", 0): '[{"label": "New Year", "date": "2026-01-01", "open": false}]',
    ("Special hours", 1): '{"label": "New Year", "date": "2026-01-01", "open": false}',
}
_TIME_FIELDS = {"opening", "closing"}


def clean_operating_hours(value: Any) -> dict[str, Any]:
    """The week as stored: every day, each with open, opening and closing. Empty: closed."""
    hours = _validated(_OPERATING_HOURS, {} if value is None else value, "Opening hours")
    return hours.model_dump(mode="json")


def clean_special_hours(value: Any) -> list[dict[str, Any]]:
    hours = _validated(_SPECIAL_HOURS, [] if value is None else value, "Special hours")
    return [day.model_dump(mode="json") for day in hours]


def _validated(rule: TypeAdapter, value: Any, name: str) -> Any:
    """`rule` applied to `value`; its refusals as a ValidationError, one message per field."""
    try:
        return rule.validate_python(value)
    except PydanticValidationError as error:
        raise ValidationError([_message(name, item) for item in error.errors()]) from None


def _message(name: str, item: Any) -> str:
    """`Special hours, entry 2, date: must be a date as YYYY-MM-DD.`"""
    where = [name] + [
        f"entry {part + 1}" if isinstance(part, int) else part for part in item["loc"]
    ]
    plain = _PLAIN.get(item["type"], item["msg"])
    if item["type"] == "value_error":  # our own validators' words, without pydantic's prefix
        plain = str(item["ctx"]["error"])
    if item["type"] == "string_pattern_mismatch":
        is_time = item["loc"][-1] in _TIME_FIELDS
        plain = (
            "must be a time as HH:MM, such as 08:00" if is_time else "must be a date as YYYY-MM-DD"
        )
    example = _EXAMPLES.get((name, len(item["loc"])))
    if item["type"] in ("model_type", "list_type") and example:
        plain += f", such as {example}"
    return f"{', '.join(where)}: {plain}."
