"""Zettle's `type` query parameter (STORE, SUPPLIER, SOLD or BIN) as a django-filter FilterSet,
like BigCommerce's list filters (inventory.api.bigcommerce.filters), refused in Zettle's shape."""

from django import forms
from django.db.models import QuerySet
from rest_framework import status
from rest_framework.request import Request

from inventory.api.bigcommerce.filters import QueryFilter, filter_set
from inventory.api.vendor import VendorError
from inventory.api.zettle.ids import LOCATION_TYPES, STORE


class LocationTypeField(forms.Field):
    """A location type in any case (clients send `store` as well as `STORE`); None when absent."""

    def to_python(self, value: str | None) -> str | None:
        if value is None:
            return None
        if value.upper() not in LOCATION_TYPES:
            raise forms.ValidationError(f"Expected one of {', '.join(LOCATION_TYPES)}.")
        return value.upper()


class LocationType(QueryFilter):
    field_class = LocationTypeField


def stores_of_type(stores: QuerySet, location_type: str) -> QuerySet:
    # Every location of ours is a STORE; the virtual ones are no rows.
    return stores if location_type == STORE else stores.none()


ZettleLocationFilters = filter_set(
    "ZettleLocationFilters", {"type": LocationType(using=stores_of_type)}
)


def apply(request: Request, stores: QuerySet) -> tuple[QuerySet, str | None]:
    """Our stores filtered by the request's `type`, and the type asked for (None: any), or 400
    naming the parameter."""
    found = ZettleLocationFilters(request.query_params, queryset=stores)
    if not found.is_valid():
        name, messages = next(iter(found.errors.items()))
        raise VendorError(
            status.HTTP_400_BAD_REQUEST,
            "Invalid query parameter.",
            {name: messages[0]},
            code="invalid_query_parameter",
        )
    return found.qs, found.form.cleaned_data["type"]
