from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = "Inventory"

    def ready(self) -> None:
        from inventory import checks  # noqa: F401 - checks registers the system checks
        from inventory.api import schema  # noqa: F401 - registers the OpenAPI auth extensions
        from inventory.stock import effects
        from locations.signals import locations_changed

        # Location webhooks are written by inventory, which locations may not import.
        locations_changed.connect(effects.locations_changed, dispatch_uid="inventory-webhooks")
