"""Routes under /api/v3: BigCommerce's paths, so a BigCommerce client only changes its base URL."""

from django.urls import path

from inventory.api.bigcommerce.adjustments import (
    AbsoluteAdjustmentApi,
    RelativeAdjustmentApi,
    TransferApi,
)
from inventory.api.bigcommerce.catalog import CatalogItemsApi
from inventory.api.bigcommerce.history import AdjustmentDetailApi, AdjustmentHistoryApi
from inventory.api.bigcommerce.locations import LocationsApi
from inventory.api.bigcommerce.ping import PingView
from inventory.api.bigcommerce.stock import InventoryItemsApi, LocationItemsApi

urlpatterns: list = [
    path("ping", PingView.as_view(), name="api-ping"),
    path(
        "inventory/adjustments/absolute",
        AbsoluteAdjustmentApi.as_view(),
        name="api-absolute-adjustment",
    ),
    path(
        "inventory/adjustments/relative",
        RelativeAdjustmentApi.as_view(),
        name="api-relative-adjustment",
    ),
    path("inventory/adjustments", AdjustmentHistoryApi.as_view(), name="api-adjustments"),
    path(
        "inventory/adjustments/<uuid:transaction_id>",
        AdjustmentDetailApi.as_view(),
        name="api-adjustment",
    ),
    path("inventory/transfers", TransferApi.as_view(), name="api-transfers"),
    path("inventory/items", InventoryItemsApi.as_view(), name="api-inventory-items"),
    path(
        "inventory/locations/<int:location_id>/items",
        LocationItemsApi.as_view(),
        name="api-location-items",
    ),
    path("inventory/locations", LocationsApi.as_view(), name="api-locations"),
    path("items", CatalogItemsApi.as_view(), name="api-items"),
]
