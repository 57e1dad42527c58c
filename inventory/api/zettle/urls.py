"""Routes under /api/zettle: Zettle's paths, so a Zettle client only changes its base URL.

Each also answers with a trailing slash: Zettle's documentation writes some paths so
(`…/inventory/locations/?type=STORE`) and clients send them (Shopware's PayPal POS). The
OpenAPI document lists each path once, without it."""

from django.urls import path

from inventory.api.zettle.reads import (
    ZettleBalancesByTypeApi,
    ZettleLocationBalancesApi,
    ZettleLocationsApi,
    ZettleProductBalancesApi,
)
from inventory.api.zettle.views import ZettleInventoryApi, ZettleTrackingApi

SELF = "organizations/self/"


def route(pattern: str, view, name: str) -> list:
    """The route, and the same with a trailing slash (unnamed, so reverse() gives the first)."""
    return [path(pattern, view, name=name), path(f"{pattern}/", view)]


urlpatterns: list = [
    *route(f"{SELF}locations", ZettleLocationsApi.as_view(), "zettle-locations"),
    *route(f"{SELF}inventory", ZettleInventoryApi.as_view(), "zettle-inventory"),
    *route(
        f"{SELF}inventory/locations",
        ZettleBalancesByTypeApi.as_view(),
        "zettle-balances-by-type",
    ),
    *route(
        f"{SELF}inventory/locations/<str:location_uuid>",
        ZettleLocationBalancesApi.as_view(),
        "zettle-location-balances",
    ),
    *route(
        f"{SELF}inventory/locations/<str:location_uuid>/products/<str:product_uuid>",
        ZettleProductBalancesApi.as_view(),
        "zettle-product-balances",
    ),
    *route(
        f"{SELF}inventory/products/<str:product_uuid>",
        ZettleTrackingApi.as_view(),
        "zettle-tracking",
    ),
]
