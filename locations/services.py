"""Writes of locations: create, update and delete a batch, all or nothing, in one transaction.

This app knows nothing of stock (`inventory` imports `locations`, never the reverse). Whether a
location may be deleted given its stock, history or API clients is for the caller to say:
`delete_locations` takes a `refusals` callable (and a `release` one to drop what the caller
keeps about a location that may go), both run under the locations' row locks.
"""

import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, RestrictedError

from locations.models import DEFAULT_LOCATION_ID, Location
from locations.signals import locations_changed

# BigCommerce: "Limit of 100 active locations."
MAX_ACTIVE_LOCATIONS = 100
EDITABLE_FIELDS = frozenset(
    {
        "code",
        "label",
        "description",
        "type_id",
        "enabled",
        "managed_by_external_source",
        "storefront_visibility",
        "time_zone",
        "address1",
        "address2",
        "city",
        "state",
        "zip",
        "email",
        "phone",
        "country_code",
        "latitude",
        "longitude",
        "operating_hours",
        "special_hours",
    }
)
# BigCommerce's titles spell "can't" with U+02BC (modifier letter apostrophe).
CANT_BE_DELETED = "Location can\u02bct be deleted."
Fields = Mapping[str, Any]
Refusals = Callable[[Sequence[Location]], Mapping[int, str]]
Release = Callable[[Sequence[int]], None]


class LocationErrorCode(StrEnum):
    INVALID = "invalid_locations"
    TOO_MANY_ACTIVE = "too_many_active_locations"
    SHIPPING_ORIGIN = "shipping_origin"
    IN_USE = "location_in_use"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"


class LocationsRejected(Exception):
    """The batch breaks a rule; nothing was written. `errors` maps a field path (`1.code`) to
    what is wrong there; `title` says it in one line, BigCommerce style."""

    def __init__(
        self, title: str, errors: Mapping[str, str] | None = None, *, code: LocationErrorCode
    ) -> None:
        super().__init__(title)
        self.title = title
        self.errors = dict(errors or {})
        self.code = code


class LocationsNotFound(LocationsRejected):
    """None of the locations named exists."""


class LocationsConflict(LocationsRejected):
    """A concurrent request took a code this batch wanted; retrying is safe."""

    def __init__(self) -> None:
        super().__init__(
            "Another request changed the locations at the same moment; retry.",
            code=LocationErrorCode.CONFLICT,
        )


def create_locations(*, locations: Sequence[Fields]) -> list[Location]:
    """Create every location of the batch or none. Codes must be new and distinct; a location
    sent without one gets `BC-LOCATION-<id>`. Refused if it would take the store past
    MAX_ACTIVE_LOCATIONS enabled locations."""
    for fields in locations:
        _check_fields(fields)
    codes = {index: fields["code"] for index, fields in enumerate(locations) if fields.get("code")}
    with transaction.atomic():
        errors = _code_errors(codes, owners={})
        if errors:
            raise LocationsRejected(_title(errors), errors, code=LocationErrorCode.INVALID)
        created = []
        try:
            for fields in locations:
                location = Location(**fields)
                generated = not fields.get("code")
                if generated:
                    location.code = f"new-{uuid.uuid4().hex}"  # unique until the id is known
                location.save()
                if generated:
                    location.code = _generated_code(location.pk)
                    location.save(update_fields=["code"])
                created.append(location)
        except IntegrityError as exc:  # a concurrent request took one of the codes
            raise LocationsConflict() from exc
        if any(location.enabled for location in created):
            _check_active_limit()
        locations_changed.send(
            sender=Location, created=[location.pk for location in created], updated=[]
        )
    return created


def update_locations(*, updates: Sequence[tuple[int, Fields]]) -> list[Location]:
    """Apply `(location_id, changed fields)` pairs, all or none. Rows are locked in id order.
    A code must not belong to another location (swapping two codes takes two requests)."""
    errors: dict[str, str] = {}
    first_index: dict[int, int] = {}
    for index, (location_id, fields) in enumerate(updates):
        _check_fields(fields)
        if location_id in first_index:
            errors[f"{index}.id"] = (
                f"Location {location_id} appears more than once (first at {first_index[location_id]})."
            )
        first_index.setdefault(location_id, index)
    with transaction.atomic():
        current = {
            location.pk: location
            for location in Location.objects.select_for_update()
            .filter(pk__in=list(first_index))
            .order_by("pk")
        }
        for index, (location_id, _fields) in enumerate(updates):
            if location_id not in current:
                errors[f"{index}.id"] = f"Location {location_id} does not exist."
        codes = {
            index: fields["code"]
            for index, (location_id, fields) in enumerate(updates)
            if fields.get("code") and location_id in current
            if fields["code"] != current[location_id].code
        }
        owners = {index: updates[index][0] for index in codes}
        errors.update(_code_errors(codes, owners=owners))
        for index, (location_id, fields) in enumerate(updates):
            location = current.get(location_id)
            if location is not None and _becomes_physical_without_address(location, fields):
                errors[f"{index}.address"] = (
                    "A PHYSICAL location needs an address: send `address` with the type change."
                )
        if errors:
            raise LocationsRejected(_title(errors), errors, code=LocationErrorCode.INVALID)
        newly_enabled = False
        try:
            for location_id, fields in updates:
                location = current[location_id]
                newly_enabled |= bool(fields.get("enabled")) and not location.enabled
                for name, value in fields.items():
                    setattr(location, name, value)
                if fields:
                    location.save(update_fields=[*fields, "updated_at"])
        except IntegrityError as exc:
            raise LocationsConflict() from exc
        if newly_enabled:
            _check_active_limit()
        changed = list(dict.fromkeys(location_id for location_id, fields in updates if fields))
        if changed:
            locations_changed.send(sender=Location, created=[], updated=changed)
    return [current[location_id] for location_id, _ in updates]


def delete_locations(
    *,
    ids: Sequence[int],
    refusals: Refusals | None = None,
    release: Release | None = None,
) -> list[Location]:
    """Delete the existing locations among `ids`, all or none; unknown ids are ignored, but if
    none exists LocationsNotFound is raised.

    The rows are locked first (FOR UPDATE, which also waits for and then blocks stock writes
    that reference them), then refused if one is the default location (the shipping origin)
    or if `refusals(locations)` gives a reason, keyed by location id. Otherwise `release(ids)`
    drops what the caller keeps about them, and they are deleted. Anything else still pointing
    at a location with a protected foreign key refuses the whole batch too.
    """
    with transaction.atomic():
        locations = list(Location.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if not locations:
            raise LocationsNotFound(
                f"Location not found, identities: [{','.join(str(i) for i in ids)}]",
                {"location_id:in": "None of these locations exists."},
                code=LocationErrorCode.NOT_FOUND,
            )
        reasons = dict(refusals(locations)) if refusals else {}
        for location in locations:
            if location.pk == DEFAULT_LOCATION_ID:
                reasons[location.pk] = (
                    f"{CANT_BE_DELETED} {location.label} is set as a shipping origin "
                    "for this store and can\u02bct be deleted."
                )
        if reasons:
            code = (
                LocationErrorCode.SHIPPING_ORIGIN
                if DEFAULT_LOCATION_ID in reasons
                else LocationErrorCode.IN_USE
            )
            messages = [reasons[location.pk] for location in locations if location.pk in reasons]
            position = {pk: index for index, pk in reversed(list(enumerate(ids)))}
            errors = {
                f"location_id:in.{position[pk]}": message
                for pk, message in sorted(reasons.items(), key=lambda pair: position[pair[0]])
            }
            raise LocationsRejected(_listing(messages), errors, code=code)
        found = [location.pk for location in locations]
        if release:
            release(found)
        try:
            Location.objects.filter(pk__in=found).delete()
        except (ProtectedError, RestrictedError) as exc:
            blocked = sorted({obj._meta.verbose_name_plural for obj in exc.args[1]})
            raise LocationsRejected(
                f"{CANT_BE_DELETED} It is still referenced by "
                + ", ".join(str(name) for name in blocked)
                + "; disable it instead.",
                code=LocationErrorCode.IN_USE,
            ) from exc
    return locations


def _check_fields(fields: Fields) -> None:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"not editable location fields: {sorted(unknown)}")


def _code_errors(codes: Mapping[int, str], *, owners: Mapping[int, int]) -> dict[str, str]:
    """Codes (by batch index) that repeat in the batch or belong to another location.
    `owners` gives the location each index updates (absent for a new location)."""
    errors: dict[str, str] = {}
    first: dict[str, int] = {}
    for index, code in codes.items():
        if code in first:
            errors[f"{index}.code"] = (
                f"Code {code!r} appears more than once in this request (first at {first[code]})."
            )
        first.setdefault(code, index)
    taken = dict(Location.objects.filter(code__in=list(first)).values_list("code", "pk"))
    for index, code in codes.items():
        holder = taken.get(code)
        if holder is not None and holder != owners.get(index):
            errors.setdefault(
                f"{index}.code", f"A location with code {code!r} already exists (id {holder})."
            )
    return errors


def _becomes_physical_without_address(location: Location, fields: Fields) -> bool:
    return (
        fields.get("type_id") == Location.Type.PHYSICAL
        and location.type_id != Location.Type.PHYSICAL
        and not fields.get("address1", location.address1)
    )


def _generated_code(pk: int) -> str:
    code = f"BC-LOCATION-{pk}"
    if Location.objects.filter(code=code).exists():
        code = f"BC-LOCATION-{pk}-{uuid.uuid4().hex[:8]}"
    return code


def _check_active_limit() -> None:
    active = Location.objects.filter(enabled=True).count()
    if active > MAX_ACTIVE_LOCATIONS:
        raise LocationsRejected(
            f"Limit of {MAX_ACTIVE_LOCATIONS} active locations reached ({active} would be "
            "enabled); disable a location first.",
            code=LocationErrorCode.TOO_MANY_ACTIVE,
        )


def _title(errors: Mapping[str, str]) -> str:
    return _listing(list(errors.values()))


def _listing(messages: list[str]) -> str:
    if len(messages) == 1:
        return messages[0]
    shown = messages[:10]
    more = f", and {len(messages) - len(shown)} more" if len(messages) > len(shown) else ""
    return "[" + ", ".join(shown) + more + "]"
