"""Which location metafields an API client may read: its own, and the other clients' that are
not `app_only` (BigCommerce's `permission_set`), at the locations its token allows (`allowed`;
None is every location). A metafield a client may not read does not exist for it."""

from django.db.models import Q, QuerySet

from inventory.models import ApiClient, LocationMetafield

Permission = LocationMetafield.Permission
Allowed = set[int] | None


def readable_by(client: ApiClient, allowed: Allowed) -> QuerySet[LocationMetafield]:
    rows = LocationMetafield.objects.filter(
        Q(owner=client) | ~Q(permission_set=Permission.APP_ONLY)
    ).select_related("owner")
    return rows if allowed is None else rows.filter(location_id__in=sorted(allowed))
