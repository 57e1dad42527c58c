"""A location's metafields on its admin page: what API clients keep about the location
(BigCommerce's location metafields). Shown, not edited: each belongs to the client that wrote
it, and clients change them through the API.

The location admin is `locations`', which may not depend on `inventory`; so the inline is
added here, to a subclass registered in its place."""

from django.contrib import admin

from inventory.models import LocationMetafield
from locations.admin import LocationAdmin
from locations.models import Location


class LocationMetafieldInline(admin.TabularInline):
    model = LocationMetafield
    verbose_name = "value kept by an API client (metafield)"
    verbose_name_plural = "Values kept by API clients (metafields)"
    fields = ["namespace", "key", "value", "owner", "permission_set", "description", "updated_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("owner")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


admin.site.unregister(Location)


@admin.register(Location)
class LocationWithMetafieldsAdmin(LocationAdmin):
    inlines = [*LocationAdmin.inlines, LocationMetafieldInline]
