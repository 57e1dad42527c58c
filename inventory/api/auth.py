"""The API's authentication and BigCommerce-style scopes. Tokens themselves (issue, check) are
`inventory.api_clients`'."""

from datetime import timedelta
from typing import NoReturn

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request

from inventory.api import throttling
from inventory.api_clients import client_for_token
from inventory.models import ApiClient

Scope = ApiClient.Scope
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiClientAuthentication(authentication.BaseAuthentication):
    """`X-Auth-Token: <token>` as BigCommerce clients send it, or `Authorization: Bearer <token>`
    as Ecwid and Zettle clients do. Sets `request.auth` to the ApiClient.

    Counts the request against the rate limit here, the first thing a view does, so that no
    later refusal (a missing scope, a bad body) goes uncounted: see inventory/api/throttling.py."""

    def authenticate(self, request: Request) -> tuple[None, ApiClient] | None:
        token = request.META.get("HTTP_X_AUTH_TOKEN", "")
        scheme, _, bearer = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if not token and scheme.lower() == "bearer":
            token = bearer
        if not token:
            return None
        return self.authenticate_token(request, token)

    def authenticate_token(self, request: Request, token: str) -> tuple[None, ApiClient]:
        """The client of `token`, wherever the request carried it; 401 when it has none."""
        client = client_for_token(token)
        if client is None:
            self.refuse(request, "The token is not valid or has been revoked.")
        throttling.admit_client(request, client)
        _touch(client)
        return (None, client)

    def refuse(self, request: Request, message: str) -> NoReturn:
        """401 for a credential that is not valid, counted against the caller's address (429
        once that is over the quota)."""
        throttling.admit_bad_credentials(request)
        raise exceptions.AuthenticationFailed(message)

    def authenticate_header(self, request: Request) -> str:
        return "X-Auth-Token"  # makes a missing token a 401, not a 403


def _touch(client: ApiClient) -> None:
    # One write a minute per client at most, not one per request.
    now = timezone.now()
    if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now


def has_scope(client: ApiClient, scope: str) -> bool:
    """A modify scope implies its read-only one (BigCommerce's rule)."""
    implied = {Scope.INVENTORY_READ: Scope.INVENTORY, Scope.LOCATIONS_READ: Scope.LOCATIONS}
    return scope in client.scopes or implied.get(scope) in client.scopes


class ScopePermission(permissions.BasePermission):
    """Reads need `read_scope`, writes need `write_scope`."""

    read_scope: str
    write_scope: str
    message = "The token does not have the scope this request needs."

    def has_permission(self, request: Request, view: object) -> bool:
        client = request.auth
        if not isinstance(client, ApiClient):
            return False
        needed = self.read_scope if request.method in permissions.SAFE_METHODS else self.write_scope
        return has_scope(client, needed)


class InventoryScope(ScopePermission):
    read_scope = Scope.INVENTORY_READ
    write_scope = Scope.INVENTORY


class LocationsScope(ScopePermission):
    read_scope = Scope.LOCATIONS_READ
    write_scope = Scope.LOCATIONS


def allowed_location_ids(client: ApiClient) -> set[int] | None:
    """The locations a client may see and change; None means every location. A restricted
    client whose allowed locations were all deleted gets an empty set: no location at all."""
    if not client.restricted_to_locations:
        return None
    return set(client.allowed_locations.values_list("id", flat=True))
