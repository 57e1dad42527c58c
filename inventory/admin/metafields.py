"""A location's metafields on its admin page: what API clients keep about the location
(BigCommerce's location metafields), for those who may see them (Inventory managers). Shown,
not edited: each belongs to the client that wrote it, and clients change them through the API.

A read-only table rather than an inline formset: the page's form then stays what it was, and a
metafield a client writes while someone edits the location cannot break their save. The
location admin is `locations`', which may not depend on `inventory`; so the table is added
here, by a subclass registered in its place."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator

from locations.admin import LocationAdmin
from locations.models import Location

TITLE = "Values kept by API clients (metafields)"
SHOWN_VALUE_LENGTH = 200
HEADINGS = ("Namespace", "Key", "Value", "Written by", "Who else may use it", "Description")


admin.site.unregister(Location)


@admin.register(Location)
class LocationWithMetafieldsAdmin(LocationAdmin):
    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.has_perm("inventory.view_locationmetafield"):
            return fieldsets
        return [*fieldsets, (TITLE, {"fields": ["metafields"]})]

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "metafields"]

    @admin.display(description="Metafields")
    def metafields(self, location: Location) -> str:
        rows = location.metafields.select_related("owner").order_by("namespace", "key", "pk")
        if not rows:
            return "None yet."
        cells = (
            (
                row.namespace,
                row.key,
                Truncator(row.value).chars(SHOWN_VALUE_LENGTH),
                row.owner.name,
                row.get_permission_set_display(),
                row.description,
            )
            for row in rows
        )
        return format_html(
            "<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>",
            format_html_join("", "<th>{}</th>", ((heading,) for heading in HEADINGS)),
            format_html_join("", "<tr>" + "<td>{}</td>" * len(HEADINGS) + "</tr>", cells),
        )
