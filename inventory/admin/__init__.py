"""The back office: one module per area. Importing them registers their admin screens."""

from inventory.admin import (
    alerts,
    api_clients,
    history,
    home,
    items,
    metafields,
    stock,
    webhooks,
)

__all__ = ["alerts", "api_clients", "history", "home", "items", "metafields", "stock", "webhooks"]
