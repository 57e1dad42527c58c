"""Routes under /api/zettle: Zettle's paths, so a Zettle client only changes its base URL.

Each also answers with a trailing slash: Zettle's documentation writes some paths so
(`…/inventory/locations/?type=STORE`) and clients send them (Shopware's PayPal POS). The
OpenAPI document lists each path once, without it."""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, path, re_path, resolve
from django.views.decorators.csrf import csrf_exempt

from inventory.api.zettle.reads import (
    ZettleBalancesByTypeApi,
    ZettleLocationBalancesApi,
    ZettleLocationsApi,
    ZettleProductBalancesApi,
)
from inventory.api.zettle.views import ZettleInventoryApi, ZettleTrackingApi

SELF = "organizations/self/"


@csrf_exempt  # as the API views it hands over to: tokens, not cookies
def without_trailing_slash(request: HttpRequest, route: str) -> HttpResponse:
    try:
        match = resolve(request.path_info.removesuffix("/"), getattr(request, "urlconf", None))
    except Resolver404:
        raise Http404(request.path_info) from None
    if match.func is without_trailing_slash:
        raise Http404(request.path_info)
    request.resolver_match = match
    return match.func(request, *match.args, **match.kwargs)


urlpatterns: list = [
    path(f"{SELF}locations", ZettleLocationsApi.as_view(), name="zettle-locations"),
    path(f"{SELF}inventory", ZettleInventoryApi.as_view(), name="zettle-inventory"),
    path(
        f"{SELF}inventory/locations",
        ZettleBalancesByTypeApi.as_view(),
        name="zettle-balances-by-type",
    ),
    path(
        f"{SELF}inventory/locations/<str:location_uuid>",
        ZettleLocationBalancesApi.as_view(),
        name="zettle-location-balances",
    ),
    path(
        f"{SELF}inventory/locations/<str:location_uuid>/products/<str:product_uuid>",
        ZettleProductBalancesApi.as_view(),
        name="zettle-product-balances",
    ),
    path(
        f"{SELF}inventory/products/<str:product_uuid>",
        ZettleTrackingApi.as_view(),
        name="zettle-tracking",
    ),
    re_path(r"^(?P<route>.+)/$", without_trailing_slash),
]
