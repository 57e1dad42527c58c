"""Routes under /api/ecwid/v3: Ecwid's paths, so an Ecwid client only changes its base URL.
Ids are taken as text and checked by the views, so a malformed one is answered in Ecwid's shape."""

from django.urls import path

from inventory.api.ecwid.products import EcwidProductApi
from inventory.api.ecwid.profile import EcwidProfileApi
from inventory.api.ecwid.views import EcwidCombinationInventoryApi, EcwidProductInventoryApi

urlpatterns: list = [
    path("<str:store_id>/profile", EcwidProfileApi.as_view(), name="ecwid-profile"),
    path(
        "<str:store_id>/products/<str:product_id>", EcwidProductApi.as_view(), name="ecwid-product"
    ),
    path(
        "<str:store_id>/products/<str:product_id>/inventory",
        EcwidProductInventoryApi.as_view(),
        name="ecwid-product-inventory",
    ),
    path(
        "<str:store_id>/products/<str:product_id>/combinations/<str:variant_id>/inventory",
        EcwidCombinationInventoryApi.as_view(),
        name="ecwid-combination-inventory",
    ),
]
