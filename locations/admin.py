from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from inventory_project.strict_json import StrictJSONField
from locations.models import DEFAULT_LOCATION_ID, Location
from locations.rules import clean_operating_hours, clean_special_hours
from locations.selectors import locations_visible_to
from locations.services import EDITABLE_FIELDS
from locations.signals import locations_changed


class VisibleLocationFilter(admin.SimpleListFilter):
    """Offers only the locations the user may see (a staff member's own stores). Filters
    `location_field`, for lists whose rows reach their location through a relation."""

    title = "location"
    parameter_name = "location"
    location_field = "location_id"

    def lookups(self, request, model_admin):
        return [
            (str(location.pk), str(location)) for location in locations_visible_to(request.user)
        ]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        # Only the ids offered match anything: `?location=abc` is an empty list, not a 500.
        if self.value() not in {key for key, _ in self.lookup_choices}:
            return queryset.none()
        return queryset.filter(**{self.location_field: self.value()})


def title_by_location(request: HttpRequest, everywhere: str, at: str) -> str:
    """A location-scoped list's title: `at` with the location's name ("Stock at Downtown
    store") when the list shows one location (chosen in its filter, or the only one the user
    sees), else `everywhere`. One query."""
    visible = locations_visible_to(request.user)
    chosen = request.GET.get(VisibleLocationFilter.parameter_name, "")
    if chosen.isdigit():
        visible = visible.filter(pk=int(chosen))
    names = list(visible.values_list("label", flat=True)[:2])
    return at.format(names[0]) if len(names) == 1 else everywhere


class HiddenIsNotFoundMixin:
    """An object outside the user's locations does not exist for them: 404, not the admin's
    usual redirect with "perhaps it was deleted?" (which would confirm that it exists)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj


class HoursField(StrictJSONField):
    """Hours as JSON text, checked and normalised by `rule` (the locations API's), so what the
    admin saves the API can always answer. Unchanged when it normalises to what was stored:
    reformatting the text is not an update partners are told about."""

    def __init__(self, rule: Callable[[Any], Any], **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)
        self.rule = rule

    def clean(self, value: Any) -> Any:
        return self.rule(super().clean(value))

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.rule(initial) != self.rule(self.to_python(data))
        except ValidationError:
            return True


class LocationForm(forms.ModelForm):
    operating_hours = HoursField(
        clean_operating_hours,
        help_text='Per day, e.g. {"monday": {"open": true, "opening": "09:00", "closing": '
        '"17:00"}}; days left out are closed.',
    )
    special_hours = HoursField(
        clean_special_hours,
        help_text='A list, e.g. [{"label": "New Year", "date": "2026-01-01", "open": false}].',
    )

    class Meta:
        model = Location
        fields = ["operating_hours", "special_hours"]  # the admin adds its fieldsets


@admin.register(Location)
class LocationAdmin(HiddenIsNotFoundMixin, admin.ModelAdmin):
    form = LocationForm
    list_display = ["id", "code", "label", "type_id", "enabled", "allow_negative_stock", "city"]
    list_display_links = ["id", "code"]
    list_filter = ["enabled", "type_id", "managed_by_external_source", "storefront_visibility"]
    search_fields = ["code", "label", "city"]
    readonly_fields = ["uuid", "created_at", "updated_at"]
    filter_horizontal = ["staff"]
    fieldsets = [
        (None, {"fields": ["code", "label", "description", "type_id", "enabled"]}),
        (
            "Stock rules",
            {"fields": ["allow_negative_stock", "managed_by_external_source"]},
        ),
        ("Low-stock alerts", {"fields": ["low_stock_emails"]}),
        ("Staff", {"fields": ["staff"]}),
        (
            "Address",
            {
                "classes": ["collapse"],
                "fields": [
                    "address1",
                    "address2",
                    "city",
                    "state",
                    "zip",
                    "country_code",
                    "email",
                    "phone",
                    ("latitude", "longitude"),
                ],
            },
        ),
        (
            "Storefront",
            {
                "classes": ["collapse"],
                "fields": [
                    "storefront_visibility",
                    "time_zone",
                    "operating_hours",
                    "special_hours",
                ],
            },
        ),
        ("Record", {"fields": ["uuid", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Location]:
        return locations_visible_to(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The admin saves inside its own transaction, so these events commit with the change.
        # Only what partners can see through the locations API counts as an update.
        if not change:
            locations_changed.send(sender=Location, created=[obj.pk], updated=[])
        elif EDITABLE_FIELDS.intersection(form.changed_data):
            locations_changed.send(sender=Location, created=[], updated=[obj.pk])

    def has_delete_permission(self, request: HttpRequest, obj: Location | None = None) -> bool:
        # Locations with history are protected by the ledger's foreign keys; the default
        # location is what BigCommerce clients fall back to and must always exist.
        if obj is not None and obj.pk == DEFAULT_LOCATION_ID:
            return False
        return super().has_delete_permission(request, obj)
