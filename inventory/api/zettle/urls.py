"""Routes under /api/zettle: Zettle's paths, so a Zettle client only changes its base URL."""

from django.urls import path

from inventory.api.zettle.views import ZettleInventoryApi, ZettleLocationsApi

urlpatterns: list = [
    path(
        "organizations/self/locations",
        ZettleLocationsApi.as_view(),
        name="zettle-locations",
    ),
    path(
        "organizations/self/inventory",
        ZettleInventoryApi.as_view(),
        name="zettle-inventory",
    ),
]
