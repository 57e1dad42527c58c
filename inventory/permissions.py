"""Names of the groups created by migration 0003_groups."""

STORE_STAFF = "Store staff"
INVENTORY_MANAGERS = "Inventory managers"
