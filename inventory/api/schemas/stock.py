"""What BigCommerce's stock reads answer: inventory items at every location, or at one."""

from pydantic import ConfigDict, Field

from inventory.api.schemas.common import Meta, ResponseBody, absent


# Read from an Item. BigCommerce types variant_id and product_id as integers: each is left out
# for an item without (a store without BigCommerce has neither).
class ItemIdentity(ResponseBody):
    model_config = ConfigDict(from_attributes=True)
    documented_order = ("sku", "variant_id", "product_id")

    sku: str
    product_id: int | None = Field(default=None, exclude_if=absent)
    variant_id: int | None = Field(default=None, exclude_if=absent)


class InventoryItemIdentity(ItemIdentity):
    """BigCommerce's identity in inventory items, with its `sku_id`."""

    documented_order = (*ItemIdentity.documented_order, "sku_id")

    sku_id: int | None = Field(
        description="Read-only id of the item's SKU record (BigCommerce: its Catalog V2 SKU "
        "id); ours is the item's own id. `null` for a product tracked as a whole, as "
        "BigCommerce answers for a base variant."
    )


# Read from a Balance.
class BalanceSettings(ResponseBody):
    model_config = ConfigDict(from_attributes=True)

    safety_stock: int
    is_in_stock: bool
    warning_level: int
    bin_picking_number: str


# Ours, beside BigCommerce's quantities (whose clients ignore fields they do not know): what
# transfers and supplier receipts hold beyond on-hand (inventory.movements.selectors).
IN_TRANSIT_OUT = Field(
    description="Ours: shipped from here by transfers still in transit (no longer on hand)."
)
IN_TRANSIT_IN = Field(description="Ours: shipped here by transfers still in transit.")
EXPECTED = Field(description="Ours: expected here from suppliers, not yet received.")
INCOMING = Field(description="Ours: in_transit_in + expected.")
NAMED_QUANTITIES = ("in_transit_out", "in_transit_in", "expected", "incoming")


class ItemLocation(ResponseBody):
    documented_order = (
        "location_id",
        "location_code",
        "location_name",
        "available_to_sell",
        "total_inventory_onhand",
        "location_enabled",
        "settings",
        *NAMED_QUANTITIES,
    )

    location_id: int
    location_code: str
    location_name: str
    location_enabled: bool
    available_to_sell: int
    total_inventory_onhand: int
    settings: BalanceSettings
    in_transit_out: int = IN_TRANSIT_OUT
    in_transit_in: int = IN_TRANSIT_IN
    expected: int = EXPECTED
    incoming: int = INCOMING


ITEM_UUID = Field(description="Ours: the item's UUID (Zettle's variantUuid).")
PRODUCT_UUID = Field(description="Ours: its product's UUID (Zettle's productUuid).")


class InventoryItem(ResponseBody):
    """BigCommerce's ItemResponse, with our UUIDs."""

    identity: InventoryItemIdentity
    uuid: str = ITEM_UUID
    product_uuid: str = PRODUCT_UUID
    locations: list[ItemLocation]


class InventoryItemsResponse(ResponseBody):
    data: list[InventoryItem]
    meta: Meta


class LocationItem(ResponseBody):
    """BigCommerce's LocationItemsResponse, with our UUIDs and the quantities transfers and
    supplier receipts hold."""

    documented_order = (
        "identity",
        "uuid",
        "product_uuid",
        "available_to_sell",
        "total_inventory_onhand",
        "settings",
        *NAMED_QUANTITIES,
    )

    identity: ItemIdentity
    uuid: str = ITEM_UUID
    product_uuid: str = PRODUCT_UUID
    available_to_sell: int
    total_inventory_onhand: int
    settings: BalanceSettings
    in_transit_out: int = IN_TRANSIT_OUT
    in_transit_in: int = IN_TRANSIT_IN
    expected: int = EXPECTED
    incoming: int = INCOMING


class LocationItemsResponse(ResponseBody):
    data: list[LocationItem]
    meta: Meta
