"""The list filters of BigCommerce's surface as django-filter FilterSets: `sku:in`,
`variant_id:in`, `product_id:in`, `location_id:in`, `location_code:in`, the locations' flags,
the history's kind, source and time range, and the metafields' keys, namespaces and dates.

Query names carry a colon (`sku:in`), which no Python attribute can, so each FilterSet is built
from a dict by `filter_set`. A refused value is answered by `apply` with the 422 problem+json
the API always gave: the first refused parameter, in the order the filters are declared. Each
filter also carries its OpenAPI schema and description (`label`), which `parameters` turns
into the list endpoints' documented query parameters."""

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request

from inventory.api.bigcommerce.query import ID_LIST, ID_PATTERN, MAX_TEXT_LIST, TEXT_LIST
from inventory.api.errors import Problem
from inventory.models import Adjustment, Item
from locations.models import DEFAULT_LOCATION_ID


class CommaListField(forms.Field):
    """`A,B` as ["A", "B"] (ints with `ids`); None when absent or empty. What the OpenAPI
    document does not allow (ID_LIST, TEXT_LIST) is refused."""

    def __init__(self, *, ids: bool = False, **kwargs: Any) -> None:
        self.ids = ids
        super().__init__(**kwargs)

    def to_python(self, value: str | None) -> list[Any] | None:
        if not value:
            return None
        # NUL: PostgreSQL cannot compare text containing it.
        valid = (
            ID_PATTERN.fullmatch(value)
            if self.ids
            else len(value) <= MAX_TEXT_LIST and "\x00" not in value
        )
        if not valid:
            raise forms.ValidationError("Expected a comma-separated list.")
        return [int(part) if self.ids else part for part in value.split(",") if part]


class FlagField(forms.Field):
    """`true`/`1` or `false`/`0`, any case; None when absent."""

    def to_python(self, value: str | None) -> bool | None:
        if value is None:
            return None
        if value.lower() in {"true", "1"}:
            return True
        if value.lower() in {"false", "0"}:
            return False
        raise forms.ValidationError("Expected true or false.")


class TimeField(forms.Field):
    """An ISO 8601 time with an offset, as UTC (PostgreSQL refuses offsets beyond ±15:59)."""

    def to_python(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            parsed = parse_datetime(value.upper())  # RFC 3339 allows a lower-case t and z
            parsed = parsed.astimezone(UTC) if parsed and parsed.tzinfo else None
        except (ValueError, OverflowError):  # impossible dates, or ones UTC pushes off the calendar
            parsed = None
        if parsed is None:
            raise forms.ValidationError("Expected an ISO 8601 time with a UTC offset.")
        return parsed


class DateOrTimeField(TimeField):
    """BigCommerce's metafield dates: `2024-05-14T09:34:00` (UTC unless it has an offset) or
    `2024-05-14` (its midnight, UTC)."""

    def to_python(self, value: str | None) -> datetime | None:
        if value is None:
            return None
        try:
            day = parse_date(value)
            naive = day is None and getattr(parse_datetime(value.upper()), "tzinfo", 0) is None
        except (ValueError, OverflowError):  # impossible dates: refused below
            day, naive = None, False
        if day is not None:
            return datetime.combine(day, time(), tzinfo=UTC)
        try:
            return super().to_python(value + "Z" if naive else value)
        except forms.ValidationError:
            raise forms.ValidationError(
                "Expected a date such as 2024-05-14, or a time such as 2024-05-14T09:34:00 "
                "(UTC unless it has an offset)."
            ) from None


class DirectionField(forms.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=[("asc", "asc"), ("desc", "desc")], **kwargs)

    def to_python(self, value: str | None) -> str | None:
        return value or None


Using = Callable[[QuerySet, Any], QuerySet]


class QueryFilter(django_filters.Filter):
    """Skips only an absent parameter: `?sku:in=,` is an empty list and matches nothing, as it
    always did (django-filter skips any empty value, also with its own `method`, hence
    `using`: a function of the queryset and the value, for filters that are not one lookup).
    `openapi_schema` is the parameter's schema in the OpenAPI document."""

    openapi_schema: dict[str, Any]

    def __init__(self, *args: Any, using: Using | None = None, **kwargs: Any) -> None:
        self.using = using
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if value is None:
            return qs
        if self.using is not None:
            return self.using(qs, value)
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": value})


class CommaList(QueryFilter):
    field_class = CommaListField

    def __init__(self, field_name: str, *, ids: bool = False, **kwargs: Any) -> None:
        self.openapi_schema = ID_LIST if ids else TEXT_LIST
        super().__init__(field_name=field_name, lookup_expr="in", ids=ids, **kwargs)


class Flag(QueryFilter):
    field_class = FlagField
    openapi_schema = {"type": "boolean"}

    def __init__(self, field_name: str | None = None, **kwargs: Any) -> None:
        super().__init__(field_name=field_name, lookup_expr="exact", **kwargs)


class Time(QueryFilter):
    field_class = TimeField
    openapi_schema = {"type": "string", "format": "date-time"}


class Text(QueryFilter):
    """One value, matched exactly (no NUL: PostgreSQL cannot compare text containing it)."""

    field_class = forms.CharField
    openapi_schema = {"type": "string"}

    def __init__(self, field_name: str, **kwargs: Any) -> None:
        super().__init__(
            field_name=field_name, lookup_expr="exact", strip=False, empty_value=None, **kwargs
        )


class DateOrTime(QueryFilter):
    field_class = DateOrTimeField
    openapi_schema = {
        "type": "string",
        "pattern": r"^\d{4}-\d{2}-\d{2}([Tt ][0-9:.]+([Zz]|[+-]\d{2}:\d{2})?)?$",
    }


class Direction(QueryFilter):
    """`asc` or `desc` by id (asc when absent)."""

    field_class = DirectionField
    openapi_schema = {"type": "string", "enum": ["asc", "desc"]}

    def filter(self, qs: QuerySet, value: str | None) -> QuerySet:
        return qs.order_by("-id" if value == "desc" else "id")


class QueryFilterSet(django_filters.FilterSet):
    def get_form_class(self) -> type[forms.Form]:
        # Built once per FilterSet: django-filter builds a new form class on every request,
        # most of what a FilterSet costs a list page.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class


def filter_set(name: str, filters: dict[str, django_filters.Filter]) -> type[QueryFilterSet]:
    return django_filters.filterset.FilterSetMetaclass(name, (QueryFilterSet,), filters)


def parameters(filters: type[QueryFilterSet]) -> list[OpenApiParameter]:
    """The FilterSet's query parameters as the OpenAPI document describes them."""
    return [
        OpenApiParameter(name, query_filter.openapi_schema, description=query_filter.label)
        for name, query_filter in filters.base_filters.items()
    ]


def apply(filters: type[QueryFilterSet], request: Request, queryset: QuerySet) -> QuerySet:
    """`queryset` filtered by the request's query, or 422 naming the first refused parameter."""
    found = filters(request.query_params, queryset=queryset)
    if not found.is_valid():
        name, messages = next(iter(found.errors.items()))
        raise Problem(422, "Invalid query parameter", {name: messages[0]})
    return found.qs


def filtering(filters: type[QueryFilterSet], request: Request) -> bool:
    """Whether the request names any of the FilterSet's parameters (a blank one included)."""
    return any(name in request.query_params for name in filters.base_filters)


def one(field: forms.Field, request: Request, name: str) -> Any:
    """One query parameter read by `field`, outside any FilterSet (DELETE's `location_id:in`)."""
    try:
        return field.clean(request.query_params.get(name))
    except forms.ValidationError as error:
        raise Problem(422, "Invalid query parameter", {name: error.messages[0]}) from None


def skus_as_item_ids(queryset: QuerySet, skus: list[str]) -> QuerySet:
    # Item ids first: the ledger is then read through its (item, location, id) index.
    item_ids = list(Item.objects.filter(sku__in=skus).values_list("pk", flat=True))
    return queryset.filter(item_id__in=item_ids)


def default_or_not(queryset: QuerySet, is_default: bool) -> QuerySet:
    if is_default:
        return queryset.filter(pk=DEFAULT_LOCATION_ID)
    return queryset.exclude(pk=DEFAULT_LOCATION_ID)


ItemFilters = filter_set(
    "ItemFilters",
    {
        "sku:in": CommaList("sku", label="Comma-separated SKUs."),
        "variant_id:in": CommaList("variant_id", ids=True, label="Comma-separated variant ids."),
        "product_id:in": CommaList("product_id", ids=True, label="Comma-separated product ids."),
    },
)
CatalogFilters = filter_set(
    "CatalogFilters",
    {
        **ItemFilters.base_filters,
        "barcode:in": CommaList("barcode", label="Comma-separated barcodes."),
    },
)
StockLocationFilters = filter_set(
    "StockLocationFilters",
    {
        "location_id:in": CommaList("pk", ids=True, label="Comma-separated location ids."),
        "location_code:in": CommaList("code", label="Comma-separated location codes."),
    },
)
LocationFilters = filter_set(
    "LocationFilters",
    {
        **StockLocationFilters.base_filters,
        "type_id:in": CommaList("type_id", label="Comma-separated list of location types."),
        "is_default": Flag(
            using=default_or_not, label="Only the default location (true), or only the others."
        ),
        "managed_by_external_source": Flag(
            "managed_by_external_source",
            label="Whether an external source manages the stock levels.",
        ),
        "is_active": Flag("enabled", label="Enabled locations (true), or disabled ones."),
        "storefront_visibility": Flag(
            "storefront_visibility", label="Locations shown on the storefront, or hidden."
        ),
    },
)
HistoryFilters = filter_set(
    "HistoryFilters",
    {
        "location_id:in": CommaList("location_id", ids=True, label="Comma-separated location ids."),
        "sku:in": CommaList("sku", using=skus_as_item_ids, label="Comma-separated SKUs."),
        "kind:in": CommaList("adjustment__kind", label=", ".join(Adjustment.Kind) + "."),
        "source:in": CommaList("adjustment__source", label=", ".join(Adjustment.Source) + "."),
        "reason_code:in": CommaList(
            "adjustment__reason_code", label=", ".join(Adjustment.ReasonCode) + "."
        ),
        "created_at:min": Time(
            field_name="created_at",
            lookup_expr="gte",
            label="ISO 8601 time with offset, inclusive.",
        ),
        "created_at:max": Time(
            field_name="created_at", lookup_expr="lt", label="ISO 8601 time with offset, exclusive."
        ),
    },
)
_DATE_OR_TIME = "a date, or a time (UTC unless it has an offset)."
MetafieldFilters = filter_set(
    "MetafieldFilters",
    {
        "key": Text("key", label="Only this key."),
        "key:in": CommaList("key", label="Comma-separated keys."),
        "namespace": Text("namespace", label="Only this namespace."),
        "namespace:in": CommaList("namespace", label="Comma-separated namespaces."),
        "date_created:min": DateOrTime(
            field_name="created_at",
            lookup_expr="gte",
            label=f"Created at or after: {_DATE_OR_TIME}",
        ),
        "date_created:max": DateOrTime(
            field_name="created_at", lookup_expr="lt", label=f"Created before: {_DATE_OR_TIME}"
        ),
        "date_modified:min": DateOrTime(
            field_name="updated_at",
            lookup_expr="gte",
            label=f"Changed at or after: {_DATE_OR_TIME}",
        ),
        "date_modified:max": DateOrTime(
            field_name="updated_at", lookup_expr="lt", label=f"Changed before: {_DATE_OR_TIME}"
        ),
        "direction": Direction(label="By id."),
    },
)
