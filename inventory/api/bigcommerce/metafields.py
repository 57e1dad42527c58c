"""BigCommerce's location metafields: one location's (`/inventory/locations/{location_id}/
metafields`, five operations) and every location's in batches (`/inventory/locations/metafields`,
four). Reads need `store_locations_read_only`, writes `store_locations`, as for the locations.
Who may read or change which metafield, and the writes themselves, are inventory.metafields' (selectors and services).

Refusals are problem+json naming the failing fields (`3.key`; a batch DELETE names the index,
`3`, as BigCommerce does). A batch is written whole or not at all, so where BigCommerce answers
a partial success (422 with the entries that were written) we answer 422 with nothing written,
and `meta.failed` of a success is always 0."""

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from inventory.api.auth import LocationsScope, allowed_location_ids
from inventory.api.bigcommerce import filters
from inventory.api.bigcommerce.metafield_schemas import (
    MetafieldCreate,
    MetafieldResponse,
    MetafieldsCreateRequest,
    MetafieldsDeleteRequest,
    MetafieldsDeleteResponse,
    MetafieldsResponse,
    MetafieldsUpdateRequest,
    MetafieldsWriteResponse,
    MetafieldUpdate,
)
from inventory.api.bigcommerce.query import PAGE_PARAMETERS, TEXT_LIST, paginate
from inventory.api.bigcommerce.routing import BigCommerceViewSet, BodyOnDelete
from inventory.api.errors import Problem, listing_title, problem_response
from inventory.api.idempotent import idempotency_key, idempotent_write, run_once
from inventory.api.openapi import IDEMPOTENCY_PARAMETER, problems
from inventory.idempotency import Kept
from inventory.metafields.selectors import readable_by
from inventory.metafields.services import (
    MetafieldChange,
    MetafieldErrorCode,
    MetafieldsConflict,
    MetafieldsRejected,
    NewMetafield,
    create_metafields,
    delete_metafields,
    update_metafields,
)
from inventory.models import LocationMetafield
from locations.models import Location

Code = MetafieldErrorCode
FORBIDDEN = {Code.OUTSIDE_LOCATIONS, Code.READ_ONLY}
INCLUDABLE = frozenset(
    {"resource_id", "key", "value", "namespace", "permission_set", "resource_type"}
    | {"description", "owner_client_id", "date_created", "date_modified"}
)
LIST_PARAMETERS = [
    *filters.parameters(filters.MetafieldFilters),
    OpenApiParameter(
        "include_fields",
        TEXT_LIST,
        description="Comma-separated fields to answer besides `id`: "
        + ", ".join(sorted(INCLUDABLE))
        + ".",
    ),
    *PAGE_PARAMETERS,
]


def metafield_fields(row: LocationMetafield) -> dict[str, Any]:
    return {
        "id": row.pk,
        "key": row.key,
        "value": row.value,
        "namespace": row.namespace,
        "permission_set": row.permission_set,
        "description": row.description,
        "resource_type": "location",
        "resource_id": row.location_id,
        "date_created": row.created_at,
        "date_modified": row.updated_at,
        "owner_client_id": row.owner.token_prefix,
    }


def answer_page(request: Request, rows) -> Response:
    """One page of `rows` filtered by the request, with only `include_fields` if asked."""
    include = filters.one(filters.CommaListField(required=False), request, "include_fields")
    unknown = sorted(set(include or ()) - INCLUDABLE - {"id", "date modified"})
    if unknown:
        named = ", ".join(unknown)
        raise Problem(422, "Invalid query parameter", {"include_fields": f"Not offered: {named}."})
    page = paginate(request, filters.apply(filters.MetafieldFilters, request, rows.order_by("id")))
    body = MetafieldsResponse.model_validate(
        {"data": [metafield_fields(row) for row in page.rows], "meta": page.meta}
    )
    if include is None:
        return Response(body)
    shown = {"id", *(name.replace(" ", "_") for name in include)}  # BigCommerce's "date modified"
    return Response(
        body.model_dump(mode="json", include={"data": {"__all__": shown}, "meta": True})
    )


def refusal(error: MetafieldsRejected, *, path: str, single: bool = False) -> Response:
    """403 if any entry is out of the client's reach; on one metafield's path 404 for one that
    does not exist and 409 for a namespace and key it already keeps; else 422."""
    if error.codes & FORBIDDEN:
        code = status.HTTP_403_FORBIDDEN
    elif single and Code.NOT_FOUND in error.codes:
        code = status.HTTP_404_NOT_FOUND
    elif single and Code.TAKEN in error.codes:
        code = status.HTTP_409_CONFLICT
    else:
        code = status.HTTP_422_UNPROCESSABLE_ENTITY
    named = {"location_id": "resource_id", **({"id": "metafield_id"} if single else {})}
    keyed: dict[str, str] = {}
    for e in error.errors:
        keyed.setdefault(path.format(index=e.index, field=named.get(e.field, e.field)), e.message)
    return problem_response(code, listing_title([e.message for e in error.errors]), keyed)


def written(request: Request, write, *, path: str, single: bool = False) -> Response:
    """`write()` (which returns the 200 body) with the request's Idempotency-Key, or its
    refusal."""
    try:
        return idempotent_write(request, write)
    except MetafieldsRejected as error:
        return refusal(error, path=path, single=single)
    except MetafieldsConflict as error:
        return problem_response(status.HTTP_409_CONFLICT, error.message)


# `inventory/locations/{location_id}/metafields`. No docstring: see BigCommerceViewSet.
class LocationMetafieldViewSet(BigCommerceViewSet):
    permission_classes = [LocationsScope]
    lookup_field = "metafield_id"
    lookup_value_converter = "int"

    def readable(self, request: Request, location_id: int):
        """The location's metafields this client may read; 404 if it may not see the location."""
        allowed = allowed_location_ids(request.auth)
        if (allowed is not None and location_id not in allowed) or not Location.objects.filter(
            pk=location_id
        ).exists():
            raise Problem(404, f"Location {location_id} not found.")
        return readable_by(request.auth, allowed).filter(location_id=location_id)

    def metafield(self, request: Request, location_id: int, metafield_id: int):
        row = self.readable(request, location_id).filter(pk=metafield_id).first()
        if row is None:
            raise Problem(404, f"Metafield {metafield_id} not found at location {location_id}.")
        return row

    @extend_schema(
        operation_id="getLocationMetafields",
        summary="Get Metafields",
        description="A location's metafields this token may read.",
        parameters=LIST_PARAMETERS,
        responses={200: MetafieldsResponse, **problems(401, 403, 404, 422, 429)},
    )
    def list(self, request: Request, location_id: int) -> Response:
        return answer_page(request, self.readable(request, location_id))

    @extend_schema(
        operation_id="createLocationMetafield",
        summary="Create a Metafield",
        description="Kept as this token's: 409 if it already keeps the namespace and key here.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MetafieldCreate,
        responses={
            200: MetafieldResponse,
            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
    )
    def create(self, request: Request, location_id: int) -> Response:
        self.readable(request, location_id)
        body = MetafieldCreate.model_validate(request.data)
        entry = NewMetafield(location_id=location_id, **body.model_dump())

        def write() -> dict[str, Any]:
            (row,) = create_metafields(
                client=request.auth, allowed=allowed_location_ids(request.auth), entries=[entry]
            )
            return MetafieldResponse(data=metafield_fields(row)).model_dump(mode="json")

        return written(request, write, path="{field}", single=True)

    @extend_schema(
        operation_id="getLocationMetafield",
        summary="Get a Metafield",
        responses={200: MetafieldResponse, **problems(401, 403, 404, 429)},
    )
    def retrieve(self, request: Request, location_id: int, metafield_id: int) -> Response:
        row = self.metafield(request, location_id, metafield_id)
        return Response(MetafieldResponse.model_validate({"data": metafield_fields(row)}))

    @extend_schema(
        operation_id="updateLocationMetafield",
        summary="Update a Metafield",
        description="Fields left out are unchanged. Another client's metafield only if it is "
        "shared for writing, and never its `permission_set`.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MetafieldUpdate,
        responses={
            200: MetafieldResponse,
            **problems(400, 401, 403, 404, 409, 413, 415, 422, 429),
        },
    )
    def update(self, request: Request, location_id: int, metafield_id: int) -> Response:
        self.metafield(request, location_id, metafield_id)
        body = MetafieldUpdate.model_validate(request.data)
        change = MetafieldChange(id=metafield_id, **body.model_dump())

        def write() -> dict[str, Any]:
            (row,) = update_metafields(
                client=request.auth, allowed=allowed_location_ids(request.auth), changes=[change]
            )
            return MetafieldResponse(data=metafield_fields(row)).model_dump(mode="json")

        return written(request, write, path="{field}", single=True)

    @extend_schema(
        operation_id="deleteLocationMetafield",
        summary="Delete a Metafield",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=None,
        responses={204: None, **problems(401, 403, 404, 409, 429)},
    )
    def destroy(self, request: Request, location_id: int, metafield_id: int) -> Response:
        self.metafield(request, location_id, metafield_id)
        allowed = allowed_location_ids(request.auth)
        try:
            answer = run_once(
                request,
                idempotency_key(request),
                lambda: delete_metafields(client=request.auth, allowed=allowed, ids=[metafield_id]),
                lambda _: Kept(status=status.HTTP_204_NO_CONTENT),
            )
        except MetafieldsRejected as error:
            return refusal(error, path="metafield_id", single=True)
        if isinstance(answer, Response):  # a replay
            return answer
        return Response(status=status.HTTP_204_NO_CONTENT)


# `inventory/locations/metafields`. No docstring: see BigCommerceViewSet.
class MetafieldBatchViewSet(BigCommerceViewSet):
    permission_classes = [LocationsScope]
    schema = BodyOnDelete()

    @extend_schema(
        operation_id="getLocationsMetafields",
        summary="Get All Metafields",
        description="Every location's metafields this token may read.",
        parameters=LIST_PARAMETERS,
        responses={200: MetafieldsResponse, **problems(401, 403, 422, 429)},
    )
    def list(self, request: Request) -> Response:
        return answer_page(request, readable_by(request.auth, allowed_location_ids(request.auth)))

    @extend_schema(
        operation_id="createLocationsMetafields",
        summary="Create multiple Metafields",
        description="All or none, kept as this token's; `resource_id` is the location.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MetafieldsCreateRequest,
        responses={
            200: MetafieldsWriteResponse,
            **problems(400, 401, 403, 409, 413, 415, 422, 429),
        },
    )
    def create(self, request: Request) -> Response:
        body = MetafieldsCreateRequest.model_validate(request.data)
        entries = [
            NewMetafield(location_id=entry.resource_id, **entry.model_dump(exclude={"resource_id"}))
            for entry in body.root
        ]

        def write() -> dict[str, Any]:
            rows = create_metafields(
                client=request.auth, allowed=allowed_location_ids(request.auth), entries=entries
            )
            return _written(rows)

        return written(request, write, path="{index}.{field}")

    @extend_schema(
        operation_id="updateLocationsMetafields",
        summary="Update multiple Metafields",
        description="All or none, by `id`; fields left out are unchanged.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MetafieldsUpdateRequest,
        responses={
            200: MetafieldsWriteResponse,
            **problems(400, 401, 403, 409, 413, 415, 422, 429),
        },
    )
    def update_many(self, request: Request) -> Response:
        body = MetafieldsUpdateRequest.model_validate(request.data)
        changes = [
            MetafieldChange(id=entry.metafield_id, **entry.model_dump(exclude={"id"}))
            for entry in body.root
        ]

        def write() -> dict[str, Any]:
            rows = update_metafields(
                client=request.auth, allowed=allowed_location_ids(request.auth), changes=changes
            )
            return _written(rows)

        return written(request, write, path="{index}.{field}")

    @extend_schema(
        operation_id="deleteLocationsMetafields",
        summary="Delete Multiple Metafields",
        description="All or none: the body is the list of metafield ids.",
        parameters=[IDEMPOTENCY_PARAMETER],
        request=MetafieldsDeleteRequest,
        responses={
            200: MetafieldsDeleteResponse,
            **problems(400, 401, 403, 409, 413, 415, 422, 429),
        },
    )
    def destroy_many(self, request: Request) -> Response:
        ids = MetafieldsDeleteRequest.model_validate(request.data).root

        def write() -> dict[str, Any]:
            deleted = delete_metafields(
                client=request.auth, allowed=allowed_location_ids(request.auth), ids=ids
            )
            meta = {"total": len(deleted), "success": len(deleted), "failed": 0}
            body = MetafieldsDeleteResponse(data=deleted, meta=meta)
            return body.model_dump(mode="json")

        return written(request, write, path="{index}")


def _written(rows: list[LocationMetafield]) -> dict[str, Any]:
    meta = {"total": len(rows), "success": len(rows), "failed": 0}
    data = [metafield_fields(row) for row in rows]
    return MetafieldsWriteResponse.model_validate({"data": data, "meta": meta}).model_dump(
        mode="json"
    )
