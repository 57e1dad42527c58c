"""Routes under /api/v3: BigCommerce's paths, so a BigCommerce client only changes its base URL.
Its inventory endpoints are ViewSets on a router; the rest (ours) are plain views."""

from django.urls import path

from inventory.api.bigcommerce.adjustments import AdjustmentViewSet, TransferApi
from inventory.api.bigcommerce.catalog import CatalogItemsApi
from inventory.api.bigcommerce.locations import LocationViewSet
from inventory.api.bigcommerce.metafields import LocationMetafieldViewSet, MetafieldBatchViewSet
from inventory.api.bigcommerce.ping import PingView
from inventory.api.bigcommerce.receipts import ReceiptViewSet
from inventory.api.bigcommerce.routing import BigCommerceRouter
from inventory.api.bigcommerce.stock import InventoryItemViewSet, LocationItemViewSet
from inventory.api.bigcommerce.transfer_orders import TransferOrderViewSet

router = BigCommerceRouter()
router.register("inventory/adjustments", AdjustmentViewSet, basename="api-adjustment")
router.register("inventory/items", InventoryItemViewSet, basename="api-inventory-item")
router.register(
    "inventory/locations/<int:location_id>/items",
    LocationItemViewSet,
    basename="api-location-item",
)
router.register("inventory/locations", LocationViewSet, basename="api-location")
router.register(
    "inventory/locations/metafields", MetafieldBatchViewSet, basename="api-locations-metafield"
)
router.register(
    "inventory/locations/<int:location_id>/metafields",
    LocationMetafieldViewSet,
    basename="api-location-metafield",
)
router.register("inventory/transfer-orders", TransferOrderViewSet, basename="api-transfer-order")
router.register("inventory/receipts", ReceiptViewSet, basename="api-receipt")

urlpatterns: list = [
    path("ping", PingView.as_view(), name="api-ping"),
    *router.urls,
    path("inventory/transfers", TransferApi.as_view(), name="api-transfers"),
    path("items", CatalogItemsApi.as_view(), name="api-items"),
]
