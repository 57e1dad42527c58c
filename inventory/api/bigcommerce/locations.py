"""BigCommerce's Locations API: `GET/POST/PUT/DELETE /api/v3/inventory/locations`.

It lives in `inventory` because it uses the API clients and knows about stock: the writes are
`locations.services`, and whether a location may be deleted is decided here.

Deleting a location (BigCommerce: "deleting locations that have inventory also deletes its
stock") is refused with 422, naming the location, when:
- it is location 1, the default location and shipping origin (BigCommerce's own refusal);
- it holds stock (a balance with a non-zero quantity): adjust or transfer the stock away first;
- it has stock history (ledger lines, even if its stock is now zero): the ledger is append-only
  and refers to its locations, so the location stays and the answer says to disable it instead
  (`PUT` with `"enabled": false`), which stops stock changes there and keeps the history;
- deleting it would leave an API client restricted to locations with none (an empty list
  means "every location", so the client would silently gain access everywhere).
Otherwise its balances (settings only, quantity 0, no history) are deleted with it.
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from django.db.models import Count
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import LocationsScope, allowed_location_ids
from inventory.api.bigcommerce import filters
from inventory.api.bigcommerce.location_schemas import (
    ADDRESS_FIELDS,
    GeoCoordinates,
    LocationsCreateRequest,
    LocationsResponse,
    LocationsUpdateRequest,
    model_fields,
)
from inventory.api.bigcommerce.query import ID_LIST, PAGE_PARAMETERS, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet
from inventory.api.errors import Problem, problem_response
from inventory.api.idempotent import idempotent_write
from inventory.api.openapi import IDEMPOTENCY_PARAMETER, problems
from inventory.api.schemas import TransactionResponse
from inventory.models import AdjustmentLine, ApiClient, Balance
from locations.models import Location
from locations.services import (
    CANT_BE_DELETED,
    LocationsConflict,
    LocationsNotFound,
    LocationsRejected,
    create_locations,
    delete_locations,
    update_locations,
)


class LocationViewSet(BigCommerceViewSet):
    """Reads need `store_locations_read_only`, writes `store_locations`."""

    permission_classes = [LocationsScope]
    view_names = {"list": "Locations Api"}

    @extend_schema(
        operation_id="getLocations",
        summary="Get Locations",
        parameters=[*filters.parameters(filters.LocationFilters), *PAGE_PARAMETERS],
        responses={200: LocationsResponse, **problems(401, 403, 422, 429)},
    )
    def list(self, request: Request) -> Response:
        found = Location.objects.order_by("pk")
        locations = filters.apply(filters.LocationFilters, request, found)
        allowed = allowed_location_ids(request.auth)
        if allowed is not None:
            locations = locations.filter(pk__in=allowed)
        page = paginate(request, locations)
        data = [location_fields(location) for location in page.rows]
        return Response(LocationsResponse.model_validate({"data": data, "meta": page.meta}))

    @extend_schema(
        operation_id="createLocations",
        summary="Create Locations",
        description="Create locations, all or none. BigCommerce answers with a transaction id "
        "only: read the new locations back by `location_code:in`.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=LocationsCreateRequest,
        responses={200: TransactionResponse, **problems(400, 401, 403, 409, 413, 415, 422, 429)},
    )
    def create(self, request: Request) -> Response:
        if allowed_location_ids(request.auth) is not None:
            raise Problem(
                status.HTTP_403_FORBIDDEN,
                "This token is restricted to some locations and may not create locations.",
            )
        payload = LocationsCreateRequest.model_validate(request.data)
        fields = [model_fields(entry) for entry in payload.root]
        return _write(request, lambda: create_locations(locations=fields))

    @extend_schema(
        operation_id="updateLocations",
        summary="Update Locations",
        description="Update locations by `id`, all or none; fields left out are unchanged.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=LocationsUpdateRequest,
        responses={200: TransactionResponse, **problems(400, 401, 403, 409, 413, 415, 422, 429)},
    )
    def update_many(self, request: Request) -> Response:
        payload = LocationsUpdateRequest.model_validate(request.data)
        _refuse_outside_allowed(request, [entry.id for entry in payload.root], field="{}.id")
        updates = [(entry.id, model_fields(entry)) for entry in payload.root]
        return _write(request, lambda: update_locations(updates=updates))

    @extend_schema(
        operation_id="deleteLocations",
        summary="Delete Locations",
        description="Delete locations, all or none; ids that do not exist are ignored (404 if "
        "none exists). Refused (422, naming the location) for the default location 1 (the "
        "shipping origin), a location holding stock, a location with stock history (the ledger "
        "is kept for good: disable it instead with `PUT` `enabled: false`), and the last "
        "allowed location of a restricted API client. Its zero-stock balances go with it.",
        parameters=[
            OpenApiParameter(
                "location_id:in",
                ID_LIST,
                required=True,
                description="Comma-separated list of `location_id`.",
            ),
            IDEMPOTENCY_PARAMETER,
        ],
        request=None,
        responses={
            200: TransactionResponse,
            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
    )
    def destroy_many(self, request: Request) -> Response:
        ids = filters.one(
            filters.CommaListField(ids=True, required=False), request, "location_id:in"
        )
        if not ids:
            raise Problem(
                status.HTTP_422_UNPROCESSABLE_ENTITY,
                "Payload contains invalid fields",
                {"location_id:in": "Required: a comma-separated list of location ids."},
            )
        _refuse_outside_allowed(request, ids, field="location_id:in.{}")
        return _write(
            request,
            lambda: delete_locations(ids=ids, refusals=_deletion_refusals, release=_drop_balances),
        )


def location_fields(location: Location) -> dict[str, Any]:
    """A Location as BigCommerce's LocationResponse: the address is flattened into columns."""
    geo = None
    if location.latitude is not None and location.longitude is not None:
        # Not validated: the admin stores coordinates the API's range checks would refuse.
        geo = GeoCoordinates.model_construct(
            latitude=location.latitude, longitude=location.longitude
        )
    return {
        "id": location.pk,
        "uuid": str(location.uuid),  # ours: what Zettle clients name the location by
        "code": location.code,
        "label": location.label,
        "description": location.description,
        "managed_by_external_source": location.managed_by_external_source,
        "type_id": location.type_id,
        "enabled": location.enabled,
        "operating_hours": location.operating_hours or {},  # days left out are closed
        "time_zone": location.time_zone,
        "created_at": location.created_at,
        "updated_at": location.updated_at,
        "address": {
            **{name: getattr(location, name) for name in ADDRESS_FIELDS},
            "geo_coordinates": geo,
        },
        "storefront_visibility": location.storefront_visibility,
        "special_hours": location.special_hours or [],
    }


def _write(request: Request, write) -> Response:
    def run() -> dict[str, str]:
        write()
        return TransactionResponse(transaction_id=str(uuid4())).model_dump(mode="json")

    try:
        return idempotent_write(request, run)
    except LocationsRejected as error:
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
        if isinstance(error, LocationsNotFound):
            code = status.HTTP_404_NOT_FOUND
        elif isinstance(error, LocationsConflict):
            code = status.HTTP_409_CONFLICT
        return problem_response(code, error.title, error.errors)


def _refuse_outside_allowed(request: Request, ids: Sequence[int], *, field: str) -> None:
    """A client restricted to some locations may change only those (403 naming the others)."""
    allowed = allowed_location_ids(request.auth)
    if allowed is None:
        return
    outside = {index: pk for index, pk in enumerate(ids) if pk not in allowed}
    if outside:
        named = ", ".join(str(pk) for pk in dict.fromkeys(outside.values()))
        raise Problem(
            status.HTTP_403_FORBIDDEN,
            f"This token may not change locations outside its allowed locations: [{named}]",
            {field.format(index): "Not one of this token's locations." for index in outside},
        )


def _deletion_refusals(locations: Sequence[Location]) -> dict[int, str]:
    """Why each location that may not be deleted may not (see the module docstring). Runs
    under the locations' row locks: a stock write to them waits for this transaction."""
    ids = [location.pk for location in locations]
    holding = dict(
        Balance.objects.filter(location_id__in=ids)
        .exclude(quantity=0)
        .values("location_id")
        .annotate(items=Count("pk"))
        .values_list("location_id", "items")
    )
    with_history = set(
        AdjustmentLine.objects.filter(location_id__in=ids)
        .values_list("location_id", flat=True)
        .distinct()
    )
    stranded = _clients_left_without_locations(set(ids))
    reasons: dict[int, str] = {}
    for location in locations:
        name = location.label
        if location.pk in holding:
            reasons[location.pk] = (
                f"{CANT_BE_DELETED} {name} holds stock of {holding[location.pk]} "
                "item(s); move it or adjust it to zero first."
            )
        elif location.pk in with_history:
            reasons[location.pk] = (
                f"{CANT_BE_DELETED} {name} has stock history, which is kept for good; "
                "disable it instead (PUT with enabled: false)."
            )
        elif location.pk in stranded:
            clients = ", ".join(sorted(stranded[location.pk]))
            reasons[location.pk] = (
                f"{CANT_BE_DELETED} {name} is the last allowed location of API "
                f"client(s) {clients}; change their allowed locations first."
            )
    return reasons


def _clients_left_without_locations(ids: set[int]) -> dict[int, set[str]]:
    """Active clients all of whose allowed locations are in `ids`, by location."""
    through = ApiClient.allowed_locations.through
    rows = through.objects.filter(
        apiclient__revoked_at__isnull=True,
        apiclient__in=through.objects.filter(location_id__in=ids).values("apiclient_id"),
    ).values_list("apiclient_id", "apiclient__name", "location_id")
    allowed: dict[int, set[int]] = defaultdict(set)
    names: dict[int, str] = {}
    for client_id, name, location_id in rows:
        allowed[client_id].add(location_id)
        names[client_id] = name
    stranded: dict[int, set[str]] = defaultdict(set)
    for client_id, locations in allowed.items():
        if locations <= ids:
            for location_id in locations:
                stranded[location_id].add(names[client_id])
    return stranded


def _drop_balances(ids: Sequence[int]) -> None:
    """BigCommerce deletes a location's stock with it. Only rows at quantity 0 without history
    can remain here (the refusals saw to that): settings, nothing the ledger refers to."""
    Balance.objects.filter(location_id__in=ids, quantity=0).delete()
