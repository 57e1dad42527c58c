"""`GET /api/v3/ping`: the cheapest authenticated request. Partners use it to check a token;
we use it to test authentication and rate limits, and as the framework's floor in benchmarks."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.api.openapi import problems
from inventory.models import ApiClient


class HasApiClient(permissions.BasePermission):
    """Any valid, unrevoked token; no scope needed."""

    def has_permission(self, request: Request, view: object) -> bool:
        return isinstance(request.auth, ApiClient)


class PingView(APIView):
    permission_classes = [HasApiClient]

    @extend_schema(
        operation_id="ping",
        summary="Check a token",
        description="200 for any valid token, whatever its scopes; 401 otherwise.",
        responses={
            200: inline_serializer("PingResponse", {"ok": serializers.BooleanField()}),
            **problems(401, 429),
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"ok": True})
